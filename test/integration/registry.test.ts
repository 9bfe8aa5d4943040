import {
  CreateSecretCommand,
  DescribeSecretCommand,
  ListSecretVersionIdsCommand,
} from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { RotationConflictError } from '../../lambda/contract/errors.ts';
import { hashToken, mintToken, serializeSecret } from '../../lambda/domain/tokens.ts';
import { verifyToken } from '../../lambda/domain/verifyToken.ts';
import type { ActiveRotation } from '../../lambda/store/model.ts';
import { enrollTestApp, labelsOf, registry, secretsManager, tokenOf, uniqueAppId } from '../support/aws.ts';
import { TEST_SECRET_PREFIX } from '../support/environment.ts';
import { withLastCharacterChanged } from '../support/mutate.ts';

/** A rotation function that does not exist: the emulator's trial testSecret fails on it. */
const NO_SUCH_FUNCTION = 'arn:aws:lambda:eu-central-1:123456789012:function:no-such-function';

function rotation(rotationId: string, oldVersionId: string): ActiveRotation {
  return {
    rotationId,
    mode: 'expire-later',
    graceSeconds: 3600,
    trigger: 'operator',
    startedBy: 'arn:aws:iam::123456789012:user/alice',
    startedAt: new Date().toISOString(),
    oldVersionId,
  };
}

describe('Function: verifyToken', () => {
  it('refuses a malformed token without looking it up', async () => {
    // Prepare
    let lookups = 0;
    const counting = {
      tokens: {
        findTokenByHash: async (hash: string) => {
          lookups += 1;
          return registry.tokens.findTokenByHash(hash);
        },
      },
    };
    const typo = withLastCharacterChanged(mintToken());

    // Act
    const results = await Promise.all(
      ['', 'Bearer abc', typo, mintToken('acme_')].map((token) => verifyToken(token, { registry: counting })),
    );

    // Assess
    expect(results).toEqual(Array(4).fill({ valid: false, reason: 'malformed' }));
    expect(lookups).toBe(0);
  });

  it('refuses a well-formed token Rotor never issued, and accepts the current one', async () => {
    const app = await enrollTestApp();
    expect(await verifyToken(mintToken(), { registry })).toEqual({ valid: false, reason: 'unknown' });
    expect(await verifyToken(await tokenOf(app.secretArn, app.currentVersionId), { registry })).toEqual({
      valid: true,
      appId: app.appId,
      versionId: app.currentVersionId,
      status: 'current',
    });
  });

  it('refuses a pending token and a revoked one', async () => {
    // Prepare
    const app = await enrollTestApp();
    const pending = mintToken();
    await registry.tokens.registerTokenVersion({
      appId: app.appId,
      versionId: 'pending-version-0000000000000000000',
      tokenHash: hashToken(pending),
      status: 'pending',
      createdAt: new Date().toISOString(),
    });
    const current = await tokenOf(app.secretArn, app.currentVersionId);

    // Act
    await registry.tokens.setTokenStatus(app.appId, app.currentVersionId, {
      status: 'revoked',
      from: ['current'],
      revokedAt: new Date().toISOString(),
    });

    // Assess
    expect(await verifyToken(pending, { registry })).toEqual({ valid: false, reason: 'pending' });
    expect(await verifyToken(current, { registry })).toEqual({ valid: false, reason: 'revoked' });
  });
});

describe('Class: Registry', () => {
  it('lets exactly one of 20 concurrent rotations take the lock', async () => {
    // Prepare
    const app = await enrollTestApp();
    const attempts = Array.from({ length: 20 }, (_, i) =>
      rotation(`r-concurrent-${i}`, app.currentVersionId),
    );

    // Act
    const results = await Promise.allSettled(
      attempts.map((attempt) => registry.apps.lockForRotation(app.appId, attempt, new Date().toISOString())),
    );

    // Assess
    const winners = results.filter((result) => result.status === 'fulfilled');
    const losers = results.filter((result) => result.status === 'rejected') as PromiseRejectedResult[];
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(19);
    const locked = await registry.apps.getApp(app.appId);
    expect(locked.state).toBe('ROTATING');
    for (const loser of losers) {
      expect(loser.reason).toBeInstanceOf(RotationConflictError);
      expect(loser.reason.message).toContain(`rotation ${locked.activeRotation?.rotationId}`);
      expect(loser.reason.message).toContain('is running; wait until it finishes or fails');
    }
    expect(await registry.rotations.listRotations(app.appId)).toHaveLength(1);
  });

  it('takes the same lock twice without a second rotation record', async () => {
    const app = await enrollTestApp();
    const attempt = rotation('r-twice', app.currentVersionId);
    await registry.apps.lockForRotation(app.appId, attempt, attempt.startedAt);
    await registry.apps.lockForRotation(app.appId, attempt, attempt.startedAt);
    expect(await registry.rotations.listRotations(app.appId)).toEqual([
      expect.objectContaining({ rotationId: 'r-twice', status: 'rotating' }),
    ]);
  });
});

describe('Function: enrollManagedApp', () => {
  it("registers nothing when Secrets Manager's trial of the rotation function fails", async () => {
    // Prepare: a rotation function the trial testSecret cannot run.
    const appId = uniqueAppId('trial');

    // Act
    const failed = await enrollTestApp({ appId }, { rotationFunctionArn: NO_SUCH_FUNCTION }).catch(
      (error: unknown) => error as Error,
    );

    // Assess: the error reaches the caller, and no app is left registered to retry around.
    expect(failed).toBeInstanceOf(Error);
    expect(await registry.apps.findApp(appId)).toBeUndefined();
    const retried = await enrollTestApp({ appId });
    expect(retried.appId).toBe(appId);
  });

  it('creates a tagged secret with a fresh token, records it, and enables rotation', async () => {
    const app = await enrollTestApp();
    const secret = await secretsManager.send(new DescribeSecretCommand({ SecretId: app.secretArn }));
    expect(secret.Name).toBe(`${TEST_SECRET_PREFIX}${app.appId}`);
    expect(secret.Tags).toContainEqual({ Key: 'rotor:app', Value: app.appId });
    expect(secret.RotationEnabled).toBe(true);
    expect(await labelsOf(app.secretArn)).toEqual({ [app.currentVersionId]: ['AWSCURRENT'] });
    expect(app).toMatchObject({ state: 'ACTIVE', issuer: 'managed' });
    // Enabling rotation ran Secrets Manager's trial testSecret; it left no version and no rotation.
    const versions = await secretsManager.send(
      new ListSecretVersionIdsCommand({ SecretId: app.secretArn, IncludeDeprecated: true }),
    );
    expect(versions.Versions?.map((version) => version.VersionId)).toEqual([app.currentVersionId]);
    expect(await registry.apps.getApp(app.appId)).toMatchObject({ state: 'ACTIVE' });
    expect(await registry.rotations.listRotations(app.appId)).toEqual([]);
  });

  it('adopts an existing secret that holds a Rotor token', async () => {
    // Prepare
    const appId = uniqueAppId('adopt');
    const token = mintToken();
    await secretsManager.send(
      new CreateSecretCommand({
        Name: `${TEST_SECRET_PREFIX}${appId}`,
        SecretString: serializeSecret({ token, issuedAt: '2026-06-01T00:00:00.000Z' }),
      }),
    );

    // Act
    const app = await enrollTestApp({ appId });

    // Assess
    expect(app.tokenIssuedAt).toBe('2026-06-01T00:00:00.000Z');
    expect(await verifyToken(token, { registry })).toMatchObject({ valid: true, appId });
  });

  it.each([
    [{ appId: 'No Spaces' }, /^app id "No Spaces" is not allowed: use 3-48 lowercase letters/],
    [
      { secret: 'elsewhere/x' },
      /^secret "elsewhere\/x" is outside this deployment's secret name prefix "rotor\/"/,
    ],
    [{ admins: [] }, /^an app needs at least one admin email$/],
  ])('refuses %j and creates nothing', async (bad, message) => {
    // Prepare
    const appId = uniqueAppId('refused');
    const secretName = (bad as { secret?: string }).secret ?? `${TEST_SECRET_PREFIX}${appId}`;

    // Act & Assess
    await expect(enrollTestApp({ appId, ...bad })).rejects.toThrow(message);
    expect(await registry.apps.findApp(appId)).toBeUndefined();
    await expect(
      secretsManager.send(new DescribeSecretCommand({ SecretId: secretName })),
    ).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('refuses to adopt a secret whose value is not a Rotor token, without repeating the value', async () => {
    const appId = uniqueAppId('foreign');
    const value = JSON.stringify({ token: 'pat-na1-00000000-not-a-rotor-token' });
    await secretsManager.send(
      new CreateSecretCommand({ Name: `${TEST_SECRET_PREFIX}${appId}`, SecretString: value }),
    );
    const error = await enrollTestApp({ appId }).catch((failure: Error) => failure);
    expect((error as Error).message).toMatch(
      /cannot be adopted as a managed app: its token is not a "rtr_" token/,
    );
    expect((error as Error).message).not.toContain('pat-na1');
    expect(await registry.apps.findApp(appId)).toBeUndefined();
  });

  it('refuses an app id that is already registered', async () => {
    const app = await enrollTestApp();
    await expect(
      enrollTestApp({ appId: app.appId, secret: `${TEST_SECRET_PREFIX}${app.appId}-2` }),
    ).rejects.toThrow(`app "${app.appId}" is already registered`);
  });
});
