import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../local/clock.ts';
import { type LocalDynamoDb, startLocalDynamoDb } from '../../local/dynamodb.ts';
import {
  type RunningSecretsManagerEmulator,
  startSecretsManagerEmulator,
} from '../../local/secrets-manager/emulator.ts';
import { type StrictSes, startStrictSes } from '../../local/ses/strictSes.ts';
import {
  type RunningLocalStepFunctions,
  startLocalStepFunctions,
} from '../../local/step-functions/service.ts';

/**
 * Local mode's clock runs days ahead of the wall clock. The stand-ins stamp their answers with that
 * time: the AWS SDK compares the `Date` of an answer with its own clock and, more than four minutes
 * apart, "corrects the skew" and retries even a 4xx answer (a failed condition, a missing resource)
 * until its attempts run out. Against AWS, whose clocks agree, each such answer is final at once.
 */
let clock: VirtualClock;
let dynamo: LocalDynamoDb;
let secretsManager: RunningSecretsManagerEmulator;
let stepFunctions: RunningLocalStepFunctions;
let ses: StrictSes;

beforeAll(async () => {
  clock = VirtualClock.install({ speed: 1, start: new Date(Date.now() + 3 * 86_400_000) });
  dynamo = await startLocalDynamoDb();
  secretsManager = await startSecretsManagerEmulator({ region: 'eu-central-1' });
  stepFunctions = await startLocalStepFunctions({ stateMachines: [], invokeFunction: async () => ({}) });
  ses = await startStrictSes();
});

afterAll(async () => {
  await ses?.close();
  await stepFunctions?.close();
  await secretsManager?.close();
  await dynamo?.close();
  clock?.uninstall();
});

/** How many attempts the SDK (3 at most, its default) made before it gave up on a refused call. */
async function attemptsOf(call: Promise<unknown>): Promise<number | undefined> {
  const error = (await call.then(
    () => undefined,
    (caught: unknown) => caught,
  )) as { $metadata?: { attempts?: number } } | undefined;
  return error?.$metadata?.attempts;
}

describe('Local stand-ins on a virtual clock', () => {
  it('answer a refused call once: the SDK sees no clock skew and does not retry a 4xx', async () => {
    // Prepare
    const config = (endpoint: string) => ({
      region: 'eu-central-1',
      endpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 3,
    });

    // Act
    const attempts = {
      dynamodb: await attemptsOf(
        new DynamoDBClient(config(dynamo.url)).send(new DescribeTableCommand({ TableName: 'absent' })),
      ),
      secretsManager: await attemptsOf(
        new SecretsManagerClient(config(secretsManager.url)).send(
          new DescribeSecretCommand({ SecretId: 'absent' }),
        ),
      ),
      stepFunctions: await attemptsOf(
        new SFNClient(config(stepFunctions.url)).send(
          new DescribeExecutionCommand({
            executionArn: 'arn:aws:states:eu-central-1:123456789012:execution:absent:absent',
          }),
        ),
      ),
      ses: await attemptsOf(
        new SESClient(config(ses.url)).send(
          new SendEmailCommand({
            Source: 'rotor@example.com',
            Destination: { ToAddresses: ['not an address'] },
            Message: { Subject: { Data: 'hello' }, Body: { Text: { Data: 'body' } } },
          }),
        ),
      ),
    };

    // Assess
    expect(attempts).toEqual({ dynamodb: 1, secretsManager: 1, stepFunctions: 1, ses: 1 });
  });
});
