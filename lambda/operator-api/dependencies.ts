import { array, number, object, string, enum as zEnum } from 'zod/mini';
import { type AppDefaults, LOCALES } from '../contract/appSettings.ts';
import { ConfigurationError } from '../contract/errors.ts';
import { DEFAULT_HUBSPOT_API_URL } from '../contract/hubspotApi.ts';
import { dynamoDbClient } from '../integrations/aws/dynamodb.ts';
import { eventPublishingFromEnv } from '../integrations/aws/eventBridge.ts';
import { secretsManagerClient } from '../integrations/aws/secretsManager.ts';
import { sesClient } from '../integrations/aws/ses.ts';
import { sfnClient } from '../integrations/aws/sfn.ts';
import { webhookStartingFromEnv } from '../integrations/aws/webhookStarting.ts';
import { registry, settings } from '../integrations/registryFromEnv.ts';
import { requiredSetting } from '../integrations/settings.ts';
import { announceAfterChange } from '../notifications/announce.ts';
import { deliverOutbox } from '../notifications/outbox.ts';
import { idempotencyStore } from './idempotency.ts';
import type { OperatorApiDependencies, RequestLogger } from './requestContext.ts';

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

/**
 * What the operator API's routes need, from the function's environment (read at cold start): the
 * operator API's own function and the console's, whose actions go through the same routes.
 */
export function operatorApiDependencies(logger: RequestLogger): OperatorApiDependencies {
  const senderAddress = requiredSetting('SENDER_ADDRESS');
  const consoleUrl = requiredSetting('CONSOLE_URL');
  const clock = () => new Date();
  const events = eventPublishingFromEnv();
  const webhooks = webhookStartingFromEnv();
  return {
    registry,
    secretsManager: secretsManagerClient,
    sfn: sfnClient,
    clock,
    rotationStateMachineArn: requiredSetting('ROTATION_STATE_MACHINE_ARN'),
    rotationFunctionArn: requiredSetting('ROTATION_HOOK_ARN'),
    secretNamePrefix: requiredSetting('SECRET_NAME_PREFIX'),
    tokenPrefix: settings.tokenPrefix,
    appDefaults: readAppDefaults(),
    deliver: (appId) =>
      deliverOutbox(
        {
          registry,
          ses: sesClient,
          senderAddress,
          consoleUrl,
          clock,
          ...(events ? { events } : {}),
          ...(webhooks ? { webhooks } : {}),
        },
        appId,
      ),
    logger,
    announce: (announcement) =>
      announceAfterChange(
        { registry, ...(events ? { events } : {}), ...(webhooks ? { webhooks } : {}) },
        [announcement],
        logger,
      ),
    hubspotApiUrl: process.env.HUBSPOT_API_URL || DEFAULT_HUBSPOT_API_URL,
    idempotency: idempotencyStore({ tableName: settings.tableName, client: dynamoDbClient }),
  };
}
