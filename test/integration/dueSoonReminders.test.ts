import type { SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import { describe, expect, it } from 'vitest';
import { sweepApp } from '../../lambda/domain/sweep.ts';
import { deliverOutbox } from '../../lambda/notifications/outbox.ts';
import type { AppRecord } from '../../lambda/store/model.ts';
import { APP_DEFAULTS } from '../../local/demoApp.ts';
import { registry, secretsManager, uniqueAppId } from '../support/aws.ts';

/**
 * The before-due reminders through the registry: the sweep's conditional write queues each at most once
 * per due date, and the email ledger sends each at most once per due date and recipient.
 */
const DAY_MS = 86_400_000;
const ISSUED = '2026-01-01T08:00:00.000Z';
const DUE = Date.parse(ISSUED) + 180 * DAY_MS;

async function registered(overrides: Partial<AppRecord> = {}): Promise<AppRecord> {
  const appId = uniqueAppId('due-soon');
  const app: AppRecord = {
    appId,
    secretArn: `arn:aws:secretsmanager:eu-central-1:123456789012:secret:rotor/${appId}-AbCdEf`,
    issuer: 'managed',
    admins: [{ email: `de@${appId}.example` }, { email: `en@${appId}.example`, locale: 'en' }],
    customers: [],
    ...APP_DEFAULTS,
    policy: 'remind',
    state: 'ACTIVE',
    currentVersionId: 'v1',
    tokenIssuedAt: ISSUED,
    createdAt: ISSUED,
    updatedAt: ISSUED,
    ...overrides,
  };
  await registry.apps.createApp(app);
  return app;
}

/** The daily sweep of one app at `ms`, then the delivery of its outbox; the subjects SES was given. */
async function sweepAndDeliver(appId: string, ms: number, subjects: string[]) {
  const clock = () => new Date(ms);
  const ses = {
    send: async (command: SendEmailCommand) => {
      subjects.push(
        `${command.input.Destination?.ToAddresses?.[0]?.split('@')[0]}: ${command.input.Message?.Subject?.Data}`,
      );
      return {};
    },
  } as unknown as SESClient;
  const outcome = await sweepApp(
    { registry, secretsManager, clock, startWorkflow: async () => undefined },
    await registry.apps.getApp(appId),
  );
  await deliverOutbox({ registry, ses, senderAddress: 'rotor@example.com', clock }, appId);
  return outcome.action;
}

describe('Sweep: reminders before the due date', () => {
  it('queues and sends the 30- and the 7-day reminder once each per recipient; a re-run the same day sends nothing', async () => {
    // Prepare
    const app = await registered();
    const subjects: string[] = [];
    const day = (before: number) => DUE - before * DAY_MS + 22 * 3_600_000;

    // Act
    const actions = [
      await sweepAndDeliver(app.appId, day(31), subjects),
      await sweepAndDeliver(app.appId, day(30), subjects),
      await sweepAndDeliver(app.appId, day(30) + 3_600_000, subjects),
      await sweepAndDeliver(app.appId, day(7), subjects),
      await sweepAndDeliver(app.appId, day(7) + 3_600_000, subjects),
    ];

    // Assess
    expect(actions).toEqual(['nothing', 'due-soon-queued', 'nothing', 'due-soon-queued', 'nothing']);
    expect(subjects).toEqual([
      `de: [Rotor] ${app.appId}: Token-Rotation in 30 Tagen fällig`,
      `en: [Rotor] ${app.appId}: Token rotation due in 30 days`,
      `de: [Rotor] ${app.appId}: Token-Rotation in 7 Tagen fällig`,
      `en: [Rotor] ${app.appId}: Token rotation due in 7 days`,
    ]);
    const after = await registry.apps.getApp(app.appId);
    expect(after.outbox).toEqual({});
    expect(after.dueSoonReminder).toEqual({ dueAt: new Date(DUE).toISOString(), beforeSeconds: 7 * 86_400 });
  });

  it('sends none with --remind-before none', async () => {
    const app = await registered({ remindBeforeSeconds: [] });
    const subjects: string[] = [];

    expect(await sweepAndDeliver(app.appId, DUE - 2 * DAY_MS, subjects)).toBe('nothing');
    expect(subjects).toEqual([]);
  });

  it('gives a new token its own reminders: the ones of the due date before do not hold them back', async () => {
    // Prepare: the last token's 7-day reminder went out; the token was rotated since.
    const issued = new Date(DUE - DAY_MS).toISOString();
    const app = await registered({
      tokenIssuedAt: issued,
      dueSoonReminder: { dueAt: new Date(DUE).toISOString(), beforeSeconds: 7 * 86_400 },
    });
    const subjects: string[] = [];

    // Act
    const action = await sweepAndDeliver(
      app.appId,
      Date.parse(issued) + 150 * DAY_MS + 12 * 3_600_000,
      subjects,
    );

    // Assess
    expect(action).toBe('due-soon-queued');
    expect(subjects).toHaveLength(2);
    expect(subjects[0]).toContain('in 30 Tagen');
  });
});
