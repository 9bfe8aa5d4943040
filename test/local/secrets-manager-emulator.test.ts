import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CancelRotateSecretCommand,
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  InvalidParameterException,
  InvalidRequestException,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  RestoreSecretCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type RotationEvent,
  type RunningSecretsManagerEmulator,
  type SecretsManagerEmulatorOptions,
  startSecretsManagerEmulator,
} from '../../local/secrets-manager/emulator.ts';

const REGION = 'eu-central-1';
const ACCOUNT = '123456789012';
const ROTATION_FUNCTION_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:rotate-token`;
const DAY_MS = 86_400_000;

/** The virtual clock the emulator reads; tests move it forward. */
let now = Date.parse('2030-01-01T09:00:00Z');
const advance = (ms: number): void => {
  now += ms;
};

type RotationFunction = (functionArn: string, event: RotationEvent) => Promise<unknown>;
/** What the emulator's invokeRotationFunction runs; each rotation test installs its own. */
let rotationFunction: RotationFunction = async () => {
  throw new Error('no rotation function installed by this test');
};

let emulator: RunningSecretsManagerEmulator;
let client: SecretsManagerClient;
let temporaryDir: string;

function clientFor(url: string): SecretsManagerClient {
  return new SecretsManagerClient({
    region: REGION,
    endpoint: url,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
}

function startEmulator(extra: SecretsManagerEmulatorOptions = {}): Promise<RunningSecretsManagerEmulator> {
  return startSecretsManagerEmulator({
    region: REGION,
    accountId: ACCOUNT,
    clock: () => new Date(now),
    // Failed steps are asserted through rotationErrors; keep the test output clean.
    onRotationError: () => {},
    rotationRetryDelayMs: 5,
    ...extra,
  });
}

type ErrorClass = new (...args: never[]) => Error;

/** Awaits a call that must fail with the given SDK exception as an HTTP 400. */
async function failure(call: Promise<unknown>, errorClass: ErrorClass): Promise<Error> {
  const error = await call.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(errorClass);
  expect(error).toMatchObject({ name: errorClass.name, $metadata: { httpStatusCode: 400 } });
  return error as Error;
}

async function createSecret(name: string, value = `${name}-v1`) {
  return client.send(new CreateSecretCommand({ Name: name, SecretString: value }));
}

async function stagesOf(secretId: string): Promise<Record<string, string[]>> {
  return (await client.send(new DescribeSecretCommand({ SecretId: secretId }))).VersionIdsToStages ?? {};
}

/**
 * A rotation function that behaves like AWS's rotation template: it checks the version is staged as
 * AWSPENDING, createSecret puts the new value as AWSPENDING, finishSecret moves AWSCURRENT to it.
 * `failIn` makes that step throw, as a function whose service refuses the new credential.
 */
function templateRotationFunction(calls: RotationEvent[], failIn?: RotationEvent['Step']): RotationFunction {
  return async (_functionArn, event) => {
    calls.push(event);
    const { SecretId: arn, ClientRequestToken: token, Step: step } = event;
    const metadata = await client.send(new DescribeSecretCommand({ SecretId: arn }));
    if (!metadata.RotationEnabled) throw new Error(`Secret ${arn} is not enabled for rotation`);
    const stages = metadata.VersionIdsToStages?.[token];
    if (stages === undefined) throw new Error(`Secret version ${token} has no stage for rotation of ${arn}`);
    if (stages.includes('AWSCURRENT')) return;
    if (!stages.includes('AWSPENDING')) throw new Error(`Secret version ${token} is not AWSPENDING`);
    if (step === failIn) throw new Error(`${step}: the service refused the new credential`);
    if (step === 'createSecret') {
      await client.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: 'AWSCURRENT' }));
      try {
        await client.send(
          new GetSecretValueCommand({ SecretId: arn, VersionId: token, VersionStage: 'AWSPENDING' }),
        );
      } catch (error) {
        if (!(error instanceof ResourceNotFoundException)) throw error;
        await client.send(
          new PutSecretValueCommand({
            SecretId: arn,
            ClientRequestToken: token,
            SecretString: `rotated-${token}`,
            VersionStages: ['AWSPENDING'],
          }),
        );
      }
    }
    if (step === 'finishSecret') {
      const current = Object.entries(metadata.VersionIdsToStages ?? {}).find(([, labels]) =>
        labels.includes('AWSCURRENT'),
      )?.[0];
      await client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: arn,
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: token,
          RemoveFromVersionId: current,
        }),
      );
    }
  };
}

beforeAll(async () => {
  temporaryDir = mkdtempSync(join(tmpdir(), 'secrets-manager-emulator-'));
  emulator = await startEmulator({ invokeRotationFunction: (arn, event) => rotationFunction(arn, event) });
  client = clientFor(emulator.url);
});

afterAll(async () => {
  client?.destroy();
  await emulator?.close();
  rmSync(temporaryDir, { recursive: true, force: true });
});

describe('Secrets Manager emulator: creating and reading secrets', () => {
  it('finds a secret by name, full ARN and partial ARN', async () => {
    // Act
    const created = await createSecret('app/alpha', 'alpha-secret');

    // Assess
    expect(created.ARN).toMatch(
      new RegExp(`^arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:app/alpha-[A-Za-z0-9]{6}$`),
    );
    const partialArn = created.ARN?.slice(0, -7) ?? '';
    for (const secretId of ['app/alpha', created.ARN ?? '', partialArn]) {
      const described = await client.send(new DescribeSecretCommand({ SecretId: secretId }));
      expect(described).toMatchObject({ ARN: created.ARN, Name: 'app/alpha' });
      expect(described.VersionIdsToStages).toEqual({ [created.VersionId ?? '']: ['AWSCURRENT'] });
      expect(described.CreatedDate?.getTime()).toBe(now);
      const value = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
      expect(value).toMatchObject({
        ARN: created.ARN,
        Name: 'app/alpha',
        VersionId: created.VersionId,
        SecretString: 'alpha-secret',
        VersionStages: ['AWSCURRENT'],
      });
    }
  });

  it('omits the fields that have no value, as AWS does: RotationEnabled until rotation is configured', async () => {
    // Prepare
    const created = await createSecret('app/plain', 'plain-secret');

    // Act
    const described = await client.send(new DescribeSecretCommand({ SecretId: 'app/plain' }));
    const listed = await client.send(
      new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['app/plain'] }] }),
    );

    // Assess
    const { $metadata: _metadata, ...fields } = described;
    expect(Object.keys(fields).sort()).toEqual(
      ['ARN', 'CreatedDate', 'LastChangedDate', 'Name', 'VersionIdsToStages'].sort(),
    );
    expect(described.RotationEnabled).toBeUndefined();
    expect(listed.SecretList).toHaveLength(1);
    expect(Object.keys(listed.SecretList?.[0] ?? {}).sort()).toEqual(
      ['ARN', 'CreatedDate', 'LastChangedDate', 'Name', 'SecretVersionsToStages'].sort(),
    );
    expect(listed.SecretList?.[0]?.ARN).toBe(created.ARN);
  });

  it('answers ResourceNotFoundException for a secret that does not exist', async () => {
    await failure(
      client.send(new GetSecretValueCommand({ SecretId: 'no/such/secret' })),
      ResourceNotFoundException,
    );
    await failure(
      client.send(
        new DescribeSecretCommand({
          SecretId: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:nope-AbCdEf`,
        }),
      ),
      ResourceNotFoundException,
    );
  });

  it('refuses a second secret with the same name', async () => {
    await createSecret('app/duplicate');

    await failure(createSecret('app/duplicate', 'other'), ResourceExistsException);
  });
});

describe('Secrets Manager emulator: versions and staging labels', () => {
  it('treats PutSecretValue with the same token and value as a retry, and refuses another value', async () => {
    // Prepare
    await createSecret('app/idempotent');
    const token = '11111111-2222-3333-4444-555555555555';
    const first = await client.send(
      new PutSecretValueCommand({
        SecretId: 'app/idempotent',
        ClientRequestToken: token,
        SecretString: 'v2',
      }),
    );
    const stagesBefore = await stagesOf('app/idempotent');

    // Act
    const retry = await client.send(
      new PutSecretValueCommand({
        SecretId: 'app/idempotent',
        ClientRequestToken: token,
        SecretString: 'v2',
      }),
    );

    // Assess
    expect(retry.VersionId).toBe(first.VersionId);
    expect(await stagesOf('app/idempotent')).toEqual(stagesBefore);
    const versions = await client.send(
      new ListSecretVersionIdsCommand({ SecretId: 'app/idempotent', IncludeDeprecated: true }),
    );
    expect(versions.Versions).toHaveLength(2);
    await failure(
      client.send(
        new PutSecretValueCommand({
          SecretId: 'app/idempotent',
          ClientRequestToken: token,
          SecretString: 'v3',
        }),
      ),
      ResourceExistsException,
    );
    const current = await client.send(new GetSecretValueCommand({ SecretId: 'app/idempotent' }));
    expect(current.SecretString).toBe('v2');
  });

  it('moves AWSPREVIOUS to the old current version when PutSecretValue makes a new one current', async () => {
    // Prepare
    const v1 = (await createSecret('app/previous', 'one')).VersionId ?? '';

    // Act
    const v2 =
      (await client.send(new PutSecretValueCommand({ SecretId: 'app/previous', SecretString: 'two' })))
        .VersionId ?? '';
    const v3 = await client.send(
      new PutSecretValueCommand({ SecretId: 'app/previous', SecretString: 'three' }),
    );

    // Assess
    expect(v3.VersionStages).toEqual(['AWSCURRENT']);
    expect(await stagesOf('app/previous')).toEqual({
      [v2]: ['AWSPREVIOUS'],
      [v3.VersionId ?? '']: ['AWSCURRENT'],
    });
    const previous = await client.send(
      new GetSecretValueCommand({ SecretId: 'app/previous', VersionStage: 'AWSPREVIOUS' }),
    );
    expect(previous.SecretString).toBe('two');
    const oldest = await client.send(new GetSecretValueCommand({ SecretId: 'app/previous', VersionId: v1 }));
    expect(oldest).toMatchObject({ SecretString: 'one', VersionStages: [] });
    await failure(
      client.send(
        new GetSecretValueCommand({ SecretId: 'app/previous', VersionId: v1, VersionStage: 'AWSCURRENT' }),
      ),
      ResourceNotFoundException,
    );
  });

  it('puts a custom label on the new version only and leaves AWSCURRENT where it is', async () => {
    const v1 = (await createSecret('app/custom-label', 'one')).VersionId ?? '';
    const staged = await client.send(
      new PutSecretValueCommand({
        SecretId: 'app/custom-label',
        SecretString: 'two',
        VersionStages: ['STAGED'],
      }),
    );
    const restaged = await client.send(
      new PutSecretValueCommand({
        SecretId: 'app/custom-label',
        SecretString: 'three',
        VersionStages: ['STAGED'],
      }),
    );

    expect(await stagesOf('app/custom-label')).toEqual({
      [v1]: ['AWSCURRENT'],
      [restaged.VersionId ?? '']: ['STAGED'],
    });
    const versions = await client.send(new ListSecretVersionIdsCommand({ SecretId: 'app/custom-label' }));
    expect(versions.Versions?.map((version) => version.VersionId)).not.toContain(staged.VersionId);
  });

  it('moves AWSPREVIOUS with AWSCURRENT in UpdateSecretVersionStage and updates LastChangedDate', async () => {
    // Prepare
    const v1 = (await createSecret('app/move', 'one')).VersionId ?? '';
    const v2 =
      (await client.send(new PutSecretValueCommand({ SecretId: 'app/move', SecretString: 'two' })))
        .VersionId ?? '';
    advance(60_000);

    // Act: roll back to v1
    await client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: 'app/move',
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: v1,
        RemoveFromVersionId: v2,
      }),
    );

    // Assess
    const described = await client.send(new DescribeSecretCommand({ SecretId: 'app/move' }));
    expect(described.VersionIdsToStages).toEqual({ [v1]: ['AWSCURRENT'], [v2]: ['AWSPREVIOUS'] });
    expect(described.LastChangedDate?.getTime()).toBe(now);
    const current = await client.send(new GetSecretValueCommand({ SecretId: 'app/move' }));
    expect(current.SecretString).toBe('one');
  });

  it('refuses to take a label from another version unless RemoveFromVersionId names it', async () => {
    // Prepare
    const v1 = (await createSecret('app/conflict', 'one')).VersionId ?? '';
    const v2 =
      (
        await client.send(
          new PutSecretValueCommand({
            SecretId: 'app/conflict',
            SecretString: 'two',
            VersionStages: ['STAGED'],
          }),
        )
      ).VersionId ?? '';

    // Act + Assess
    await failure(
      client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: 'app/conflict',
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: v2,
        }),
      ),
      InvalidParameterException,
    );
    await failure(
      client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: 'app/conflict',
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: v2,
          RemoveFromVersionId: v2,
        }),
      ),
      InvalidParameterException,
    );
    expect(await stagesOf('app/conflict')).toEqual({ [v1]: ['AWSCURRENT'], [v2]: ['STAGED'] });
  });

  it('answers ResourceNotFoundException for a version that does not exist', async () => {
    const v1 = (await createSecret('app/unknown-version')).VersionId ?? '';
    const unknown = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';

    await failure(
      client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: 'app/unknown-version',
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: unknown,
          RemoveFromVersionId: v1,
        }),
      ),
      ResourceNotFoundException,
    );
    await failure(
      client.send(new GetSecretValueCommand({ SecretId: 'app/unknown-version', VersionId: unknown })),
      ResourceNotFoundException,
    );
  });

  it('lists deprecated versions only with IncludeDeprecated', async () => {
    // Prepare: v1 ends up without labels
    const v1 = (await createSecret('app/list-versions', 'one')).VersionId ?? '';
    const v2 = (
      await client.send(new PutSecretValueCommand({ SecretId: 'app/list-versions', SecretString: 'two' }))
    ).VersionId;
    const v3 = (
      await client.send(new PutSecretValueCommand({ SecretId: 'app/list-versions', SecretString: 'three' }))
    ).VersionId;

    // Act
    const labelled = await client.send(new ListSecretVersionIdsCommand({ SecretId: 'app/list-versions' }));
    const all = await client.send(
      new ListSecretVersionIdsCommand({ SecretId: 'app/list-versions', IncludeDeprecated: true }),
    );

    // Assess
    expect(labelled.Versions?.map((version) => [version.VersionId, version.VersionStages]).sort()).toEqual(
      [
        [v2, ['AWSPREVIOUS']],
        [v3, ['AWSCURRENT']],
      ].sort(),
    );
    expect(all.Versions?.map((version) => version.VersionId).sort()).toEqual([v1, v2, v3].sort());
    expect(all.Versions?.find((version) => version.VersionId === v1)?.CreatedDate).toBeInstanceOf(Date);
  });
});

describe('Secrets Manager emulator: rotation', () => {
  it('runs the four steps in order with one token, then records the rotation', async () => {
    // Prepare
    const created = await createSecret('app/rotated', 'original');
    const calls: RotationEvent[] = [];
    rotationFunction = templateRotationFunction(calls);
    advance(DAY_MS);

    // Act
    const rotated = await client.send(
      new RotateSecretCommand({
        SecretId: 'app/rotated',
        RotationLambdaARN: ROTATION_FUNCTION_ARN,
        RotationRules: { AutomaticallyAfterDays: 30 },
      }),
    );
    await emulator.whenRotationSettled('app/rotated');

    // Assess
    expect(calls.map((call) => call.Step)).toEqual([
      'createSecret',
      'setSecret',
      'testSecret',
      'finishSecret',
    ]);
    expect(new Set(calls.map((call) => call.ClientRequestToken))).toEqual(new Set([rotated.VersionId]));
    expect(calls.every((call) => call.SecretId === created.ARN)).toBe(true);
    const described = await client.send(new DescribeSecretCommand({ SecretId: 'app/rotated' }));
    expect(described).toMatchObject({
      RotationEnabled: true,
      RotationLambdaARN: ROTATION_FUNCTION_ARN,
      RotationRules: { AutomaticallyAfterDays: 30 },
    });
    expect(described.LastRotatedDate?.getTime()).toBe(now);
    expect(described.NextRotationDate?.getTime()).toBe(now + 30 * DAY_MS);
    expect(described.VersionIdsToStages?.[created.VersionId ?? '']).toEqual(['AWSPREVIOUS']);
    expect(described.VersionIdsToStages?.[rotated.VersionId ?? '']).toContain('AWSCURRENT');
    const current = await client.send(new GetSecretValueCommand({ SecretId: 'app/rotated' }));
    expect(current.SecretString).toBe(`rotated-${rotated.VersionId}`);
  });

  it('answers RotateSecret before the rotation function runs, then runs the steps in the background', async () => {
    // Prepare: a rotation function whose createSecret waits until the test lets it go on
    const created = await createSecret('app/async', 'original');
    const calls: RotationEvent[] = [];
    const template = templateRotationFunction(calls);
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    rotationFunction = async (arn, event) => {
      if (event.Step === 'createSecret') await released;
      return template(arn, event);
    };

    // Act
    const rotated = await client.send(
      new RotateSecretCommand({ SecretId: 'app/async', RotationLambdaARN: ROTATION_FUNCTION_ARN }),
    );

    // Assess: the answer came while createSecret had not done anything yet
    expect(calls).toEqual([]);
    expect(await stagesOf('app/async')).toEqual({
      [created.VersionId ?? '']: ['AWSCURRENT'],
      [rotated.VersionId ?? '']: ['AWSPENDING'],
    });
    expect((await client.send(new GetSecretValueCommand({ SecretId: 'app/async' }))).SecretString).toBe(
      'original',
    );
    release();
    await emulator.whenRotationSettled(created.ARN ?? '');
    expect(calls.map((call) => call.Step)).toEqual([
      'createSecret',
      'setSecret',
      'testSecret',
      'finishSecret',
    ]);
    expect((await stagesOf('app/async'))[rotated.VersionId ?? '']).toContain('AWSCURRENT');
  });

  it('retries a rotation whose step failed once, from createSecret with the same token', async () => {
    // Prepare: setSecret fails the first time only, as a service that was briefly unreachable
    const created = await createSecret('app/flaky', 'original');
    const calls: RotationEvent[] = [];
    const template = templateRotationFunction(calls);
    let failures = 0;
    rotationFunction = async (arn, event) => {
      if (event.Step === 'setSecret' && failures === 0) {
        failures += 1;
        calls.push(event);
        throw new Error('setSecret: the service is unreachable');
      }
      return template(arn, event);
    };
    const errorsBefore = emulator.rotationErrors.length;

    // Act
    const rotated = await client.send(
      new RotateSecretCommand({ SecretId: 'app/flaky', RotationLambdaARN: ROTATION_FUNCTION_ARN }),
    );
    await emulator.whenRotationSettled('app/flaky');

    // Assess
    expect(calls.map((call) => call.Step)).toEqual([
      'createSecret',
      'setSecret',
      'createSecret',
      'setSecret',
      'testSecret',
      'finishSecret',
    ]);
    expect(new Set(calls.map((call) => call.ClientRequestToken))).toEqual(new Set([rotated.VersionId]));
    expect(emulator.rotationErrors.slice(errorsBefore)).toEqual([
      {
        secretArn: created.ARN,
        step: 'setSecret',
        message: 'setSecret: the service is unreachable',
        attempt: 1,
        final: false,
      },
    ]);
    const stages = await stagesOf('app/flaky');
    expect(stages[created.VersionId ?? '']).toEqual(['AWSPREVIOUS']);
    expect(stages[rotated.VersionId ?? '']).toContain('AWSCURRENT');
    const described = await client.send(new DescribeSecretCommand({ SecretId: 'app/flaky' }));
    expect(described.LastRotatedDate?.getTime()).toBe(now);
  });

  it('retries a failing rotation a bounded number of times, then leaves AWSPENDING and refuses a new rotation', async () => {
    // Prepare
    const created = await createSecret('app/failing', 'original');
    const calls: RotationEvent[] = [];
    rotationFunction = templateRotationFunction(calls, 'setSecret');
    const errorsBefore = emulator.rotationErrors.length;

    // Act
    const rotated = await client.send(
      new RotateSecretCommand({ SecretId: 'app/failing', RotationLambdaARN: ROTATION_FUNCTION_ARN }),
    );
    await emulator.whenRotationSettled('app/failing');

    // Assess: three attempts in all, each from createSecret with the same token
    expect(calls.map((call) => call.Step)).toEqual([
      'createSecret',
      'setSecret',
      'createSecret',
      'setSecret',
      'createSecret',
      'setSecret',
    ]);
    expect(new Set(calls.map((call) => call.ClientRequestToken))).toEqual(new Set([rotated.VersionId]));
    expect(emulator.rotationErrors.slice(errorsBefore)).toEqual(
      [1, 2, 3].map((attempt) => ({
        secretArn: created.ARN,
        step: 'setSecret',
        message: 'setSecret: the service refused the new credential',
        attempt,
        final: attempt === 3,
      })),
    );
    const described = await client.send(new DescribeSecretCommand({ SecretId: 'app/failing' }));
    expect(described.LastRotatedDate).toBeUndefined();
    expect(described.VersionIdsToStages).toEqual({
      [created.VersionId ?? '']: ['AWSCURRENT'],
      [rotated.VersionId ?? '']: ['AWSPENDING'],
    });
    expect((await client.send(new GetSecretValueCommand({ SecretId: 'app/failing' }))).SecretString).toBe(
      'original',
    );
    await failure(client.send(new RotateSecretCommand({ SecretId: 'app/failing' })), InvalidRequestException);
    await emulator.rotationsIdle();
    expect(calls).toHaveLength(6);
  });

  it('leaves an empty AWSPENDING version when createSecret fails', async () => {
    await createSecret('app/failing-create', 'original');
    rotationFunction = templateRotationFunction([], 'createSecret');

    const rotated = await client.send(
      new RotateSecretCommand({ SecretId: 'app/failing-create', RotationLambdaARN: ROTATION_FUNCTION_ARN }),
    );
    await emulator.whenRotationSettled('app/failing-create');

    expect((await stagesOf('app/failing-create'))[rotated.VersionId ?? '']).toEqual(['AWSPENDING']);
    await failure(
      client.send(new GetSecretValueCommand({ SecretId: 'app/failing-create', VersionStage: 'AWSPENDING' })),
      ResourceNotFoundException,
    );
  });

  it('refuses RotateSecret when no rotation function is configured', async () => {
    await createSecret('app/no-function');

    await failure(
      client.send(new RotateSecretCommand({ SecretId: 'app/no-function' })),
      InvalidRequestException,
    );
    const described = await client.send(new DescribeSecretCommand({ SecretId: 'app/no-function' }));
    expect(described.RotationEnabled).toBeUndefined();
  });

  it('refuses an immediate rotation when the emulator has no way to invoke the function', async () => {
    const bare = await startEmulator();
    const bareClient = clientFor(bare.url);
    try {
      await bareClient.send(new CreateSecretCommand({ Name: 'app/bare', SecretString: 'x' }));

      const error = await failure(
        bareClient.send(
          new RotateSecretCommand({ SecretId: 'app/bare', RotationLambdaARN: ROTATION_FUNCTION_ARN }),
        ),
        InvalidRequestException,
      );

      expect(error.message).toContain('invokeRotationFunction');
    } finally {
      bareClient.destroy();
      await bare.close();
    }
  });

  it('CancelRotateSecret turns rotation off, keeps the function and names the unfinished version', async () => {
    // Prepare: a rotation that failed in testSecret
    const created = await createSecret('app/cancel', 'original');
    rotationFunction = templateRotationFunction([], 'testSecret');
    const rotated = await client.send(
      new RotateSecretCommand({ SecretId: 'app/cancel', RotationLambdaARN: ROTATION_FUNCTION_ARN }),
    );
    await emulator.whenRotationSettled('app/cancel');

    // Act
    const cancelled = await client.send(new CancelRotateSecretCommand({ SecretId: 'app/cancel' }));

    // Assess
    expect(cancelled).toMatchObject({ ARN: created.ARN, Name: 'app/cancel', VersionId: rotated.VersionId });
    const described = await client.send(new DescribeSecretCommand({ SecretId: 'app/cancel' }));
    expect(described.RotationEnabled).toBe(false);
    expect(described.RotationLambdaARN).toBe(ROTATION_FUNCTION_ARN);

    // After removing AWSPENDING from the half-made version, as AWS advises, rotation can start again.
    await client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: 'app/cancel',
        VersionStage: 'AWSPENDING',
        RemoveFromVersionId: rotated.VersionId,
      }),
    );
    rotationFunction = templateRotationFunction([]);
    const again = await client.send(new RotateSecretCommand({ SecretId: 'app/cancel' }));
    await emulator.whenRotationSettled('app/cancel');
    expect((await stagesOf('app/cancel'))[again.VersionId ?? '']).toContain('AWSCURRENT');
  });
});

describe('Secrets Manager emulator: RotateSecret with RotateImmediately false', () => {
  it('tests the configuration with testSecret on an AWSPENDING version it then removes', async () => {
    // Prepare
    const created = await createSecret('app/trial', 'original');
    const calls: RotationEvent[] = [];
    const seen: Record<string, string[]>[] = [];
    const template = templateRotationFunction(calls);
    rotationFunction = async (arn, event) => {
      seen.push(await stagesOf(event.SecretId));
      return template(arn, event);
    };

    // Act
    const configured = await client.send(
      new RotateSecretCommand({
        SecretId: 'app/trial',
        RotationLambdaARN: ROTATION_FUNCTION_ARN,
        RotationRules: { AutomaticallyAfterDays: 30 },
        RotateImmediately: false,
      }),
    );
    await emulator.rotationsIdle();

    // Assess: only testSecret ran, on an empty AWSPENDING version that is gone afterwards
    expect(calls.map((call) => call.Step)).toEqual(['testSecret']);
    const trialVersion = calls[0]?.ClientRequestToken ?? '';
    expect(seen[0]).toEqual({ [created.VersionId ?? '']: ['AWSCURRENT'], [trialVersion]: ['AWSPENDING'] });
    expect(configured.VersionId).toBeUndefined();
    expect(await stagesOf('app/trial')).toEqual({ [created.VersionId ?? '']: ['AWSCURRENT'] });
    const versions = await client.send(
      new ListSecretVersionIdsCommand({ SecretId: 'app/trial', IncludeDeprecated: true }),
    );
    expect(versions.Versions?.map((version) => version.VersionId)).toEqual([created.VersionId]);
    const described = await client.send(new DescribeSecretCommand({ SecretId: 'app/trial' }));
    expect(described).toMatchObject({
      RotationEnabled: true,
      RotationLambdaARN: ROTATION_FUNCTION_ARN,
      RotationRules: { AutomaticallyAfterDays: 30 },
    });
    expect(described.LastRotatedDate).toBeUndefined();
  });

  it('refuses the configuration when the trial testSecret fails, and keeps the previous one', async () => {
    // Prepare
    const created = await createSecret('app/trial-fails', 'original');
    rotationFunction = templateRotationFunction([], 'testSecret');

    // Act
    const error = await failure(
      client.send(
        new RotateSecretCommand({
          SecretId: 'app/trial-fails',
          RotationLambdaARN: ROTATION_FUNCTION_ARN,
          RotateImmediately: false,
        }),
      ),
      InvalidRequestException,
    );

    // Assess
    expect(error.message).toContain('testSecret: the service refused the new credential');
    const described = await client.send(new DescribeSecretCommand({ SecretId: 'app/trial-fails' }));
    expect(described.RotationEnabled).toBeUndefined();
    expect(described.RotationLambdaARN).toBeUndefined();
    expect(described.VersionIdsToStages).toEqual({ [created.VersionId ?? '']: ['AWSCURRENT'] });
  });
});

describe('Secrets Manager emulator: deletion, tags and listing', () => {
  it('marks a secret for deletion, refuses reads until it is restored, and removes it after the window', async () => {
    // Prepare
    await createSecret('app/deleted', 'value');

    // Act
    const deleted = await client.send(
      new DeleteSecretCommand({ SecretId: 'app/deleted', RecoveryWindowInDays: 7 }),
    );

    // Assess
    expect(deleted.DeletionDate?.getTime()).toBe(now + 7 * DAY_MS);
    await failure(
      client.send(new GetSecretValueCommand({ SecretId: 'app/deleted' })),
      InvalidRequestException,
    );
    await failure(
      client.send(new PutSecretValueCommand({ SecretId: 'app/deleted', SecretString: 'new' })),
      InvalidRequestException,
    );
    await failure(createSecret('app/deleted'), InvalidRequestException);
    const described = await client.send(new DescribeSecretCommand({ SecretId: 'app/deleted' }));
    expect(described.DeletedDate?.getTime()).toBe(now);
    const listed = await client.send(
      new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['app/deleted'] }] }),
    );
    expect(listed.SecretList).toEqual([]);
    const withDeleted = await client.send(
      new ListSecretsCommand({
        Filters: [{ Key: 'name', Values: ['app/deleted'] }],
        IncludePlannedDeletion: true,
      }),
    );
    expect(withDeleted.SecretList?.map((secret) => secret.Name)).toEqual(['app/deleted']);

    await client.send(new RestoreSecretCommand({ SecretId: 'app/deleted' }));
    expect((await client.send(new GetSecretValueCommand({ SecretId: 'app/deleted' }))).SecretString).toBe(
      'value',
    );

    await client.send(new DeleteSecretCommand({ SecretId: 'app/deleted', RecoveryWindowInDays: 7 }));
    advance(7 * DAY_MS + 1000);
    await failure(
      client.send(new DescribeSecretCommand({ SecretId: 'app/deleted' })),
      ResourceNotFoundException,
    );
  });

  it('deletes at once with ForceDeleteWithoutRecovery, freeing the name', async () => {
    await createSecret('app/forced', 'value');

    await failure(
      client.send(
        new DeleteSecretCommand({
          SecretId: 'app/forced',
          ForceDeleteWithoutRecovery: true,
          RecoveryWindowInDays: 7,
        }),
      ),
      InvalidParameterException,
    );
    await client.send(new DeleteSecretCommand({ SecretId: 'app/forced', ForceDeleteWithoutRecovery: true }));

    await failure(
      client.send(new DescribeSecretCommand({ SecretId: 'app/forced' })),
      ResourceNotFoundException,
    );
    const again = await createSecret('app/forced', 'fresh');
    expect(again.ARN).toMatch(/:secret:app\/forced-[A-Za-z0-9]{6}$/);
  });

  it('adds, replaces and removes tags, and ListSecrets filters by them', async () => {
    // Prepare
    await client.send(
      new CreateSecretCommand({
        Name: 'app/tagged',
        SecretString: 'x',
        Tags: [{ Key: 'team', Value: 'identity' }],
      }),
    );

    // Act
    await client.send(
      new TagResourceCommand({
        SecretId: 'app/tagged',
        Tags: [
          { Key: 'team', Value: 'platform' },
          { Key: 'rotor:app', Value: 'crm' },
        ],
      }),
    );
    await client.send(new UntagResourceCommand({ SecretId: 'app/tagged', TagKeys: ['team'] }));

    // Assess
    const described = await client.send(new DescribeSecretCommand({ SecretId: 'app/tagged' }));
    expect(described.Tags).toEqual([{ Key: 'rotor:app', Value: 'crm' }]);
    const byKey = await client.send(
      new ListSecretsCommand({ Filters: [{ Key: 'tag-key', Values: ['rotor:app'] }] }),
    );
    expect(byKey.SecretList?.map((secret) => secret.Name)).toEqual(['app/tagged']);
    const byValue = await client.send(
      new ListSecretsCommand({ Filters: [{ Key: 'tag-value', Values: ['platform'] }] }),
    );
    expect(byValue.SecretList).toEqual([]);
  });

  it('lists secrets by name prefix, a page at a time', async () => {
    for (const name of ['list/a', 'list/b', 'list/c']) await createSecret(name);
    const filters = [{ Key: 'name' as const, Values: ['list/'] }];

    const first = await client.send(new ListSecretsCommand({ Filters: filters, MaxResults: 2 }));
    const second = await client.send(
      new ListSecretsCommand({ Filters: filters, MaxResults: 2, NextToken: first.NextToken }),
    );

    expect(first.SecretList?.map((secret) => secret.Name)).toEqual(['list/a', 'list/b']);
    expect(first.NextToken).toBeDefined();
    expect(second.SecretList?.map((secret) => secret.Name)).toEqual(['list/c']);
    expect(second.NextToken).toBeUndefined();
    expect(first.SecretList?.[0]?.SecretVersionsToStages).toBeDefined();
  });
});

describe('Secrets Manager emulator: data file', () => {
  it('keeps secrets, versions and labels across a restart', async () => {
    // Prepare
    const dataFile = join(temporaryDir, 'nested', 'secrets.json');
    const first = await startEmulator({ dataFile });
    const firstClient = clientFor(first.url);
    const created = await firstClient.send(
      new CreateSecretCommand({ Name: 'app/persisted', SecretString: 'one' }),
    );
    const put = await firstClient.send(
      new PutSecretValueCommand({ SecretId: 'app/persisted', SecretString: 'two' }),
    );
    firstClient.destroy();
    await first.close();

    // Act
    const second = await startEmulator({ dataFile });
    const secondClient = clientFor(second.url);
    try {
      // Assess
      const described = await secondClient.send(new DescribeSecretCommand({ SecretId: created.ARN }));
      expect(described.VersionIdsToStages).toEqual({
        [created.VersionId ?? '']: ['AWSPREVIOUS'],
        [put.VersionId ?? '']: ['AWSCURRENT'],
      });
      const value = await secondClient.send(new GetSecretValueCommand({ SecretId: 'app/persisted' }));
      expect(value.SecretString).toBe('two');
    } finally {
      secondClient.destroy();
      await second.close();
    }
  });
});
