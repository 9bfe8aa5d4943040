import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CLIENT_CONFIG } from './config.ts';

/** The Secrets Manager client of this execution environment. */
export const secretsManagerClient = new SecretsManagerClient(CLIENT_CONFIG);
