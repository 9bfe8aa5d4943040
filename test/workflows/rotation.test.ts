import { randomUUID } from 'node:crypto';
import { RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../lambda/contract/table.ts';
import { lockRotation } from '../../lambda/domain/lifecycle.ts';
import { executionArnFor } from '../../lambda/integrations/workflows.ts';
import type { AppRecord } from '../../lambda/store/model.ts';
import { localFaults } from '../../local/faults.ts';
import { LambdaServiceError } from '../../local/step-functions/service.ts';
import {
  accepts,
  ageToken,
  emailsAbout,
  enroll,
  eventually,
  historyText,
  labelsOf,
  registryText,
  rotate,
  startTestSystem,
  type TestSystem,
  tokenOf,
} from '../support/localSystem.ts';

/** The emails of an expire-later rotation run to its end, in order: each admin hears each step. */
const EXPIRE_LATER_MAILS = [
  'ROTATION_INITIATED → de-admin',
  'ROTATION_INITIATED → en-admin',
  'TOKEN_EXPIRES_IN_24H → de-admin',
  'TOKEN_EXPIRES_IN_24H → en-admin',
  'ROTATION_COMPLETED → de-admin',
  'ROTATION_COMPLETED → en-admin',
];

/**
 * The rotation and sweep workflows, as synthesized, run by the local Step Functions service against
 * the stand-ins, with the grace period's waits shortened to nothing.
 */
let system: TestSystem;
const seenTokens = new Set<string>();
const executions: string[] = [];
/** Apps whose hook should fail in testSecret, and apps whose first email of each event "fails" after going out. */
const failInTestSecret = new Set<string>();
const flakyNotify = new Set<string>();
/** Per app, the functions whose next invocation the Lambda service throttles. */
const lambdaThrottles = new Map<string, Set<string>>();
/** Apps whose CheckPromotion dies (Lambda.Unknown: the process exited) right after it saw the token promoted. */
const checkPromotionDies = new Set<string>();
/** Apps whose rotation's execution is lost (stopped from outside) when it first checks its grace period. */
const executionLost = new Set<string>();
/** Apps whose ExpireOldToken dies at its first AWS call once (found by the soak, seed 42). */
const expiryDies = new Set<string>();
/** Apps whose emails SES does not take (throttling, past every retry) until they leave this set. */
const sesDown = new Set<string>();
let notifyCalls = 0;

beforeAll(async () => {
  system = await startTestSystem({
    waitTimeOverrides: { WaitForNotice: 0, WaitForExpiry: 0 },
    retryIntervalOverrides: {
      CheckPromotion: 400,
      CheckGraceForNotice: 0,
      ExpireOldToken: 0,
      NotifyInitiated: 0,
      NotifyExpiresIn24h: 0,
      NotifyCompleted: 0,
      NotifyInvalidated: 0,
      NotifyFailed: 0,
      NotifyFromSweep: 0,
    },
    wrapHandler: (fn, real) => {
      // The Lambda service throttles the first invocation of each named function for these apps.
      const handler: typeof real = async (event) => {
        const appId = (event as { appId?: string }).appId ?? '';
        if (lambdaThrottles.get(appId)?.delete(fn.handler)) {
          throw new LambdaServiceError('TooManyRequestsException', 'Rate Exceeded.');
        }
        return real(event);
      };
      if (fn.handler === 'rotation-hook') {
        return async (event) => {
          const { SecretId, ClientRequestToken, Step } = event as Record<string, string>;
          const appId = [...failInTestSecret].find((id) => SecretId?.includes(id));
          if (appId && Step === 'testSecret') {
            // A real fault inside the hook: the pending token's registration is gone.
            await system.registry.tokens.setTokenStatus(appId, ClientRequestToken as string, {
              status: 'revoked',
              from: ['pending'],
              revokedAt: new Date().toISOString(),
            });
          }
          return handler(event);
        };
      }
      if (fn.handler === 'check-grace') {
        return async (event) => {
          const { appId, rotationId } = event as Record<string, string>;
          if (executionLost.delete(appId as string)) {
            await system.sfn.send(
              new StopExecutionCommand({
                executionArn: executionArnFor(system.rotationStateMachineArn, rotationId as string),
                cause: 'lost',
              }),
            );
            throw new Error('the execution is gone');
          }
          return handler(event);
        };
      }
      if (fn.handler === 'expire-old-token') {
        return async (event) => {
          if (expiryDies.delete((event as { appId: string }).appId)) {
            throw new LambdaServiceError(
              'Unknown',
              'RequestId: 1 Error: Runtime exited with error: signal: killed',
            );
          }
          return handler(event);
        };
      }
      if (fn.handler === 'check-promotion') {
        return async (event) => {
          const result = await handler(event);
          // It saw the new token current, and died before it could answer.
          if (checkPromotionDies.delete((event as { appId: string }).appId)) {
            throw new LambdaServiceError(
              'Unknown',
              'RequestId: 1 Error: Runtime exited with error: signal: killed',
            );
          }
          return result;
        };
      }
      if (fn.handler === 'notify') {
        // For a flaky app, every first delivery of a state "times out" after its emails went out.
        const deliveries = new Map<string, number>();
        return async (event) => {
          notifyCalls += 1;
          const { appId } = event as Record<string, string>;
          if (sesDown.has(appId as string)) {
            throw Object.assign(new Error('Maximum sending rate exceeded.'), {
              name: 'NotificationThrottledError',
            });
          }
          const result = await handler(event);
          const count = (deliveries.get(appId as string) ?? 0) + 1;
          deliveries.set(appId as string, count);
          if (flakyNotify.has(appId as string) && count % 2 === 1) {
            throw Object.assign(new Error('SES timed out after sending'), {
              name: 'NotificationThrottledError',
            });
          }
          return result;
        };
      }
      return handler;
    },
  });
});

afterAll(async () => {
  // No token value in any execution history, any email, or any registry item of this file.
  const texts = [await registryText(system)];
  for (const executionArn of executions) texts.push(await historyText(system, executionArn));
  const mails = await (await fetch(`${system.endpoints.ses}/store`)).text();
  texts.push(mails);
  expect(seenTokens.size).toBeGreaterThan(4);
  for (const token of seenTokens) {
    for (const text of texts) expect(text).not.toContain(token.slice(4, 30));
  }
  await system?.close();
});

async function tokens(app: AppRecord, versionId: string): Promise<string> {
  const token = await tokenOf(system, app.secretArn, versionId);
  seenTokens.add(token);
  return token;
}

async function finished(executionArn: string) {
  executions.push(executionArn);
  return system.stepFunctions.whenStopped(executionArn);
}

/** The emails of one app as `event → recipient (language)`, in the order they arrived. */
async function mailLog(app: AppRecord) {
  return (await emailsAbout(system, app.appId)).map((mail) => `${mail.event} → ${mail.to.split('@')[0]}`);
}

describe('Workflow: rotation', () => {
  it('expire-later runs to completion: initiated, 24-hour notice, completed, each to each admin', async () => {
    // Prepare
    const app = await enroll(system);
    const oldToken = await tokens(app, app.currentVersionId);

    // Act
    const { rotationId, executionArn } = await rotate(system, app, 'expire-later', { reason: 'quarterly' });
    const execution = await finished(executionArn);

    // Assess
    expect(execution.status, JSON.stringify(execution)).toBe('SUCCEEDED');
    expect(await mailLog(app)).toEqual(EXPIRE_LATER_MAILS);
    const mails = await emailsAbout(system, app.appId);
    // Each admin reads their own language: the German admin first, the English one second.
    expect(mails.map((mail) => mail.subject)).toEqual([
      `[Rotor] ${app.appId}: Eine Token-Rotation wurde initiiert`,
      `[Rotor] ${app.appId}: A token rotation was initiated`,
      `[Rotor] ${app.appId}: Das alte Token läuft in 24 Stunden ab`,
      `[Rotor] ${app.appId}: The old token expires in 24 hours`,
      `[Rotor] ${app.appId}: Das Token wurde erfolgreich rotiert, das alte ist nach 7 Tagen abgelaufen`,
      `[Rotor] ${app.appId}: Token rotated; the old one expired after 7 days`,
    ]);
    expect(mails[0]?.text).toContain(`rotor cancel ${app.appId}`);
    expect(mails[1]?.text).toContain(`rotor expire-now ${app.appId}`);
    const done = await system.registry.apps.getApp(app.appId);
    expect(done).toMatchObject({ state: 'ACTIVE', lastRotation: { rotationId, outcome: 'completed' } });
    expect(await labelsOf(system, app.secretArn)).toEqual({ [done.currentVersionId]: ['AWSCURRENT'] });
    expect(await accepts(system, oldToken)).toBe(false);
    expect(await accepts(system, await tokens(app, done.currentVersionId))).toBe(true);
  });

  it("waits for the app's own notice time before TOKEN_EXPIRES_IN_24H, and the notice says it", async () => {
    // Prepare: a 3-day notice, captured by the rotation when it starts; changed afterwards, it stays.
    const app = await enroll(system, { noticeBeforeSeconds: 3 * 86_400 });

    // Act
    const { executionArn } = await rotate(system, app, 'expire-later');
    await eventually(async () => (await system.registry.apps.getApp(app.appId)).activeRotation);
    await system.registry.apps.updateSettings(
      app.appId,
      { noticeBeforeSeconds: 3600 },
      new Date().toISOString(),
    );
    const execution = await finished(executionArn);

    // Assess
    expect(execution.status, JSON.stringify(execution)).toBe('SUCCEEDED');
    const { events = [] } = await system.sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }),
    );
    const wait = events.find(
      (event) =>
        event.type === 'WaitStateEntered' && event.stateEnteredEventDetails?.name === 'WaitForNotice',
    );
    const { promotion } = JSON.parse(wait?.stateEnteredEventDetails?.input ?? '{}');
    expect(Date.parse(promotion.expiresAt) - Date.parse(promotion.noticeAt)).toBe(3 * 86_400_000);
    const notices = (await emailsAbout(system, app.appId)).filter(
      (mail) => mail.event === 'TOKEN_EXPIRES_IN_24H',
    );
    expect(notices.map((mail) => mail.subject)).toEqual([
      `[Rotor] ${app.appId}: Das alte Token läuft in 3 Tagen ab`,
      `[Rotor] ${app.appId}: The old token expires in 3 days`,
    ]);
  });

  it('expire-now: the old token is refused at once and each admin is told', async () => {
    const app = await enroll(system);
    const oldToken = await tokens(app, app.currentVersionId);

    const { executionArn } = await rotate(system, app, 'expire-now');
    expect((await finished(executionArn)).status).toBe('SUCCEEDED');

    expect(await mailLog(app)).toEqual(['TOKEN_INVALIDATED → de-admin', 'TOKEN_INVALIDATED → en-admin']);
    const done = await system.registry.apps.getApp(app.appId);
    expect(await labelsOf(system, app.secretArn)).toEqual({ [done.currentVersionId]: ['AWSCURRENT'] });
    expect(await accepts(system, oldToken)).toBe(false);
    expect(await accepts(system, await tokens(app, done.currentVersionId))).toBe(true);
  });

  it('a CheckPromotion that dies after the hook promoted the new token does not roll back: the rotation completes, no ROTATION_FAILED', async () => {
    // Prepare
    const app = await enroll(system);
    checkPromotionDies.add(app.appId);

    // Act
    const { executionArn } = await rotate(system, app, 'expire-now');
    const execution = await finished(executionArn);

    // Assess: the rollback found the rotation committed and the workflow went on from the promotion.
    expect(checkPromotionDies.has(app.appId)).toBe(false);
    expect(execution.status).toBe('SUCCEEDED');
    expect(await mailLog(app)).toEqual(['TOKEN_INVALIDATED → de-admin', 'TOKEN_INVALIDATED → en-admin']);
    const done = await system.registry.apps.getApp(app.appId);
    expect(done.lastRotation?.outcome).toBe('completed');
    expect(await accepts(system, await tokens(app, done.currentVersionId))).toBe(true);
  });

  it('a failure in testSecret rolls back: old token current and valid, app ACTIVE, ROTATION_FAILED to each admin', async () => {
    // Prepare
    const app = await enroll(system);
    failInTestSecret.add(app.appId);
    const oldToken = await tokens(app, app.currentVersionId);

    // Act
    const { rotationId, executionArn } = await rotate(system, app, 'expire-later');
    const execution = await finished(executionArn);

    // Assess
    expect(execution.status).toBe('FAILED');
    expect(await mailLog(app)).toEqual(['ROTATION_FAILED → de-admin', 'ROTATION_FAILED → en-admin']);
    const mails = await emailsAbout(system, app.appId);
    expect(mails[1]?.text).toContain('testSecret');
    const after = await system.registry.apps.getApp(app.appId);
    expect(after).toMatchObject({
      state: 'ACTIVE',
      currentVersionId: app.currentVersionId,
      lastRotation: { rotationId, outcome: 'failed', failedStep: 'testSecret' },
    });
    expect(await labelsOf(system, app.secretArn)).toEqual({ [app.currentVersionId]: ['AWSCURRENT'] });
    expect(await accepts(system, oldToken)).toBe(true);
    expect(await system.registry.rotations.findRotation(app.appId, rotationId)).toMatchObject({
      status: 'failed',
      failedStep: 'testSecret',
    });
  });

  it('a rotation Secrets Manager starts by itself gets the grace period, the notice, the expiry and the emails', async () => {
    // Prepare
    const app = await enroll(system, { defaultMode: 'expire-later' });
    const oldToken = await tokens(app, app.currentVersionId);

    // Act: `aws secretsmanager rotate-secret`, no Rotor workflow involved.
    await system.secretsManager.send(
      new RotateSecretCommand({ SecretId: app.secretArn, ClientRequestToken: randomUUID() }),
    );
    const rotation = await eventually(
      async () => (await system.registry.rotations.listRotations(app.appId))[0],
    );
    const execution = await eventually(async () => {
      const arn = `${system.rotationStateMachineArn.replace(':stateMachine:', ':execution:')}:${rotation.rotationId}`;
      return system.stepFunctions.executions().some((candidate) => candidate.executionArn === arn) && arn;
    });
    const result = await finished(execution);

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(rotation.trigger).toBe('secrets-manager');
    expect((await mailLog(app)).map((line) => line.split(' ')[0])).toEqual([
      'ROTATION_INITIATED',
      'ROTATION_INITIATED',
      'TOKEN_EXPIRES_IN_24H',
      'TOKEN_EXPIRES_IN_24H',
      'ROTATION_COMPLETED',
      'ROTATION_COMPLETED',
    ]);
    const done = await system.registry.apps.getApp(app.appId);
    expect(await labelsOf(system, app.secretArn)).toEqual({ [done.currentVersionId]: ['AWSCURRENT'] });
    expect(await accepts(system, oldToken)).toBe(false);
  });

  it('a task the Lambda service throttles is retried: the rotation completes, each email once, no rollback', async () => {
    // Prepare: throttled once each, where a failure would roll back (CheckPromotion) or end the
    // execution in GRACE (NotifyInitiated, CheckGraceForNotice, ExpireOldToken).
    const app = await enroll(system);
    const oldToken = await tokens(app, app.currentVersionId);
    lambdaThrottles.set(app.appId, new Set(['check-promotion', 'notify', 'check-grace', 'expire-old-token']));

    // Act
    const { rotationId, executionArn } = await rotate(system, app, 'expire-later');
    const execution = await finished(executionArn);

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    expect(lambdaThrottles.get(app.appId)).toEqual(new Set());
    expect(await historyText(system, executionArn)).toContain('Lambda.TooManyRequestsException');
    expect(await mailLog(app)).toEqual(EXPIRE_LATER_MAILS);
    const done = await system.registry.apps.getApp(app.appId);
    expect(done).toMatchObject({ state: 'ACTIVE', lastRotation: { rotationId, outcome: 'completed' } });
    expect(await accepts(system, oldToken)).toBe(false);
  });

  it('a notification task retried after its email went out sends no email twice', async () => {
    // Prepare
    const app = await enroll(system);
    flakyNotify.add(app.appId);
    const callsBefore = notifyCalls;

    // Act
    const { executionArn } = await rotate(system, app, 'expire-later');
    const execution = await finished(executionArn);

    // Assess: three events, each task ran twice, each admin got each email once.
    expect(execution.status).toBe('SUCCEEDED');
    expect(notifyCalls - callsBefore).toBe(6);
    expect(await mailLog(app)).toEqual(EXPIRE_LATER_MAILS);
  });
});

/** Makes an app's token as old as `days`, as if it had been issued then. */

describe('Workflow: daily sweep', () => {
  it('rotates due apps with policy auto, reminds due apps with policy remind, and does it once a day', async () => {
    // Prepare
    const auto = await enroll(system, { policy: 'auto' });
    const remind = await enroll(system, { policy: 'remind' });
    const fresh = await enroll(system, { policy: 'auto' });
    await ageToken(system, auto, 200);
    await ageToken(system, remind, 200);
    await ageToken(system, fresh, 10);

    // Act: the schedule's target, twice (a re-run the same day).
    for (const run of ['first', 'again']) {
      const { executionArn } = await system.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: system.sweepStateMachineArn,
          name: `sweep-${run}-${randomUUID()}`,
          input: '{}',
        }),
      );
      expect((await system.whenSweepDone(executionArn as string)).status).toBe('SUCCEEDED');
    }

    // Assess
    // The sweep only starts the rotation; its own execution records it and runs it to the end.
    const arn = await eventually(async () => {
      const [rotation] = await system.registry.rotations.listRotations(auto.appId);
      return rotation?.executionArn;
    });
    expect((await finished(arn)).status).toBe('SUCCEEDED');
    const [rotation] = await system.registry.rotations.listRotations(auto.appId);
    expect(rotation).toMatchObject({ trigger: 'schedule', mode: 'expire-later' });
    expect(await system.registry.rotations.listRotations(auto.appId)).toHaveLength(1);
    expect((await mailLog(auto)).filter((line) => line.startsWith('ROTATION_INITIATED'))).toHaveLength(2);
    expect(await mailLog(remind)).toEqual(['ROTATION_REMINDER → de-admin', 'ROTATION_REMINDER → en-admin']);
    const reminder = (await emailsAbout(system, remind.appId))[0];
    expect(reminder?.text).toContain(`rotor rotate ${remind.appId}`);
    expect(await mailLog(fresh)).toEqual([]);
    expect(await system.registry.rotations.listRotations(fresh.appId)).toEqual([]);
    expect((await system.registry.apps.getApp(remind.appId)).lastReminderAt).toBeDefined();
  });
});

/** Makes an app due for the next sweep now, and runs the sweep as its schedule does. */
async function sweepNow(...apps: AppRecord[]) {
  for (const app of apps) {
    await system.documentClient.send(
      new UpdateCommand({
        TableName: system.tableName,
        Key: keys.app(app.appId),
        UpdateExpression: 'SET dueAt = :due',
        ExpressionAttributeValues: { ':due': new Date(Date.now() - 60_000).toISOString() },
      }),
    );
  }
  const { executionArn } = await system.sfn.send(
    new StartExecutionCommand({
      stateMachineArn: system.sweepStateMachineArn,
      name: `sweep-${randomUUID()}`,
      input: '{}',
    }),
  );
  expect((await system.whenSweepDone(executionArn as string)).status).toBe('SUCCEEDED');
}

describe('Workflow: a rotation whose execution is lost in its grace period', () => {
  it('gets a new execution from the next sweep, which runs the notice, the expiry and the emails on time', async () => {
    // Prepare: the grace timer (the execution) is lost before the 24-hour notice.
    const app = await enroll(system);
    executionLost.add(app.appId);
    const { executionArn } = await rotate(system, app, 'expire-later');
    expect((await finished(executionArn)).status).toBe('ABORTED');
    expect((await system.registry.apps.getApp(app.appId)).state).toBe('GRACE');

    // Act
    await sweepNow(app);

    // Assess: the successor joined the rotation and ended it as the first would have.
    const resumed = (await system.registry.apps.getApp(app.appId)).activeRotation?.executionArn;
    expect(resumed).toMatch(/-resumed-\d{14}$/);
    await finished(resumed as string);
    const done = await system.registry.apps.getApp(app.appId);
    expect(done.state).toBe('ACTIVE');
    expect(done.lastRotation?.outcome).toBe('completed');
    expect(await labelsOf(system, app.secretArn)).toEqual({ [done.currentVersionId]: ['AWSCURRENT'] });
    expect(await accepts(system, await tokens(app, app.currentVersionId))).toBe(false);
    expect(await mailLog(app)).toEqual(EXPIRE_LATER_MAILS);
  });
});

describe('Workflow: a lock whose execution never started', () => {
  it('gets its execution from the next sweep, which runs the rotation to its end', async () => {
    // Prepare: the operator API took the lock three minutes ago and died before StartExecution.
    const app = await enroll(system);
    const rotationId = `r-${randomUUID().slice(0, 8)}`;
    await lockRotation(
      {
        registry: system.registry,
        secretsManager: system.secretsManager,
        clock: () => new Date(Date.now() - 180_000),
      },
      {
        appId: app.appId,
        rotationId,
        mode: 'expire-now',
        trigger: 'operator',
        startedBy: 'arn:aws:iam::123456789012:user/alice',
      },
    );

    // Act
    await sweepNow(app);

    // Assess
    const execution = await finished(executionArnFor(system.rotationStateMachineArn, rotationId));
    expect(execution.status).toBe('SUCCEEDED');
    const done = await system.registry.apps.getApp(app.appId);
    expect(done.lastRotation).toMatchObject({ rotationId, outcome: 'completed' });
    expect(await mailLog(app)).toEqual(['TOKEN_INVALIDATED → de-admin', 'TOKEN_INVALIDATED → en-admin']);
  });
});

describe('Workflow: an expiry task that dies', () => {
  it('is retried at once, so the expired old token does not keep AWSPREVIOUS through a pause', async () => {
    // Prepare
    const app = await enroll(system);
    expiryDies.add(app.appId);

    // Act
    const { executionArn } = await rotate(system, app, 'expire-later');
    const execution = await finished(executionArn);

    // Assess
    expect(expiryDies.has(app.appId)).toBe(false);
    expect(execution.status).toBe('SUCCEEDED');
    const done = await system.registry.apps.getApp(app.appId);
    expect(await labelsOf(system, app.secretArn)).toEqual({ [done.currentVersionId]: ['AWSCURRENT'] });
    expect(await mailLog(app)).toEqual(EXPIRE_LATER_MAILS);
  });
});

describe('Workflow: SES down past every retry', () => {
  it('never fails a rotation: it runs to its end, and the next sweep sends each email it owes, once', async () => {
    // Prepare
    const app = await enroll(system);
    sesDown.add(app.appId);

    // Act
    const { executionArn } = await rotate(system, app, 'expire-later');
    const execution = await finished(executionArn);
    const mailedMeanwhile = await mailLog(app);
    sesDown.delete(app.appId);
    await sweepNow(app);

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    expect(mailedMeanwhile).toEqual([]);
    expect((await system.registry.apps.getApp(app.appId)).state).toBe('ACTIVE');
    expect(await mailLog(app)).toEqual(EXPIRE_LATER_MAILS);
  });

  it('a reminder SES could not take goes out with the next sweep, not a reminder period later', async () => {
    // Prepare
    const remind = await enroll(system, { policy: 'remind' });
    await ageToken(system, remind, 200);
    sesDown.add(remind.appId);
    await sweepNow(remind);
    const mailedMeanwhile = await mailLog(remind);

    // Act
    sesDown.delete(remind.appId);
    await sweepNow(remind);
    await sweepNow(remind);

    // Assess
    expect(mailedMeanwhile).toEqual([]);
    expect(await mailLog(remind)).toEqual(['ROTATION_REMINDER → de-admin', 'ROTATION_REMINDER → en-admin']);
  });

  it('a reminder queued by a sweep that died before sending it leaves the app due within the quarter hour, not a reminder period later', async () => {
    // Prepare: the sweep's task dies right after it queued the reminder (found by the 10,000-history soak)
    const remind = await enroll(system, { policy: 'remind' });
    await ageToken(system, remind, 200);
    localFaults.crashNext('sweep-app', 2);
    await sweepNow(remind);
    const left = await system.registry.apps.getApp(remind.appId);

    // Act: what the next sweeps will find
    const inAQuarterHour = new Date(Date.now() + 16 * 60_000).toISOString();
    const { appIds: due } = await system.registry.apps.findDueApps(inAQuarterHour, 1000);

    // Assess: the reminder waits in the outbox, unsent, and the app is due for the sweep that sends it
    expect(Object.values(left.outbox ?? {}).map((notice) => notice.event)).toEqual(['ROTATION_REMINDER']);
    expect(await mailLog(remind)).toEqual([]);
    expect(due).toContain(remind.appId);
  });
});

describe('Workflow: execution status', () => {
  it('describes a finished rotation through the Step Functions API', async () => {
    const app = await enroll(system);
    const { executionArn } = await rotate(system, app, 'expire-now');
    await finished(executionArn);
    const described = await system.sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.input ?? '{}')).toMatchObject({ appId: app.appId, mode: 'expire-now' });
  });
});
