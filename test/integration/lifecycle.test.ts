import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { describeApp } from '../../cli/commands/apps.ts';
import type { RotationMode } from '../../lambda/contract/appSettings.ts';
import { rollbackRotation } from '../../lambda/domain/lifecycle.ts';
import { cancelRotation, expireNow } from '../../lambda/domain/operatorActions.ts';
import { sweepApp } from '../../lambda/domain/sweep.ts';
import { verifyToken } from '../../lambda/domain/verifyToken.ts';
import { appView } from '../../lambda/operator-api/views.ts';
import { runRotationStep } from '../../lambda/rotation-hook/rotationSteps.ts';
import type { RotationStep } from '../../lambda/rotation-hook/stepContext.ts';
import type { AppRecord } from '../../lambda/store/model.ts';
import { Registry } from '../../lambda/store/Registry.ts';
import {
  documentClient,
  enrollTestApp,
  labelsOf,
  registry,
  rotateSecret,
  secretsManager,
  tokenOf,
} from '../support/aws.ts';
import {
  TEST_MANUAL_ARN,
  TEST_ROTATION_WORKFLOW_ARN,
  TEST_TABLE,
  TEST_TOKEN_PREFIX,
} from '../support/environment.ts';
import { CrashError, commandName, inputOf, intercepted } from '../support/faults.ts';

/**
 * The lifecycle's promises (DESIGN §2) under the crashes and races AWS allows: a Lambda killed between
 * any two of its calls, Secrets Manager calling the hook while the workflow gives up, an operator and the
 * grace timer at the same moment. After each, the app's AWSCURRENT token verifies, a revoked token never
 * verifies again, and whatever was interrupted is finished by whoever comes next.
 */
const clock = () => new Date();
const deps = { registry, secretsManager, clock };
const quietLogger = { info: () => undefined, warn: () => undefined };
const ALICE = 'arn:aws:iam::123456789012:user/alice';

async function verify(token: string, now = new Date()) {
  return verifyToken(token, { registry, now });
}

/** The version that holds a label. */
async function holderOf(app: AppRecord, label: string): Promise<string | undefined> {
  const labels = await labelsOf(app.secretArn);
  return Object.entries(labels).find(([, stages]) => stages.includes(label))?.[0];
}

/** The operator's dependencies; `deliver` records the app's queued emails when it is called. */
function operatorDeps(overrides: { secretsManager?: SecretsManagerClient; sfn?: SFNClient } = {}) {
  const delivered: string[][] = [];
  const deliver = async (appId: string) => {
    const app = await registry.apps.getApp(appId);
    delivered.push(Object.values(app.outbox ?? {}).map((notice) => notice.event));
  };
  return {
    delivered,
    deps: {
      registry,
      secretsManager: overrides.secretsManager ?? secretsManager,
      clock,
      sfn: overrides.sfn ?? new SFNClient({}),
      rotationStateMachineArn: TEST_ROTATION_WORKFLOW_ARN,
      deliver,
      // What the operator actions took before the outbox: kept so this file also runs against them.
      notify: async () => undefined,
    },
  };
}

const sweepDeps = { ...deps, startWorkflow: async () => undefined };

/** A managed app whose rotation (run by Secrets Manager through the real hook) is in its grace period. */
async function appInGrace(): Promise<{
  app: AppRecord;
  oldToken: string;
  newToken: string;
  newVersionId: string;
}> {
  const app = await enrollTestApp({ defaultMode: 'expire-later', graceSeconds: 7 * 86_400 });
  const oldToken = await tokenOf(app.secretArn, app.currentVersionId);
  const newVersionId = await rotateSecret(app);
  expect((await registry.apps.getApp(app.appId)).state).toBe('GRACE');
  return { app, oldToken, newToken: await tokenOf(app.secretArn, newVersionId), newVersionId };
}

/** A rotation Secrets Manager started (empty AWSPENDING), taken through the hook up to finishSecret. */
async function rotationBeforeFinish(mode: RotationMode) {
  const app = await enrollTestApp({ defaultMode: mode, graceSeconds: 7 * 86_400 });
  const oldToken = await tokenOf(app.secretArn, app.currentVersionId);
  const versionId = await rotateSecret(app, TEST_MANUAL_ARN);
  const hookDeps = {
    secretsManager,
    registry,
    tokenPrefix: TEST_TOKEN_PREFIX,
    clock,
    logger: quietLogger,
    startWorkflow: async () => undefined,
  };
  for (const step of ['createSecret', 'setSecret', 'testSecret'] as RotationStep[]) {
    await runRotationStep({ SecretId: app.secretArn, ClientRequestToken: versionId, Step: step }, hookDeps);
  }
  const rotationId = (await registry.apps.getApp(app.appId)).activeRotation?.rotationId as string;
  return { app, oldToken, versionId, rotationId, hookDeps };
}

/** How many Secrets Manager calls finishSecret makes when nothing goes wrong. */
async function finishSecretCalls(mode: RotationMode): Promise<number> {
  const { app, versionId, hookDeps } = await rotationBeforeFinish(mode);
  let calls = 0;
  const counting = intercepted(secretsManager, () => {
    calls += 1;
  });
  await runRotationStep(
    { SecretId: app.secretArn, ClientRequestToken: versionId, Step: 'finishSecret' },
    { ...hookDeps, secretsManager: counting },
  );
  return calls;
}

/** What must hold once the hook and the rollback are both done, whichever of them won. */
async function expectOneConsistentOutcome(
  run: Awaited<ReturnType<typeof rotationBeforeFinish>>,
  mode: RotationMode,
  oldRefusedMidway: boolean,
) {
  const app = await registry.apps.getApp(run.app.appId);
  const current = await holderOf(app, 'AWSCURRENT');
  const newToken = await tokenOf(app.secretArn, run.versionId);
  expect(app.currentVersionId).toBe(current);
  expect(await holderOf(app, 'AWSPENDING')).toBeUndefined();
  expect(app.activeRotation?.ending).toBeUndefined();
  const currentToken = current === run.versionId ? newToken : run.oldToken;
  expect((await verify(currentToken)).valid).toBe(true);
  // A token refused once is never accepted again (a rollback may not revive it).
  if (oldRefusedMidway) expect((await verify(run.oldToken)).valid).toBe(false);
  if (current === run.versionId) {
    expect(app.state).toBe(mode === 'expire-later' ? 'GRACE' : 'ACTIVE');
    expect((await verify(run.oldToken)).valid).toBe(mode === 'expire-later');
  } else {
    expect(app.state).toBe('ACTIVE');
    expect(app.lastRotation?.outcome).toBe('failed');
    expect((await verify(newToken)).valid).toBe(false);
  }
}

describe('Lifecycle: the hook and the rollback', () => {
  for (const mode of ['expire-now', 'expire-later'] as const) {
    it(`${mode}: a rollback that runs in the middle of finishSecret, at any of its calls, leaves one consistent outcome`, async () => {
      const calls = await finishSecretCalls(mode);
      expect(calls).toBeGreaterThan(2);
      for (let at = 1; at <= calls; at += 1) {
        // Prepare: the workflow gives up (CheckPromotion's retries ran out) while the hook finishes.
        const run = await rotationBeforeFinish(mode);
        const racing = intercepted(secretsManager, async (_command, call) => {
          if (call === at)
            await rollbackRotation(deps, run.app.appId, run.rotationId, {
              step: 'CheckPromotion',
              message: 'gave up',
            });
        });

        // Act
        await runRotationStep(
          { SecretId: run.app.secretArn, ClientRequestToken: run.versionId, Step: 'finishSecret' },
          { ...run.hookDeps, secretsManager: racing },
        ).catch(() => undefined);

        // Assess
        await expectOneConsistentOutcome(run, mode, false);
      }
    });
  }

  it('expire-now: a hook killed at any call of finishSecret, then rolled back by the workflow, never revives the old token', async () => {
    const calls = await finishSecretCalls('expire-now');
    for (let at = 1; at <= calls; at += 1) {
      // Prepare
      const run = await rotationBeforeFinish('expire-now');
      const crashing = intercepted(secretsManager, (_command, call) => {
        if (call === at) throw new CrashError(call);
      });
      await runRotationStep(
        { SecretId: run.app.secretArn, ClientRequestToken: run.versionId, Step: 'finishSecret' },
        { ...run.hookDeps, secretsManager: crashing },
      ).catch(() => undefined);
      const oldRefusedMidway = !(await verify(run.oldToken)).valid;

      // Act: CheckPromotion gives up and the workflow rolls back.
      await rollbackRotation(deps, run.app.appId, run.rotationId, {
        step: 'CheckPromotion',
        message: 'gave up',
      });

      // Assess
      await expectOneConsistentOutcome(run, 'expire-now', oldRefusedMidway);
    }
  });
});

describe('Lifecycle: interrupted operator actions', () => {
  it('a cancel interrupted after its claim is finished by the next sweep: old token current, new one revoked, admins told', async () => {
    // Prepare
    const { app, oldToken, newToken } = await appInGrace();
    const failing = intercepted(secretsManager, (command, call) => {
      if (commandName(command) === 'UpdateSecretVersionStageCommand') throw new CrashError(call);
    });
    await expect(
      cancelRotation(operatorDeps({ secretsManager: failing }).deps, app.appId, ALICE),
    ).rejects.toThrow();
    // rotor apps show, a few minutes on, names what is stuck and what will finish it.
    const later = new Date(Date.now() + 5 * 60_000);
    const shown = describeApp(
      appView(await registry.apps.getApp(app.appId), later),
      later,
      (_colour, text) => text,
    );
    expect(shown).toMatch(
      /stuck +the cancel of rotation \S+, claimed by arn:aws:iam::123456789012:user\/alice at \S+, did not finish; the next sweep finishes it/,
    );

    // Act
    await sweepApp(sweepDeps, await registry.apps.getApp(app.appId));

    // Assess
    const after = await registry.apps.getApp(app.appId);
    expect(after.state).toBe('ACTIVE');
    expect(after.lastRotation?.outcome).toBe('cancelled');
    expect(await holderOf(after, 'AWSCURRENT')).toBe(app.currentVersionId);
    expect((await verify(oldToken)).valid).toBe(true);
    expect((await verify(newToken)).valid).toBe(false);
    expect(Object.values(after.outbox ?? {}).map((notice) => notice.event)).toContain('ROTATION_CANCELLED');
    expect(describeApp(appView(after, new Date()), new Date(), (_colour, text) => text)).not.toContain(
      'stuck',
    );
  });

  it('a cancel claimed in time but finished after the grace period ran out completes as the expiry it was: at the expiry, by the grace period, ROTATION_COMPLETED', async () => {
    // Prepare: a cancel an hour before the expiry whose caller died right after its claim (found by the soak)
    const { app, oldToken, newToken } = await appInGrace();
    const rotation = (await registry.apps.getApp(app.appId)).activeRotation;
    const expiresAt = rotation?.expiresAt as string;
    const claimedAt = new Date(Date.parse(expiresAt) - 3_600_000).toISOString();
    await registry.apps.claimEnding(app.appId, rotation?.rotationId as string, 'GRACE', 'cancel', {
      by: ALICE,
      at: claimedAt,
      event: 'ROTATION_CANCELLED',
    });
    const afterGrace = new Date(Date.parse(expiresAt) + 3_600_000);

    // Act: the next sweep finishes it, a day later
    await sweepApp({ ...sweepDeps, clock: () => afterGrace }, await registry.apps.getApp(app.appId));

    // Assess: the history says the grace period ended it when it did; the email is the expiry's, not an invalidation's
    const after = await registry.apps.getApp(app.appId);
    const [record] = await registry.rotations.listRotations(app.appId, 1);
    expect(after.lastRotation).toMatchObject({ outcome: 'completed', at: expiresAt });
    expect(record).toMatchObject({ status: 'completed', finishedAt: expiresAt, endedBy: 'rotor-workflow' });
    expect(Object.values(after.outbox ?? {}).map((notice) => notice.event)).toContain('ROTATION_COMPLETED');
    expect((await verify(newToken, afterGrace)).valid).toBe(true);
    expect((await verify(oldToken, afterGrace)).valid).toBe(false);
  });

  it('a sweep that finds the grace timer gone while a cancel ends the rotation leaves no successor waiting', async () => {
    // Prepare: the cancel stops the execution and ends the rotation between the sweep's read and its look
    const { app } = await appInGrace();
    const started: string[] = [];
    const stopped: string[] = [];
    const racing = {
      ...sweepDeps,
      workflowOf: async () => {
        await cancelRotation(operatorDeps().deps, app.appId, ALICE);
        return 'ended' as const;
      },
      startWorkflow: async (input: { executionName?: string }) => {
        const arn = `arn:aws:states:eu-central-1:123456789012:execution:Rotation:${input.executionName}`;
        started.push(arn);
        return arn;
      },
      stopWorkflow: async (executionArn: string) => {
        stopped.push(executionArn);
      },
    };

    // Act
    await sweepApp(racing, await registry.apps.getApp(app.appId));

    // Assess: the rotation is cancelled, and the execution the sweep started for it is stopped again
    expect((await registry.apps.getApp(app.appId)).lastRotation?.outcome).toBe('cancelled');
    expect(started).toHaveLength(1);
    expect(stopped).toEqual(started);
  });

  it('a cancel that fails right after moving AWSCURRENT back never leaves a current token that dies with the grace period', async () => {
    // Prepare
    const { app, oldToken } = await appInGrace();
    const expiresAt = (await registry.apps.getApp(app.appId)).activeRotation?.expiresAt as string;
    let moved = false;
    const failing = intercepted(secretsManager, (command, call) => {
      if (moved) throw new CrashError(call);
      const input = inputOf(command);
      moved =
        commandName(command) === 'UpdateSecretVersionStageCommand' && input.VersionStage === 'AWSCURRENT';
    });

    // Act
    await cancelRotation(operatorDeps({ secretsManager: failing }).deps, app.appId, ALICE).catch(
      () => undefined,
    );
    const afterGrace = new Date(Date.parse(expiresAt) + 3_600_000);

    // Assess: the old token is AWSCURRENT again and stays valid past the old expiry, before and after the repair.
    expect(moved).toBe(true);
    expect(await holderOf(app, 'AWSCURRENT')).toBe(app.currentVersionId);
    expect((await verify(oldToken, afterGrace)).valid).toBe(true);
    await sweepApp({ ...sweepDeps, clock: () => afterGrace }, await registry.apps.getApp(app.appId));
    const repaired = await registry.apps.getApp(app.appId);
    expect(repaired.state).toBe('ACTIVE');
    expect(repaired.lastRotation?.outcome).toBe('cancelled');
    expect((await verify(oldToken, afterGrace)).valid).toBe(true);
  });

  it("a cancel whose last registry write fails answers an error, and the same caller's retry answers as the first should have", async () => {
    // Prepare: how many registry writes a whole cancel makes up to its completing write; that one fails
    // (DynamoDB 5xx). The write after it forgets the stopped execution, a side effect of its own.
    const changesState = (command: unknown) =>
      /^(Put|Update|Delete)Command$/.test(commandName(command)) &&
      !String(inputOf(command).UpdateExpression ?? '').startsWith('REMOVE pendingStops');
    let writes = 0;
    const counting = intercepted(documentClient, (command) => {
      if (changesState(command)) writes += 1;
    });
    const probe = await appInGrace();
    await cancelRotation(
      { ...operatorDeps().deps, registry: new Registry({ documentClient: counting, tableName: TEST_TABLE }) },
      probe.app.appId,
      ALICE,
    );
    const { app, oldToken } = await appInGrace();
    const rotationId = (await registry.apps.getApp(app.appId)).activeRotation?.rotationId;
    let seen = 0;
    const failing = intercepted(documentClient, (command) => {
      if (changesState(command) && ++seen === writes) {
        throw Object.assign(new Error('Internal server error'), {
          name: 'InternalServerError',
          $metadata: { httpStatusCode: 500 },
        });
      }
    });
    const first = operatorDeps();
    await expect(
      cancelRotation(
        { ...first.deps, registry: new Registry({ documentClient: failing, tableName: TEST_TABLE }) },
        app.appId,
        ALICE,
        'request-1',
      ),
    ).rejects.toThrow('Internal server error');

    // Act: the CLI sends the same request again, with the same Idempotency-Key.
    const retry = operatorDeps();
    const answer = await cancelRotation(retry.deps, app.appId, ALICE, 'request-1');

    // Assess
    expect(answer.rotationId).toBe(rotationId);
    expect((await registry.apps.getApp(app.appId)).lastRotation?.outcome).toBe('cancelled');
    expect((await verify(oldToken)).valid).toBe(true);
    expect(retry.delivered.flat()).toContain('ROTATION_CANCELLED');
    // Another request, even the same caller's, is told there is nothing to cancel.
    await expect(cancelRotation(operatorDeps().deps, app.appId, ALICE, 'request-2')).rejects.toThrow(
      'no rotation running',
    );
  });

  it('an expire-now whose stop of the waiting workflow fails still expires, tells the admins and answers', async () => {
    // Prepare
    const { app, oldToken } = await appInGrace();
    const sfn = intercepted(new SFNClient({}), (command) => {
      if (commandName(command) === 'StopExecutionCommand')
        throw Object.assign(new Error('Service unavailable'), { name: 'ServiceUnavailable' });
    });
    const operator = operatorDeps({ sfn });

    // Act
    const result = await expireNow(operator.deps, app.appId, ALICE);

    // Assess
    expect(result.rotationId).toBeDefined();
    expect(result.warnings).toEqual([
      'the waiting workflow could not be stopped yet (ServiceUnavailable); the next sweep stops it',
    ]);
    expect((await verify(oldToken)).valid).toBe(false);
    expect(operator.delivered.flat()).toContain('TOKEN_INVALIDATED');
    expect(Object.keys((await registry.apps.getApp(app.appId)).pendingStops ?? {})).toEqual([
      result.rotationId,
    ]);
  });

  it('an expire-now racing the grace timer finds the work done instead of failing on the moved label', async () => {
    // Prepare: the timer's expiry runs to its end between the operator's look at the labels and its move.
    const { app, oldToken } = await appInGrace();
    const rotationId = (await registry.apps.getApp(app.appId)).activeRotation?.rotationId as string;
    const { expireOldToken } = await import('../../lambda/domain/lifecycle.ts');
    let raced = false;
    const racing = intercepted(secretsManager, async (command) => {
      if (!raced && commandName(command) === 'UpdateSecretVersionStageCommand') {
        raced = true;
        await expireOldToken(deps, app.appId, rotationId, 'rotor-workflow');
      }
    });

    // Act
    const answer = await expireNow(operatorDeps({ secretsManager: racing }).deps, app.appId, ALICE);

    // Assess
    expect(raced).toBe(true);
    expect(answer.rotationId).toBe(rotationId);
    const after = await registry.apps.getApp(app.appId);
    expect(after.state).toBe('ACTIVE');
    expect(await holderOf(after, 'AWSPREVIOUS')).toBeUndefined();
    expect((await verify(oldToken)).valid).toBe(false);
  });

  it('a cancel killed at any of its registry writes leaves history and app agreeing once the sweep has been', async () => {
    // How many registry writes a whole cancel makes.
    let writes = 0;
    const countingClient = intercepted(documentClient, (command) => {
      if (/^(Put|Update|Delete)Command$/.test(commandName(command))) writes += 1;
    });
    const probe = await appInGrace();
    await cancelRotation(
      {
        ...operatorDeps().deps,
        registry: new Registry({ documentClient: countingClient, tableName: TEST_TABLE }),
      },
      probe.app.appId,
      ALICE,
    );
    expect(writes).toBeGreaterThan(3);

    for (let at = 1; at <= writes; at += 1) {
      // Prepare
      const { app, oldToken } = await appInGrace();
      let seen = 0;
      const crashing = intercepted(documentClient, (command) => {
        if (/^(Put|Update|Delete)Command$/.test(commandName(command)) && ++seen === at)
          throw new CrashError(seen);
      });
      const crashingRegistry = new Registry({ documentClient: crashing, tableName: TEST_TABLE });
      await cancelRotation({ ...operatorDeps().deps, registry: crashingRegistry }, app.appId, ALICE).catch(
        () => undefined,
      );

      // Act
      await sweepApp(sweepDeps, await registry.apps.getApp(app.appId));

      // Assess: the rotation either never started ending (still in grace) or is cancelled everywhere.
      const after = await registry.apps.getApp(app.appId);
      const rotationId =
        app.activeRotation?.rotationId ??
        (await registry.rotations.listRotations(app.appId, 1))[0]?.rotationId;
      const record = await registry.rotations.findRotation(app.appId, rotationId as string);
      if (after.state === 'GRACE') {
        expect(after.activeRotation?.ending).toBeUndefined();
        expect(record?.status).toBe('grace');
      } else {
        expect(after.lastRotation?.outcome).toBe('cancelled');
        expect(record?.status).toBe('cancelled');
      }
      expect((await verify(oldToken)).valid).toBe(true);
    }
  });
});
