import { describe, expect, it } from 'vitest';
import type { RotationMode } from '../../lambda/contract/appSettings.ts';
import {
  cancelGraceRotation,
  expireOldToken,
  lockRotation,
  rollbackRotation,
} from '../../lambda/domain/lifecycle.ts';
import { sweepApp } from '../../lambda/domain/sweep.ts';
import { runRotationStep } from '../../lambda/rotation-hook/rotationSteps.ts';
import type { RotationStep } from '../../lambda/rotation-hook/stepContext.ts';
import { enrollTestApp, registry, rotateSecret, secretsManager } from '../support/aws.ts';
import { TEST_MANUAL_ARN, TEST_TOKEN_PREFIX } from '../support/environment.ts';
import { emfLinesOf, metricNamesOf, testMetrics } from '../support/metrics.ts';

/**
 * Each rotation is counted once however often Step Functions, the sweep or Secrets Manager repeat a
 * task: only the call whose conditional write made the change of state publishes its metric.
 */
const quietLogger = { info: () => undefined, warn: () => undefined };

function depsWith(now = () => new Date()) {
  return { registry, secretsManager, clock: now, metrics: testMetrics() };
}

/** The tests' default metrics, which print nothing: for the steps before the one a test counts. */
function uncounted(now = () => new Date()) {
  return { registry, secretsManager, clock: now };
}

/** A rotation Secrets Manager started, run through the real hook's four steps with `metrics` injected. */
async function rotatedBySecretsManager(mode: RotationMode, deps: ReturnType<typeof depsWith>) {
  const app = await enrollTestApp({ defaultMode: mode, graceSeconds: 7 * 86_400 });
  const versionId = await rotateSecret(app, TEST_MANUAL_ARN);
  const hookDeps = {
    ...deps,
    tokenPrefix: TEST_TOKEN_PREFIX,
    logger: quietLogger,
    startWorkflow: async () => undefined,
  };
  const steps: RotationStep[] = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];
  const run = () =>
    emfLinesOf(async () => {
      for (const step of steps) {
        await runRotationStep(
          { SecretId: app.secretArn, ClientRequestToken: versionId, Step: step },
          hookDeps,
        );
      }
    });
  const first = await run();
  // Secrets Manager retries a rotation's steps; every one finds its work done.
  const again = await run();
  const rotationId = (await registry.apps.getApp(app.appId)).lastRotation?.rotationId as string;
  return { app, rotationId, counted: [...metricNamesOf(first.emf), ...metricNamesOf(again.emf)], first };
}

describe('Metrics: rotations counted once per change of state', () => {
  it('an expire-now rotation is counted started and expired-now once, with its ids, however often the hook runs', async () => {
    // Act
    const { app, rotationId, counted, first } = await rotatedBySecretsManager('expire-now', depsWith());

    // Assess
    expect(counted).toEqual(['RotationsStarted', 'RotationsExpiredNow']);
    expect(first.emf[1]).toMatchObject({
      service: 'rotor',
      appId: app.appId,
      rotationId,
      RotationsExpiredNow: 1,
    });
    expect(first.emf[1]?._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'Rotor',
      Dimensions: [['service']],
    });
  });

  it('a lock the API took and the workflow finds again is one rotation started', async () => {
    // Prepare
    const app = await enrollTestApp();
    const deps = depsWith();
    const request = {
      appId: app.appId,
      rotationId: `r-metrics-${app.appId}`,
      mode: 'expire-later' as const,
      trigger: 'operator' as const,
      startedBy: 'arn:aws:iam::123456789012:user/alice',
    };

    // Act: the operator API's lock, then StartRotation's (twice: a retried task).
    const { emf } = await emfLinesOf(async () => {
      await lockRotation(deps, request);
      await lockRotation(deps, request);
      await lockRotation(deps, request);
    });

    // Assess
    expect(metricNamesOf(emf)).toEqual(['RotationsStarted']);
  });

  it('a grace period that runs out is one rotation completed, even when the timer task and the sweep both expire it', async () => {
    const deps = depsWith();
    const { app, rotationId } = await rotatedBySecretsManager('expire-later', deps);

    const { emf } = await emfLinesOf(async () => {
      await expireOldToken(deps, app.appId, rotationId, 'rotor-workflow');
      await expireOldToken(deps, app.appId, rotationId, 'rotor-workflow');
      await expireOldToken(deps, app.appId, rotationId, 'rotor-sweep');
    });

    expect(metricNamesOf(emf)).toEqual(['RotationsCompleted']);
  });

  it('"expire now" during the grace period is one rotation expired-now, and two racing callers count it once', async () => {
    const deps = depsWith();
    const { app, rotationId } = await rotatedBySecretsManager('expire-later', deps);
    const expire = () =>
      expireOldToken(deps, app.appId, rotationId, 'arn:aws:iam::123456789012:user/alice', {
        event: 'TOKEN_INVALIDATED',
      });

    const { emf } = await emfLinesOf(async () => {
      await Promise.all([expire(), expire()]);
      await expire();
    });

    expect(metricNamesOf(emf)).toEqual(['RotationsExpiredNow']);
  });

  it('a cancel is one rotation cancelled, asked twice', async () => {
    const deps = depsWith();
    const { app, rotationId } = await rotatedBySecretsManager('expire-later', deps);
    const cancel = () =>
      cancelGraceRotation(deps, app.appId, rotationId, 'arn:aws:iam::123456789012:user/bob');

    const { emf, result } = await emfLinesOf(async () => [await cancel(), await cancel()]);

    expect(result).toEqual([true, false]);
    expect(metricNamesOf(emf)).toEqual(['RotationsCancelled']);
  });

  it("a failed rotation's rollback is one rotation failed, the workflow's catch retried or racing itself", async () => {
    // Prepare: a lock whose rotation never got further.
    const app = await enrollTestApp();
    const deps = depsWith();
    const rotationId = `r-failed-${app.appId}`;
    await lockRotation(uncounted(), {
      appId: app.appId,
      rotationId,
      mode: 'expire-later',
      trigger: 'operator',
      startedBy: 'rotor-test',
    });
    const failure = { step: 'testSecret', message: 'the new token was refused' };

    // Act
    const { emf, result } = await emfLinesOf(async () => {
      const racing = await Promise.all([
        rollbackRotation(deps, app.appId, rotationId, failure),
        rollbackRotation(deps, app.appId, rotationId, failure),
      ]);
      return [...racing, await rollbackRotation(deps, app.appId, rotationId, failure)];
    });

    // Assess
    expect(result).toEqual(['rolled-back', 'rolled-back', 'rolled-back']);
    expect(metricNamesOf(emf)).toEqual(['RotationsFailed']);
  });

  it('a rotation the sweep finds stuck is one app stuck and one rotation failed, the sweep run twice', async () => {
    // Prepare: a lock taken two hours ago whose workflow is gone.
    const app = await enrollTestApp();
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
    const rotationId = `r-stuck-${app.appId}`;
    await lockRotation(
      uncounted(() => twoHoursAgo),
      {
        appId: app.appId,
        rotationId,
        mode: 'expire-later',
        trigger: 'operator',
        startedBy: 'rotor-test',
      },
    );
    const deps = { ...depsWith(), startWorkflow: async () => undefined };

    // Act
    const { emf, result } = await emfLinesOf(async () => [
      await sweepApp(deps, await registry.apps.getApp(app.appId)),
      await sweepApp(deps, await registry.apps.getApp(app.appId)),
    ]);

    // Assess
    expect(result.map((outcome) => outcome.action)).toEqual(['rolled-back', 'nothing']);
    expect(metricNamesOf(emf)).toEqual(['RotationsFailed', 'AppsStuck']);
    expect(emf[1]).toMatchObject({ appId: app.appId, rotationId, AppsStuck: 1 });
    const history = await registry.rotations.findRotation(app.appId, rotationId);
    expect(history).toMatchObject({ status: 'failed', endedBy: 'rotor-sweep' });
  });
});

describe('Metrics: the sweep reads token ages from an index', () => {
  it("the tokenAge index gives every app's issue time, interval and state without reading the apps", async () => {
    // Prepare
    const app = await enrollTestApp({ intervalSeconds: 90 * 86_400 });

    // Act
    const ages = await registry.apps.tokenAges();

    // Assess: oldest first, and this app with what the gauges need.
    const issued = ages.map((age) => age.tokenIssuedAt);
    expect(issued).toEqual([...issued].sort());
    expect(ages.find((age) => age.appId === app.appId)).toEqual({
      appId: app.appId,
      tokenIssuedAt: app.tokenIssuedAt,
      intervalSeconds: 90 * 86_400,
      state: 'ACTIVE',
    });
  });
});
