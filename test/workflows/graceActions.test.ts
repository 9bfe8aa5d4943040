import { SESClient } from '@aws-sdk/client-ses';
import { type SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeApp } from '../../cli/commands/apps.ts';
import { RotationConflictError } from '../../lambda/contract/errors.ts';
import { cancelRotation, expireNow, type OperatorDependencies } from '../../lambda/domain/operatorActions.ts';
import { sweepApp } from '../../lambda/domain/sweep.ts';
import { startRotationWorkflow, stopExecution } from '../../lambda/integrations/workflows.ts';
import { deliverOutbox } from '../../lambda/notifications/outbox.ts';
import { appView } from '../../lambda/operator-api/views.ts';
import type { AppRecord } from '../../lambda/store/model.ts';
import {
  accepts,
  emailsAbout,
  enroll,
  eventually,
  historyText,
  labelsOf,
  rotate,
  startTestSystem,
  type TestSystem,
  tokenOf,
} from '../support/localSystem.ts';

/**
 * Actions during a grace period. The waits run in real time here, so an expire-later rotation with a
 * one-hour grace period is still waiting when the test acts on it.
 */
let system: TestSystem;
let operator: OperatorDependencies;
const ALICE = 'arn:aws:iam::123456789012:user/alice';

beforeAll(async () => {
  system = await startTestSystem({ retryIntervalOverrides: { CheckPromotion: 400 } });
  const clock = () => new Date();
  operator = {
    registry: system.registry,
    secretsManager: system.secretsManager,
    sfn: system.sfn,
    rotationStateMachineArn: system.rotationStateMachineArn,
    clock,
    deliver: (appId) =>
      deliverOutbox(
        { registry: system.registry, ses: new SESClient({}), senderAddress: 'rotor@example.com', clock },
        appId,
      ),
  };
});

afterAll(async () => {
  await system?.close();
});

/** Starts an expire-later rotation with a one-hour grace period and waits until it is in GRACE. */
async function rotationInGrace(app: AppRecord) {
  const started = await rotate(system, app, 'expire-later', { graceSeconds: 3600 });
  await eventually(async () => (await system.registry.apps.getApp(app.appId)).state === 'GRACE');
  await eventually(async () => (await emailsAbout(system, app.appId)).length === 2);
  const grace = await system.registry.apps.getApp(app.appId);
  return { ...started, newVersionId: grace.currentVersionId };
}

describe('Operator actions during the grace period', () => {
  it('expire now: the old token is refused at once, the waiting execution stops, TOKEN_INVALIDATED goes out', async () => {
    // Prepare
    const app = await enroll(system);
    const oldToken = await tokenOf(system, app.secretArn, app.currentVersionId);
    const { executionArn, newVersionId } = await rotationInGrace(app);
    expect(await accepts(system, oldToken)).toBe(true);

    // Act
    await expireNow(operator, app.appId, ALICE);

    // Assess
    expect((await system.stepFunctions.whenStopped(executionArn)).status).toBe('ABORTED');
    expect(await accepts(system, oldToken)).toBe(false);
    expect(await accepts(system, await tokenOf(system, app.secretArn, newVersionId))).toBe(true);
    expect(await labelsOf(system, app.secretArn)).toEqual({ [newVersionId]: ['AWSCURRENT'] });
    expect(
      (await emailsAbout(system, app.appId)).map((mail) => `${mail.event} → ${mail.to.split('@')[0]}`),
    ).toEqual([
      'ROTATION_INITIATED → de-admin',
      'ROTATION_INITIATED → en-admin',
      'TOKEN_INVALIDATED → de-admin',
      'TOKEN_INVALIDATED → en-admin',
    ]);
    expect(await system.registry.apps.getApp(app.appId)).toMatchObject({
      state: 'ACTIVE',
      currentVersionId: newVersionId,
    });
    const history = await historyText(system, executionArn);
    for (const token of [oldToken, await tokenOf(system, app.secretArn, newVersionId)]) {
      expect(history).not.toContain(token.slice(4, 30));
    }
  });

  it('cancel: the old token is current and valid again, the new one is refused, ROTATION_CANCELLED goes out', async () => {
    // Prepare
    const app = await enroll(system);
    const oldToken = await tokenOf(system, app.secretArn, app.currentVersionId);
    const { executionArn, newVersionId } = await rotationInGrace(app);
    const newToken = await tokenOf(system, app.secretArn, newVersionId);

    // Act
    await cancelRotation(operator, app.appId, ALICE);

    // Assess
    expect((await system.stepFunctions.whenStopped(executionArn)).status).toBe('ABORTED');
    expect(await labelsOf(system, app.secretArn)).toEqual({ [app.currentVersionId]: ['AWSCURRENT'] });
    expect(await accepts(system, oldToken)).toBe(true);
    expect(await accepts(system, newToken)).toBe(false);
    expect((await emailsAbout(system, app.appId)).map((mail) => mail.event)).toEqual([
      'ROTATION_INITIATED',
      'ROTATION_INITIATED',
      'ROTATION_CANCELLED',
      'ROTATION_CANCELLED',
    ]);
    const after = await system.registry.apps.getApp(app.appId);
    expect(after).toMatchObject({
      state: 'ACTIVE',
      currentVersionId: app.currentVersionId,
      tokenIssuedAt: app.tokenIssuedAt,
    });
  });

  it('a successor execution started for a rotation already cancelled ends at once instead of waiting out the grace period', async () => {
    // Prepare: the cancel ends the rotation; a sweep that had read the app before it started a successor
    // and died before it could stop it again.
    const app = await enroll(system);
    const { rotationId } = await rotationInGrace(app);
    await cancelRotation(operator, app.appId, ALICE);

    // Act
    const successor = await startRotationWorkflow(system.sfn, system.rotationStateMachineArn, {
      appId: app.appId,
      rotationId,
      adopt: true,
      executionName: `${rotationId}-resumed-20261202130000`,
    });

    // Assess: it ends within seconds, not in an hour, and changes nothing: no email, the old token stays
    const status = () =>
      system.stepFunctions.executions().find((e) => e.executionArn === successor)?.status ?? 'RUNNING';
    await eventually(async () => status() !== 'RUNNING');
    expect(status()).toBe('SUCCEEDED');
    expect(await historyText(system, successor)).toContain('EndedElsewhere');
    expect((await emailsAbout(system, app.appId)).map((mail) => mail.event)).toEqual([
      'ROTATION_INITIATED',
      'ROTATION_INITIATED',
      'ROTATION_CANCELLED',
      'ROTATION_CANCELLED',
    ]);
    expect(await accepts(system, await tokenOf(system, app.secretArn, app.currentVersionId))).toBe(true);
    expect(await system.registry.apps.getApp(app.appId)).toMatchObject({ state: 'ACTIVE' });
  });

  it('a cancel that cannot stop the waiting execution records it, and the sweep stops it', async () => {
    // Prepare: Step Functions refuses the stop (the SDK's retries exhausted on a 5xx)
    const app = await enroll(system);
    const { executionArn, rotationId } = await rotationInGrace(app);
    const failingStop = {
      send: (command: unknown) =>
        command instanceof StopExecutionCommand
          ? Promise.reject(Object.assign(new Error('service unavailable'), { name: 'ServiceUnavailable' }))
          : system.sfn.send(command as never),
    } as unknown as SFNClient;

    // Act
    const cancelled = await cancelRotation({ ...operator, sfn: failingStop }, app.appId, ALICE);

    // Assess: the cancel is done and says what is left; the execution is recorded as left to stop
    expect(cancelled.warnings).toEqual([
      'the waiting workflow could not be stopped yet (ServiceUnavailable); the next sweep stops it',
    ]);
    const ended = await system.registry.apps.getApp(app.appId);
    expect(ended).toMatchObject({ state: 'ACTIVE', pendingStops: { [rotationId]: { executionArn } } });
    expect(system.stepFunctions.executions().find((e) => e.executionArn === executionArn)?.status).toBe(
      'RUNNING',
    );

    // rotor apps show, a quarter of an hour on, names the leftover and what will stop it
    const later = new Date(Date.now() + 16 * 60_000);
    expect(describeApp(appView(ended, later), later, (_colour, text) => text)).toContain(
      `the workflow of rotation ${rotationId}, which ended at`,
    );

    // Act: the sweep comes by
    const { appIds: due } = await system.registry.apps.findDueApps(later.toISOString(), 1000);
    expect(due).toContain(app.appId);
    const swept = await sweepApp(
      {
        registry: system.registry,
        secretsManager: system.secretsManager,
        clock: () => later,
        startWorkflow: () => Promise.reject(new Error('the sweep must not start a rotation here')),
        stopWorkflow: (arn, cause) => stopExecution(system.sfn, arn, cause),
      },
      ended,
    );

    // Assess
    expect(swept.action).toBe('workflow-stopped');
    expect((await system.stepFunctions.whenStopped(executionArn)).status).toBe('ABORTED');
    const after = await system.registry.apps.getApp(app.appId);
    expect(after.pendingStops).toEqual({});
    expect(describeApp(appView(after, later), later, (_colour, text) => text)).not.toContain('stuck');
  });

  it("the 24-hour notice leaves the app due for the sweep: its grace period, and an earlier rotation's execution left to stop", async () => {
    // Prepare: a cancel that could not stop its execution, then the next rotation in its grace period
    const app = await enroll(system);
    const first = await rotationInGrace(app);
    const failingStop = {
      send: (command: unknown) =>
        command instanceof StopExecutionCommand
          ? Promise.reject(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }))
          : system.sfn.send(command as never),
    } as unknown as SFNClient;
    await cancelRotation({ ...operator, sfn: failingStop }, app.appId, ALICE);
    const next = await rotate(system, app, 'expire-later', { graceSeconds: 3 * 86_400 });
    await eventually(async () => (await system.registry.apps.getApp(app.appId)).state === 'GRACE');

    // Act: the notice is queued (the workflow does so 24 hours before the expiry)
    const queued = await system.registry.apps.queueExpiryNotice(
      app.appId,
      next.rotationId,
      new Date().toISOString(),
    );

    // Assess: the next sweep still visits the app, so the leftover is stopped within the day, not in three
    expect(queued).toBe(true);
    const later = new Date(Date.now() + 16 * 60_000);
    const { appIds: due } = await system.registry.apps.findDueApps(later.toISOString(), 1000);
    expect(due).toContain(app.appId);
    expect(Object.keys((await system.registry.apps.getApp(app.appId)).pendingStops ?? {})).toEqual([
      first.rotationId,
    ]);
  });

  it('refuses a second rotation while one is running, naming it, and leaves the first alone', async () => {
    // Prepare
    const app = await enroll(system);
    const first = await rotationInGrace(app);
    const running = (await system.registry.apps.getApp(app.appId)).activeRotation;

    // Act
    const second = await rotate(system, app, 'expire-now');
    const refused = await system.stepFunctions.whenStopped(second.executionArn);

    // Assess: a refusal is an answer, not a failure (no failed-rotations alarm), and it says why.
    expect(refused.status).toBe('SUCCEEDED');
    const { error } = JSON.parse(refused.output ?? '{}') as { error?: { Error?: string; Cause?: string } };
    expect(error?.Error).toBe('RotationConflictError');
    expect(error?.Cause).toContain(`rotation ${running?.rotationId}`);
    expect(error?.Cause).toContain(`rotor cancel ${app.appId}`);
    expect((await system.registry.apps.getApp(app.appId)).activeRotation?.rotationId).toBe(first.rotationId);
    expect((await emailsAbout(system, app.appId)).map((mail) => mail.event)).toEqual([
      'ROTATION_INITIATED',
      'ROTATION_INITIATED',
    ]);
    await expect(expireNow(operator, `${app.appId}`, ALICE)).resolves.toMatchObject({
      rotationId: first.rotationId,
    });
    await expect(cancelRotation(operator, app.appId, ALICE)).rejects.toBeInstanceOf(RotationConflictError);
  });
});
