import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createRegistryTable, startLocalDynamoDb } from '../../local/dynamodb.ts';
import { startSecretsManagerEmulator } from '../../local/secrets-manager/emulator.ts';
import { TEST_HOOK_ARN, TEST_MANUAL_ARN, TEST_REGION, TEST_TABLE, TEST_TOKEN_PREFIX } from './environment.ts';

/**
 * Starts the stand-ins once per test run on 127.0.0.1 and free ports: dynalite with the registry
 * table, and the Secrets Manager emulator, whose RotateSecret calls the real rotation hook. Code
 * under test reaches them only through the SDK's AWS_ENDPOINT_URL_* variables, which the test
 * workers inherit.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const dynamo = await startLocalDynamoDb();
  Object.assign(process.env, {
    AWS_REGION: TEST_REGION,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
    TABLE_NAME: TEST_TABLE,
    TOKEN_PREFIX: TEST_TOKEN_PREFIX,
    POWERTOOLS_LOG_LEVEL: 'WARN',
    POWERTOOLS_DEV: 'false',
    // The Lambda runtime is Node.js 24; this machine's Node.js 20 is only for the tests.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  await createRegistryTable(new DynamoDBClient({}), TEST_TABLE);

  const secretsManager = await startSecretsManagerEmulator({
    region: TEST_REGION,
    // Tests that drive the steps by hand make RotateSecret "fail" on purpose; the hook's own
    // errors reach the tests that expect them.
    onRotationError: () => {},
    invokeRotationFunction: async (functionArn, event) => {
      if (functionArn === TEST_MANUAL_ARN) return undefined;
      if (functionArn !== TEST_HOOK_ARN) throw new Error(`no local function ${functionArn}`);
      const { handler } = await import('../../lambda/rotation-hook/index.ts');
      return handler(event);
    },
  });
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secretsManager.url;

  return async () => {
    await secretsManager.close();
    await dynamo.close();
  };
}
