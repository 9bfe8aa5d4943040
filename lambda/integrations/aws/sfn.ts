import { SFNClient } from '@aws-sdk/client-sfn';
import { CLIENT_CONFIG } from './config.ts';

/** The Step Functions client of this execution environment. */
export const sfnClient = new SFNClient(CLIENT_CONFIG);
