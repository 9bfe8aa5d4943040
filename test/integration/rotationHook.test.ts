import { randomUUID } from 'node:crypto';
import {
  CancelRotateSecretCommand,
  DescribeSecretCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { rollbackRotation } from '../../lambda/domain/lifecycle.ts';
import { mintToken, serializeSecret } from '../../lambda/domain/tokens.ts';
import { verifyToken } from '../../lambda/domain/verifyToken.ts';
import type { RotationStep } from '../../lambda/rotation-hook/stepContext.ts';
import type { AppRecord } from '../../lambda/store/model.ts';
import {
  allRegistryItems,
  enrollTestApp,
  labelsOf,
  tokenOf as readToken,
  registry,
  rotateSecret,
  rotationSettled,
  secretsManager,
} from '../support/aws.ts';
import { TEST_HOOK_ARN, TEST_MANUAL_ARN } from '../support/environment.ts';

const STEPS: RotationStep[] = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];
const DAY_MS = 86_400_000;

let handler: (event: unknown) => Promise<void>;
/** Everything the hook logged in this file, and every token value the tests saw. */
const hookOutput: string[] = [];
const seenTokens = new Set<string>();

/** Reads a version's token, remembering it so the log check below can look for it. */
async function tokenOf(secretId: string, versionId: string): Promise<string> {
  const token = await readToken(secretId, versionId);
  seenTokens.add(token);
  return token;
}

beforeAll(async () => {
  // The hook's logger is built at import; INFO makes every step's lines visible to the log checks.
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
  ({ handler } = await import('../../lambda/rotation-hook/index.ts'));
});

beforeEach(() => {
  const capture = (chunk: unknown) => {
    hookOutput.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
});

afterEach(() => {
  vi.restoreAllMocks();
});

afterAll(() => {
  // Every step of every test above logged here, successes and refusals alike.
  const log = hookOutput.join('');
  expect(log).toContain('createSecret: put a new token as AWSPENDING');
  expect(log).toContain('"level":"ERROR"');
  expect(seenTokens.size).toBeGreaterThan(5);
  for (const token of seenTokens) {
    expect(log).not.toContain(token);
    expect(log).not.toContain(token.slice(4, 30));
  }
});

async function verify(token: string, now = new Date()) {
  return verifyToken(token, { registry, now });
}

/** What a re-run must leave alone: the secret's labels and every registry item of the app. */
async function snapshot(app: AppRecord) {
  const items = (await allRegistryItems()).filter((item) => JSON.stringify(item).includes(app.appId));
  items.sort((a, b) => `${a.pk}${a.sk}`.localeCompare(`${b.pk}${b.sk}`));
  return { labels: await labelsOf(app.secretArn), items };
}

/** Runs `work` and returns what the hook logged meanwhile (and what it threw). */
async function captureOutput(work: () => Promise<unknown>): Promise<string> {
  const from = hookOutput.length;
  await work().catch((error: Error) => hookOutput.push(`thrown: ${error.message}`));
  return hookOutput.slice(from).join('');
}

describe('Rotation hook: driven by Secrets Manager RotateSecret', () => {
  it('expire-later: new token current, old one valid until expiresAt and not after', async () => {
    // Prepare
    const app = await enrollTestApp({ defaultMode: 'expire-later', graceSeconds: 7 * 86_400 });
    const oldVersion = app.currentVersionId;
    const oldToken = await tokenOf(app.secretArn, oldVersion);
    const before = Date.now();

    // Act
    const newVersion = await rotateSecret(app);

    // Assess
    expect(await labelsOf(app.secretArn)).toEqual({
      [newVersion]: ['AWSCURRENT'],
      [oldVersion]: ['AWSPREVIOUS'],
    });
    const newToken = await tokenOf(app.secretArn, newVersion);
    expect(newToken).not.toBe(oldToken);
    expect(await verify(newToken)).toMatchObject({
      valid: true,
      appId: app.appId,
      versionId: newVersion,
      status: 'current',
    });

    const rotated = await registry.apps.getApp(app.appId);
    expect(rotated.state).toBe('GRACE');
    expect(rotated.currentVersionId).toBe(newVersion);
    const expiresAt = Date.parse(rotated.activeRotation?.expiresAt ?? '');
    expect(expiresAt - before).toBeGreaterThanOrEqual(7 * DAY_MS);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(7 * DAY_MS);

    expect(await verify(oldToken)).toMatchObject({ valid: true, status: 'grace', versionId: oldVersion });
    expect(await verify(oldToken, new Date(expiresAt - 1000))).toMatchObject({
      valid: true,
      status: 'grace',
    });
    expect(await verify(oldToken, new Date(expiresAt))).toEqual({ valid: false, reason: 'expired' });
    expect(await verify(newToken, new Date(expiresAt + DAY_MS))).toMatchObject({ valid: true });

    const [rotation] = await registry.rotations.listRotations(app.appId);
    expect(rotation).toMatchObject({
      status: 'grace',
      mode: 'expire-later',
      trigger: 'secrets-manager',
      oldVersionId: oldVersion,
      newVersionId: newVersion,
    });
  });

  it('expire-now: the old token is refused at once and loses its AWSPREVIOUS label', async () => {
    // Prepare
    const app = await enrollTestApp({ defaultMode: 'expire-now' });
    const oldToken = await tokenOf(app.secretArn, app.currentVersionId);

    // Act
    const newVersion = await rotateSecret(app);

    // Assess
    expect(await labelsOf(app.secretArn)).toEqual({ [newVersion]: ['AWSCURRENT'] });
    expect(await verify(oldToken)).toEqual({ valid: false, reason: 'revoked' });
    expect(await verify(await tokenOf(app.secretArn, newVersion))).toMatchObject({
      valid: true,
      status: 'current',
    });
    const rotated = await registry.apps.getApp(app.appId);
    expect(rotated).toMatchObject({ state: 'ACTIVE', currentVersionId: newVersion });
    expect(rotated.activeRotation).toBeUndefined();
    expect((await registry.rotations.listRotations(app.appId))[0]).toMatchObject({
      status: 'completed',
      mode: 'expire-now',
    });
  });

  it('running any step again, or all four, changes nothing more', async () => {
    // Prepare
    const app = await enrollTestApp({ defaultMode: 'expire-later' });
    const newVersion = await rotateSecret(app);
    const settled = await snapshot(app);

    // Act
    for (const step of STEPS) {
      await handler({ SecretId: app.secretArn, ClientRequestToken: newVersion, Step: step });
    }
    await rotateSecretSteps(app.secretArn, newVersion);

    // Assess
    expect(await snapshot(app)).toEqual(settled);
  });

  it('refuses a second rotation while the first is in its grace period, and keeps the secret clean', async () => {
    // Prepare
    const app = await enrollTestApp({ defaultMode: 'expire-later' });
    const firstVersion = await rotateSecret(app);
    const settled = await snapshot(app);
    const stray = randomUUID();

    const running = (await registry.apps.getApp(app.appId)).activeRotation;

    // Act
    await captureOutput(async () => {
      await secretsManager.send(
        new RotateSecretCommand({
          SecretId: app.secretArn,
          ClientRequestToken: stray,
          RotationLambdaARN: TEST_MANUAL_ARN,
        }),
      );
      await rotationSettled(app.secretArn);
    });
    const error = await handler({
      SecretId: app.secretArn,
      ClientRequestToken: stray,
      Step: 'createSecret',
    }).catch((failure: Error) => failure);

    // Assess
    expect((error as Error).message).toBe(
      `createSecret for secret ${app.secretArn}: app "${app.appId}": rotation ${running?.rotationId} (expire-later, ` +
        `started ${running?.startedAt} by secretsmanager.amazonaws.com) is in its grace period until ${running?.expiresAt}; ` +
        `end it with "rotor expire-now ${app.appId}" or "rotor cancel ${app.appId}"`,
    );
    const labels = await labelsOf(app.secretArn);
    expect(labels[firstVersion]).toEqual(['AWSCURRENT']);
    expect(Object.values(labels).flat()).not.toContain('AWSPENDING');
    expect((await snapshot(app)).items).toEqual(settled.items);
  });
});

/** All four steps again, in order, as a retried rotation would run them. */
async function rotateSecretSteps(secretArn: string, versionId: string): Promise<void> {
  for (const step of STEPS) await handler({ SecretId: secretArn, ClientRequestToken: versionId, Step: step });
}

describe('Rotation hook: steps driven one at a time', () => {
  it('does each step once however often it is called, and logs no token value', async () => {
    // Prepare: RotateSecret with a function that does nothing makes the empty AWSPENDING version.
    const app = await enrollTestApp({ defaultMode: 'expire-later' });
    const oldToken = await tokenOf(app.secretArn, app.currentVersionId);
    const versionId = await rotateSecret(app, TEST_MANUAL_ARN);
    expect((await labelsOf(app.secretArn))[versionId]).toEqual(['AWSPENDING']);
    const event = (Step: RotationStep) => ({ SecretId: app.secretArn, ClientRequestToken: versionId, Step });

    // Act
    const log = await captureOutput(async () => {
      await handler(event('createSecret'));
      const firstValue = await tokenOf(app.secretArn, versionId);
      await handler(event('createSecret'));
      expect(await tokenOf(app.secretArn, versionId)).toBe(firstValue);
      for (const step of [
        'setSecret',
        'setSecret',
        'testSecret',
        'testSecret',
        'finishSecret',
        'finishSecret',
      ] as const) {
        await handler(event(step));
      }
    });

    // Assess
    const newToken = await tokenOf(app.secretArn, versionId);
    expect(await labelsOf(app.secretArn)).toEqual({
      [versionId]: ['AWSCURRENT'],
      [app.currentVersionId]: ['AWSPREVIOUS'],
    });
    expect(await verify(newToken)).toMatchObject({ valid: true, status: 'current' });
    expect(log).toContain('createSecret: put a new token as AWSPENDING');
    expect(log).toContain('createSecret: version');
    expect(log).toMatch(/finishSecret: rotation \S+ promoted version/);
    expect(log).not.toMatch(/thrown:/);
    for (const token of [oldToken, newToken]) {
      expect(log).not.toContain(token);
      expect(log).not.toContain(token.slice(4, 30));
    }
  });

  it('keeps no token value in any DynamoDB item', async () => {
    // Prepare
    const app = await enrollTestApp({ defaultMode: 'expire-later' });
    const tokens = [await tokenOf(app.secretArn, app.currentVersionId)];
    tokens.push(await tokenOf(app.secretArn, await rotateSecret(app)));

    // Act
    const items = JSON.stringify(await allRegistryItems());

    // Assess
    expect(items).toContain(app.appId);
    for (const token of tokens) {
      expect(items).not.toContain(token);
      expect(items).not.toContain(token.slice(4, 30));
    }
  });
});

describe('Rotation hook: preconditions', () => {
  it('refuses when rotation is disabled, naming the secret and the step', async () => {
    // Prepare
    const app = await enrollTestApp();
    const versionId = await rotateSecret(app, TEST_MANUAL_ARN);
    await secretsManager.send(new CancelRotateSecretCommand({ SecretId: app.secretArn }));

    // Act & Assess
    await expect(
      handler({ SecretId: app.secretArn, ClientRequestToken: versionId, Step: 'createSecret' }),
    ).rejects.toThrow(`createSecret for secret ${app.secretArn}: rotation is not enabled for this secret`);
  });

  it('refuses an unknown version', async () => {
    const app = await enrollTestApp();
    const unknown = randomUUID();
    await expect(
      handler({ SecretId: app.secretArn, ClientRequestToken: unknown, Step: 'setSecret' }),
    ).rejects.toThrow(
      `setSecret for secret ${app.secretArn}: version ${unknown} has no stage for rotation of this secret`,
    );
  });

  it('refuses a version that is neither AWSPENDING nor AWSCURRENT', async () => {
    // Prepare: after an expire-later rotation the old version is AWSPREVIOUS.
    const app = await enrollTestApp({ defaultMode: 'expire-later' });
    await rotateSecret(app);
    const settled = await snapshot(app);

    // Act & Assess
    await expect(
      handler({ SecretId: app.secretArn, ClientRequestToken: app.currentVersionId, Step: 'finishSecret' }),
    ).rejects.toThrow(
      `finishSecret for secret ${app.secretArn}: version ${app.currentVersionId} is not AWSPENDING`,
    );
    expect(await snapshot(app)).toEqual(settled);
  });

  it('refuses a malformed event with one line that says what is expected', async () => {
    await expect(
      handler({ SecretId: 'x', ClientRequestToken: 'short', Step: 'createSecret' }),
    ).rejects.toThrow(
      /^rotation event field ClientRequestToken is invalid: .*; expected \{SecretId, ClientRequestToken, Step: createSecret\|setSecret\|testSecret\|finishSecret\}$/,
    );
    await expect(
      handler({ SecretId: 'x', ClientRequestToken: randomUUID(), Step: 'rotate' }),
    ).rejects.toThrow(/rotation event field Step is invalid/);
  });
});

describe('Rotation hook: the trial testSecret of RotateSecret with RotateImmediately false', () => {
  /** What `rotor apps add` asks of Secrets Manager once the app is registered. */
  const configureRotation = (app: AppRecord) =>
    secretsManager.send(
      new RotateSecretCommand({
        SecretId: app.secretArn,
        RotationLambdaARN: TEST_HOOK_ARN,
        RotationRules: { AutomaticallyAfterDays: 1000 },
        RotateImmediately: false,
      }),
    );

  it('passes, creates nothing, starts no rotation and leaves no AWSPENDING version', async () => {
    // Prepare: enrolling already ran one trial; the app is ACTIVE with no rotation running.
    const app = await enrollTestApp({ defaultMode: 'expire-later' });
    const settled = await snapshot(app);

    // Act
    const log = await captureOutput(() => configureRotation(app));

    // Assess
    expect(log).not.toMatch(/thrown:/);
    expect(await snapshot(app)).toEqual(settled);
    expect(await labelsOf(app.secretArn)).toEqual({ [app.currentVersionId]: ['AWSCURRENT'] });
    const versions = await secretsManager.send(
      new ListSecretVersionIdsCommand({ SecretId: app.secretArn, IncludeDeprecated: true }),
    );
    expect(versions.Versions?.map((version) => version.VersionId)).toEqual([app.currentVersionId]);
    expect(await registry.apps.getApp(app.appId)).toMatchObject({ state: 'ACTIVE' });
    expect(await registry.rotations.listRotations(app.appId)).toEqual([]);
  });

  it('fails when the secret was changed outside Rotor, so Secrets Manager refuses the configuration', async () => {
    // Prepare: someone put a new current value without Rotor
    const app = await enrollTestApp();
    await secretsManager.send(
      new PutSecretValueCommand({
        SecretId: app.secretArn,
        SecretString: serializeSecret({ token: mintToken(), issuedAt: new Date().toISOString() }),
      }),
    );

    // Act & Assess
    await expect(captureOutput(() => configureRotation(app).then(() => 'passed'))).resolves.toMatch(
      /thrown: .*testSecret for secret .*: trial of the rotation configuration: AWSCURRENT is version .* the secret was changed outside Rotor/,
    );
    const described = await secretsManager.send(new DescribeSecretCommand({ SecretId: app.secretArn }));
    expect(described.RotationEnabled).toBe(true);
    expect(Object.values(described.VersionIdsToStages ?? {}).flat()).not.toContain('AWSPENDING');
    expect(await registry.rotations.listRotations(app.appId)).toEqual([]);
  });
});

describe('Rotation hook: a retried rotation', () => {
  it('does not start a rotation again with the version of one that was rolled back', async () => {
    // Prepare: a rotation Secrets Manager started, rolled back by Rotor's workflow; Secrets Manager's
    // retry then still sees AWSPENDING on its version.
    const app = await enrollTestApp({ defaultMode: 'expire-later' });
    const versionId = await rotateSecret(app, TEST_MANUAL_ARN);
    await handler({ SecretId: app.secretArn, ClientRequestToken: versionId, Step: 'createSecret' });
    const [started] = await registry.rotations.listRotations(app.appId);
    await rollbackRotation(
      { registry, secretsManager, clock: () => new Date() },
      app.appId,
      started?.rotationId ?? '',
      { step: 'setSecret', message: 'the test failed it' },
    );
    await secretsManager.send(
      new UpdateSecretVersionStageCommand({
        SecretId: app.secretArn,
        VersionStage: 'AWSPENDING',
        MoveToVersionId: versionId,
      }),
    );

    // Act
    const error = await handler({
      SecretId: app.secretArn,
      ClientRequestToken: versionId,
      Step: 'createSecret',
    }).catch((failure: Error) => failure);

    // Assess
    expect((error as Error).message).toBe(
      `createSecret for secret ${app.secretArn}: version ${versionId} belongs to rotation ${started?.rotationId} (failed); ` +
        `start a new one with "rotor rotate ${app.appId} --expire now|later"`,
    );
    expect(await registry.apps.getApp(app.appId)).toMatchObject({
      state: 'ACTIVE',
      currentVersionId: app.currentVersionId,
    });
    expect(await registry.rotations.listRotations(app.appId)).toHaveLength(1);
  });
});
