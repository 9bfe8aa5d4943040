import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import { ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamoDb, startLocalDynamoDb } from '../../local/dynamodb.ts';
import { localFaults } from '../../local/faults.ts';
import { invokeLocalFunction } from '../../local/lambda/runtime.ts';
import {
  type RunningSecretsManagerEmulator,
  startSecretsManagerEmulator,
} from '../../local/secrets-manager/emulator.ts';
import type { StrictSes } from '../../local/ses/strictSes.ts';
import {
  type RunningLocalStepFunctions,
  startLocalStepFunctions,
} from '../../local/step-functions/service.ts';
import { startSesWithClient } from '../support/ses.ts';

/**
 * Local mode's planned faults (local/faults.ts), as the model-based test uses them: each stand-in answers
 * the next planned calls as AWS answers an outage, then serves again; a function told to crash dies
 * after its k-th AWS call as a Lambda runtime does.
 */
const SPARED = 'spared-observer';
const credentials = (accessKeyId: string) => ({ accessKeyId, secretAccessKey: 'local' });
let dynamo: LocalDynamoDb;
let secretsManager: RunningSecretsManagerEmulator;
let stepFunctions: RunningLocalStepFunctions;
let ses: { ses: StrictSes; client: SESClient };

beforeAll(async () => {
  dynamo = await startLocalDynamoDb();
  secretsManager = await startSecretsManagerEmulator({ region: 'eu-central-1' });
  stepFunctions = await startLocalStepFunctions({
    stateMachines: [],
    invokeFunction: async () => ({}),
  });
  ses = await startSesWithClient();
  localFaults.spare(SPARED);
});

afterEach(() => localFaults.clear());

afterAll(async () => {
  await ses?.ses.close();
  await stepFunctions?.close();
  await secretsManager?.close();
  await dynamo?.close();
});

/** Clients that try once, so a test sees each answer. */
function clients(accessKeyId: string) {
  const config = { region: 'eu-central-1', credentials: credentials(accessKeyId), maxAttempts: 1 };
  return {
    dynamodb: () => new DynamoDBClient({ ...config, endpoint: dynamo.url }).send(new ListTablesCommand({})),
    secretsManager: () =>
      new SecretsManagerClient({ ...config, endpoint: secretsManager.url }).send(new ListSecretsCommand({})),
    stepFunctions: () =>
      new SFNClient({ ...config, endpoint: stepFunctions.url }).send(new ListStateMachinesCommand({})),
    ses: () =>
      ses.client.send(
        new SendEmailCommand({
          Source: 'rotor@example.com',
          Destination: { ToAddresses: ['admin@example.com'] },
          Message: { Subject: { Data: 'hello' }, Body: { Text: { Data: 'body' } } },
        }),
      ),
  };
}

async function outcome(call: () => Promise<unknown>) {
  try {
    await call();
    return 'ok';
  } catch (error) {
    const { name, $metadata } = error as Error & { $metadata?: { httpStatusCode?: number } };
    return `${name} ${$metadata?.httpStatusCode}`;
  }
}

describe('Local faults: planned throttling and 5xx', () => {
  it.each([
    ['dynamodb', 'ThrottlingException 400', 'InternalFailure 500'],
    ['secretsManager', 'ThrottlingException 400', 'InternalServiceError 500'],
    ['stepFunctions', 'ThrottlingException 400', 'InternalFailure 500'],
    ['ses', 'Throttling 400', 'ServiceUnavailable 503'],
  ] as const)(
    '%s answers the planned calls as AWS does, then serves again',
    async (service, throttled, failed) => {
      // Prepare
      const call = clients('local')[service];
      localFaults.failNext(service, 'throttling', 1);
      localFaults.failNext(service, 'server-error', 1);

      // Act
      const answers = [await outcome(call), await outcome(call), await outcome(call)];

      // Assess
      expect(answers).toEqual([throttled, failed, 'ok']);
    },
  );

  it('never fails a call signed with a spared access key, and leaves the fault for the next caller', async () => {
    // Prepare
    localFaults.failNext('secretsManager', 'throttling', 1);

    // Act
    const spared = await outcome(clients(SPARED).secretsManager);
    const other = await outcome(clients('local').secretsManager);

    // Assess
    expect([spared, other]).toEqual(['ok', 'ThrottlingException 400']);
  });
});

describe('Local faults: a crashed Lambda', () => {
  /**
   * The sweep's first task, three AWS calls per invocation with no app due (the batches it started, none;
   * the due apps; the token ages), in its own execution environment.
   */
  const findDueApps = () =>
    invokeLocalFunction(
      'find-due-apps',
      {
        AWS_REGION: 'eu-central-1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_ENDPOINT_URL_DYNAMODB: process.env.AWS_ENDPOINT_URL_DYNAMODB ?? '',
        AWS_ENDPOINT_URL_SFN: stepFunctions.url,
        TABLE_NAME: process.env.TABLE_NAME ?? '',
        SWEEP_BATCH_STATE_MACHINE_ARN: 'arn:aws:states:eu-central-1:123456789012:stateMachine:faults-batches',
        SES_SEND_RATE: '14',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        POWERTOOLS_METRICS_DISABLED: 'true',
      },
      {
        execution: 'arn:aws:states:eu-central-1:123456789012:execution:faults-sweep:today',
        executionName: 'today',
        // Long ago: nothing of the other tests in this table is due then, so no batch is started.
        startedAt: '2000-01-01T00:00:00.000Z',
      },
    ).then(
      () => 'ok',
      (error: Error) => `${error.name}: ${error.message}`,
    );

  it('dies after its k-th AWS call as Runtime.ExitError, and the next invocation runs in a fresh environment', async () => {
    // Prepare
    const crashed = "Runtime.ExitError: the function's runtime exited with code 1";

    // Act
    localFaults.crashNext('find-due-apps', 0);
    const beforeFirstCall = await findDueApps();
    localFaults.crashNext('find-due-apps', 1);
    const afterItsQuery = await findDueApps();
    localFaults.crashNext('find-due-apps', 1000);
    const neverReached = await findDueApps();
    const unplanned = await findDueApps();

    // Assess
    expect([beforeFirstCall, afterItsQuery, neverReached, unplanned]).toEqual([crashed, crashed, 'ok', 'ok']);
  });
});
