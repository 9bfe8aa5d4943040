import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { array, number, object, string, enum as zEnum } from 'zod/mini';
import { type AppDefaults, LOCALES } from '../contract/appSettings.ts';
import { ConfigurationError } from '../contract/errors.ts';
import { DEFAULT_HUBSPOT_API_URL } from '../contract/hubspotApi.ts';
import { dynamoDbClient } from '../integrations/aws/dynamodb.ts';
import { secretsManagerClient } from '../integrations/aws/secretsManager.ts';
import { sesClient } from '../integrations/aws/ses.ts';
import { sfnClient } from '../integrations/aws/sfn.ts';
import { registry, settings } from '../integrations/registryFromEnv.ts';
import { requiredSetting } from '../integrations/settings.ts';
import { deliverOutbox } from '../notifications/outbox.ts';
import { idempotencyStore } from './idempotency.ts';
import { handleOperatorRequest, type OperatorApiDependencies } from './operatorApi.ts';

const appDefaultsSchema = object({
  admins: array(string()),
  locale: zEnum(LOCALES),
  timeZone: string(),
  intervalSeconds: number(),
  graceSeconds: number(),
  reminderRepeatSeconds: number(),
});

function readAppDefaults(): AppDefaults {
  const raw = requiredSetting('APP_DEFAULTS');
  try {
    return appDefaultsSchema.parse(JSON.parse(raw));
  } catch {
    throw new ConfigurationError(
      'environment variable APP_DEFAULTS must be the JSON the stack writes: admins, locale, timeZone and the durations in seconds',
    );
  }
}

const senderAddress = requiredSetting('SENDER_ADDRESS');
const clock = () => new Date();

/** The request log of the operator API (exported so tests can raise its level and read it). */
export const logger = new Logger({ serviceName: 'rotor-operator-api' });

const dependencies: OperatorApiDependencies = {
  registry,
  secretsManager: secretsManagerClient,
  sfn: sfnClient,
  clock,
  rotationStateMachineArn: requiredSetting('ROTATION_STATE_MACHINE_ARN'),
  rotationFunctionArn: requiredSetting('ROTATION_HOOK_ARN'),
  secretNamePrefix: requiredSetting('SECRET_NAME_PREFIX'),
  tokenPrefix: settings.tokenPrefix,
  appDefaults: readAppDefaults(),
  deliver: (appId) => deliverOutbox({ registry, ses: sesClient, senderAddress, clock }, appId),
  logger,
  hubspotApiUrl: process.env.HUBSPOT_API_URL || DEFAULT_HUBSPOT_API_URL,
  idempotency: idempotencyStore({ tableName: settings.tableName, client: dynamoDbClient }),
};

/**
 * The operator API (API Gateway REST, proxy integration, IAM authorization): apps, rotations,
 * expire now, cancel, history and audit. See `routes.ts` for the routes.
 */
export const handler = async (
  event: APIGatewayProxyEvent,
  context?: Context,
): Promise<APIGatewayProxyResult> => handleOperatorRequest(event, dependencies, context);
