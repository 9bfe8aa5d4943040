import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createRegistryTable, startLocalDynamoDb } from '../../local/dynamodb.ts';
import { localBundles } from '../../local/lambda/bundles.ts';
import { startSecretsManagerEmulator } from '../../local/secrets-manager/emulator.ts';
import { startLocalStepFunctions } from '../../local/step-functions/service.ts';
import { synthesizeTemplate } from '../../local/template.ts';
import {
  TEST_HOOK_ARN,
  TEST_MANUAL_ARN,
  TEST_REGION,
  TEST_ROTATION_WORKFLOW_ARN,
  TEST_TABLE,
  TEST_TOKEN_PREFIX,
} from './environment.ts';

/**
 * Starts the stand-ins once per test run on 127.0.0.1 and free ports: dynalite with the registry
 * table, the Secrets Manager emulator, whose RotateSecret calls the real rotation hook, and a local
 * Step Functions service with a one-state stand-in for the rotation workflow (the hook hands a
 * rotation that Secrets Manager started to that workflow; the workflow tests run the real one). Code
 * under test reaches them only through the SDK's AWS_ENDPOINT_URL_* variables, which the test
 * workers inherit.
 */
export default async function setup(): Promise<() => Promise<void>> {
  // The synthesized templates and the local Lambda bundles are kept on disk under a hash of the code;
  // made once here, before the test files start, instead of by several files at once on a fresh clone.
  await Promise.all([synthesizeTemplate(), synthesizeTemplate({ region: TEST_REGION }), localBundles()]);
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
    // The functions' metric lines (EMF) would crowd the test output; the metric tests make their own
    // Metrics with test/support/metrics.ts and read what it prints.
    POWERTOOLS_METRICS_DISABLED: 'true',
    // The Lambda runtime is Node.js 24; this machine's Node.js 20 is only for the tests.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  await createRegistryTable(new DynamoDBClient({}), TEST_TABLE);

  const secretsManager = await startSecretsManagerEmulator({
    region: TEST_REGION,
    // Tests that drive the steps by hand make RotateSecret "fail" on purpose; the hook's own
    // errors reach the tests that expect them.
    onRotationError: () => {},
    // A failed rotation is retried as on AWS; a short wait keeps the tests that fail one quick.
    rotationRetryDelayMs: 20,
    invokeRotationFunction: async (functionArn, event) => {
      if (functionArn === TEST_MANUAL_ARN) return undefined;
      if (functionArn !== TEST_HOOK_ARN) throw new Error(`no local function ${functionArn}`);
      const { handler } = await import('../../lambda/rotation-hook/index.ts');
      return handler(event);
    },
  });
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secretsManager.url;

  const stepFunctions = await startLocalStepFunctions({
    region: TEST_REGION,
    stateMachines: [
      {
        name: 'rotor-rotation-stand-in',
        arn: TEST_ROTATION_WORKFLOW_ARN,
        definition: { StartAt: 'HandedOver', States: { HandedOver: { Type: 'Succeed' } } },
      },
    ],
    invokeFunction: async (functionArn) => {
      throw new Error(`no local function ${functionArn}`);
    },
  });
  process.env.AWS_ENDPOINT_URL_SFN = stepFunctions.url;
  process.env.ROTATION_STATE_MACHINE_ARN = TEST_ROTATION_WORKFLOW_ARN;

  return async () => {
    await stepFunctions.close();
    await secretsManager.close();
    await dynamo.close();
  };
}
