import { SESClient } from '@aws-sdk/client-ses';
import { CLIENT_CONFIG } from './config.ts';

/** The SES client of this execution environment. */
export const sesClient = new SESClient(CLIENT_CONFIG);
