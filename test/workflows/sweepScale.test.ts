import { randomUUID } from 'node:crypto';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SweepBatchInput } from '../../lambda/contract/workflows.ts';
import type { AppRecord } from '../../lambda/store/model.ts';
import { ageToken, emailsAbout, enroll, startTestSystem, type TestSystem } from '../support/localSystem.ts';

// A quota AWS's 25,000 scaled down: 24 apps in one inline Map (about 16 events each) would pass it.
const MAX_HISTORY_EVENTS = 300;
const APPS = 24;

let system: TestSystem;

beforeAll(async () => {
  system = await startTestSystem({
    maxHistoryEvents: MAX_HISTORY_EVENTS,
    settings: { sweepBatchSize: 8, sesSendRate: 200 },
  });
}, 120_000);

afterAll(async () => {
  await system?.close();
});

async function sweep() {
  const { executionArn } = await system.sfn.send(
    new StartExecutionCommand({
      stateMachineArn: system.sweepStateMachineArn,
      name: `sweep-${randomUUID()}`,
      input: '{}',
    }),
  );
  return system.whenSweepDone(String(executionArn));
}

async function batchInputs(run: Awaited<ReturnType<typeof sweep>>): Promise<SweepBatchInput[]> {
  const inputs: SweepBatchInput[] = [];
  for (const batch of run.batches) {
    const { input } = await system.sfn.send(
      new DescribeExecutionCommand({ executionArn: batch.executionArn }),
    );
    inputs.push(JSON.parse(input ?? '{}') as SweepBatchInput);
  }
  return inputs;
}

async function historyLength(executionArn: string): Promise<number> {
  let count = 0;
  let nextToken: string | undefined;
  do {
    const page = await system.sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken }),
    );
    count += page.events?.length ?? 0;
    nextToken = page.nextToken;
  } while (nextToken);
  return count;
}

describe('Workflow: a sweep bigger than one execution', () => {
  it('handles every due app in batches that each stay under the history quota, and leaves a reminded app until its next reminder', async () => {
    // Prepare: more due apps than one execution's history could hold.
    const apps: AppRecord[] = [];
    for (let i = 0; i < APPS; i++) apps.push(await enroll(system, { policy: 'remind' }));
    for (const app of apps) await ageToken(system, app, 200);

    // Act
    const first = await sweep();
    const again = await sweep();

    // Assess: every app reminded once, by batches of 8, none near the quota.
    expect(first.status).toBe('SUCCEEDED');
    expect(first.batches).toHaveLength(APPS / 8);
    for (const batch of first.batches) {
      const events = await historyLength(batch.executionArn);
      expect(events).toBeLessThan(MAX_HISTORY_EVENTS);
    }
    const planned = (await batchInputs(first)).flatMap((batch) => batch.items.map((item) => item.appId));
    expect(planned.sort()).toEqual(apps.map((app) => app.appId).sort());
    for (const app of apps) {
      const reminders = (await emailsAbout(system, app.appId)).filter(
        (mail) => mail.event === 'ROTATION_REMINDER',
      );
      expect(reminders).toHaveLength(2); // one to each of its two admins
    }
    // The reminded apps are due again only at their next reminder, so the second sweep has none of them.
    expect(again.status).toBe('SUCCEEDED');
    const second = (await batchInputs(again)).flatMap((batch) => batch.items.map((item) => item.appId));
    expect(second.filter((appId) => apps.some((app) => app.appId === appId))).toEqual([]);
    const reminded = await system.registry.apps.getApp(apps[0]?.appId ?? '');
    expect(reminded.lastReminderAt).toBeDefined();
    // Nor is one due tomorrow: its next look is its next reminder.
    const tomorrow = await system.registry.apps.findDueApps(
      new Date(Date.now() + 86_400_000).toISOString(),
      1000,
    );
    expect(tomorrow.appIds.filter((appId) => apps.some((app) => app.appId === appId))).toEqual([]);
  }, 180_000);
});
