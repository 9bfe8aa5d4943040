import { createServer } from 'node:net';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SESClient } from '@aws-sdk/client-ses';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { describeApp } from '../../cli/commands/apps.ts';
import { keys } from '../../lambda/contract/table.ts';
import {
  isRetryableSesError,
  NotificationThrottledError,
  sendNotification,
} from '../../lambda/notifications/sendNotification.ts';
import { appView } from '../../lambda/operator-api/views.ts';
import type { AppRecord, AuditEvent } from '../../lambda/store/model.ts';
import {
  NOTIFICATION_LEASE_SECONDS,
  type NotificationStatus,
} from '../../lambda/store/notificationLedger.ts';
import type { Registry } from '../../lambda/store/Registry.ts';
import { APP_DEFAULTS } from '../../local/demoApp.ts';
import { startLocalEventBridge } from '../../local/eventbridge/server.ts';
import { allEmails } from '../../local/observe.ts';
import type { StrictSes, StrictSesOptions } from '../../local/ses/strictSes.ts';
import { documentClient, registry as dynamoRegistry, enrollTestApp } from '../support/aws.ts';
import { TEST_TABLE } from '../support/environment.ts';
import { emfLinesOf, testMetrics } from '../support/metrics.ts';
import { startSesWithClient } from '../support/ses.ts';

/**
 * sendNotification against the strict local SES: what Rotor does with SES's refusals. A throttled
 * send gives its claim back and is thrown for the workflow's Retry; a permanent refusal is recorded
 * as failed and not sent again. The crash and lease tests use the real ledger on the local DynamoDB.
 */
const SENDER = 'rotor@rotor.example';
let ses: StrictSes | undefined;

afterEach(async () => {
  await ses?.close();
  ses = undefined;
});

const app: AppRecord = {
  appId: 'billing-api',
  secretArn: 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:rotor/billing-api-AbCdEf',
  issuer: 'managed',
  admins: [{ email: 'first@verified.example' }, { email: 'second@elsewhere.example', locale: 'en' }],
  customers: [],
  ...APP_DEFAULTS,
  state: 'ACTIVE',
  currentVersionId: 'v1',
  tokenIssuedAt: '2026-01-01T00:00:00.000Z',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

/** The registry calls sendNotification makes, in memory. */
function memoryRegistry() {
  const claims = new Map<string, NotificationStatus>();
  const audit: AuditEvent[] = [];
  const registry = {
    apps: { getApp: async () => app },
    rotations: { findRotation: async () => undefined },
    tokens: { tokenUsage: async () => ({ uses: 0 }) },
    notifications: {
      claim: async (_appId: string, key: string) => {
        const status = claims.get(key);
        if (status) return { claimed: false, status };
        claims.set(key, 'sending');
        return { claimed: true, tookOver: false };
      },
      settle: async (_appId: string, key: string, status: NotificationStatus) => {
        claims.set(key, status);
      },
      release: async (_appId: string, key: string) => {
        claims.delete(key);
      },
    },
    audit: {
      appendAudit: async (event: AuditEvent) => {
        audit.push(event);
      },
    },
  };
  return { registry: registry as unknown as Registry, claims, audit };
}

async function start(options: StrictSesOptions) {
  const started = await startSesWithClient(options);
  ses = started.ses;
  return { url: started.ses.url, client: started.client };
}

const request = { appId: app.appId, event: 'ROTATION_REMINDER' as const };
const clock = () => new Date('2026-07-01T06:00:00.000Z');

describe('Function: sendNotification (against the strict local SES)', () => {
  it('a throttled send is thrown as NotificationThrottledError with its claim given back; the retry sends it once', async () => {
    let now = 0;
    const { url, client } = await start({ maxSendRate: 1, now: () => now });
    const { registry, claims } = memoryRegistry();
    const deps = { registry, ses: client, senderAddress: SENDER, clock };

    const thrown = await sendNotification(deps, request).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(thrown).toBeInstanceOf(NotificationThrottledError);
    expect((thrown as Error).name).toBe('NotificationThrottledError');
    expect([...claims.values()]).toEqual(['sent']);

    now += 1000;
    const retried = await sendNotification(deps, request);
    expect(retried).toEqual({
      sent: ['second@elsewhere.example'],
      skipped: ['first@verified.example'],
      failed: [],
      settled: true,
    });
    expect((await allEmails(url)).map((mail) => mail.to)).toEqual([
      'first@verified.example',
      'second@elsewhere.example',
    ]);
  });

  it('a permanent refusal (sandbox: unverified recipient) is recorded as failed and audited, and not sent again', async () => {
    const { url, client } = await start({ sandbox: { verifiedIdentities: [SENDER, 'verified.example'] } });
    const { registry, audit } = memoryRegistry();
    const deps = { registry, ses: client, senderAddress: SENDER, clock };

    const outcome = await sendNotification(deps, request);
    expect(outcome).toEqual({
      sent: ['first@verified.example'],
      skipped: [],
      failed: ['second@elsewhere.example'],
      settled: true,
    });
    expect(audit).toEqual([
      expect.objectContaining({
        action: 'notification.send',
        outcome: 'failed',
        detail: expect.stringContaining(
          'MessageRejected: Email address is not verified. The following identities failed the check in region EU-CENTRAL-1: second@elsewhere.example',
        ),
      }),
    ]);

    expect(await sendNotification(deps, request)).toEqual({
      sent: [],
      skipped: ['first@verified.example', 'second@elsewhere.example'],
      failed: [],
      settled: true,
    });
    expect((await allEmails(url)).map((mail) => mail.to)).toEqual(['first@verified.example']);
  });
});

/** A port on 127.0.0.1 that nothing listens on: connections to it are refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** An SES client whose SendEmail never answers: the Lambda is killed while it waits. */
function dyingSes(): { ses: SESClient; reached: Promise<void> } {
  let reached: () => void = () => undefined;
  const called = new Promise<void>((resolve) => {
    reached = resolve;
  });
  const ses = {
    send: () => {
      reached();
      return new Promise<never>(() => undefined);
    },
  } as unknown as SESClient;
  return { ses, reached: called };
}

async function ledgerItem(appId: string, key: string) {
  const { Item } = await documentClient.send(
    new GetCommand({ TableName: TEST_TABLE, Key: keys.notification(appId, key), ConsistentRead: true }),
  );
  return Item;
}

describe('Function: sendNotification (crashes and outages, with the ledger in DynamoDB)', () => {
  const start6am = Date.parse('2026-07-01T06:00:00.000Z');

  it('a Notify killed between its claim and SES: the next attempt skips it within the lease and sends it after, so it is never lost', async () => {
    // Prepare: the app's admins are admin@example.com and ops@example.com.
    const { url, client } = await start({});
    const enrolled = await enrollTestApp();
    let now = start6am;
    const clock = () => new Date(now);
    const reminder = { appId: enrolled.appId, event: 'ROTATION_REMINDER' as const };
    const dying = dyingSes();
    void sendNotification(
      { registry: dynamoRegistry, ses: dying.ses, senderAddress: SENDER, clock },
      reminder,
    );
    await dying.reached;
    const deps = { registry: dynamoRegistry, ses: client, senderAddress: SENDER, clock };

    // Act: a workflow retry a minute later, then the sweep after the lease.
    now += 60_000;
    const withinLease = await sendNotification(deps, reminder);
    now = start6am + NOTIFICATION_LEASE_SECONDS * 1000 + 1000;
    const afterLease = await sendNotification(deps, reminder);
    const again = await sendNotification(deps, reminder);

    // Assess
    expect(withinLease).toEqual({
      sent: ['ops@example.com'],
      skipped: ['admin@example.com'],
      failed: [],
      settled: false,
    });
    expect(afterLease).toEqual({
      sent: ['admin@example.com'],
      skipped: ['ops@example.com'],
      failed: [],
      settled: true,
    });
    expect(again).toEqual({
      sent: [],
      skipped: ['admin@example.com', 'ops@example.com'],
      failed: [],
      settled: true,
    });
    expect((await allEmails(url)).map((mail) => mail.to)).toEqual(['ops@example.com', 'admin@example.com']);
  });

  it('two attempts that find the same dead claim after the lease: only one of them sends', async () => {
    // Prepare
    const { url, client } = await start({});
    const enrolled = await enrollTestApp({ admins: [{ email: 'admin@example.com' }] });
    let now = start6am;
    const clock = () => new Date(now);
    const reminder = { appId: enrolled.appId, event: 'ROTATION_REMINDER' as const };
    const dying = dyingSes();
    void sendNotification(
      { registry: dynamoRegistry, ses: dying.ses, senderAddress: SENDER, clock },
      reminder,
    );
    await dying.reached;
    now += NOTIFICATION_LEASE_SECONDS * 1000 + 1000;
    const deps = { registry: dynamoRegistry, ses: client, senderAddress: SENDER, clock };

    // Act
    const outcomes = await Promise.all([sendNotification(deps, reminder), sendNotification(deps, reminder)]);

    // Assess
    expect(outcomes.flatMap((outcome) => outcome.sent)).toEqual(['admin@example.com']);
    expect((await allEmails(url)).map((mail) => mail.to)).toEqual(['admin@example.com']);
  });

  it('SES unreachable (connection refused, no HTTP status) is thrown as NotificationThrottledError with the claim given back; the retry sends', async () => {
    // Prepare
    const { url, client } = await start({});
    const enrolled = await enrollTestApp({ admins: [{ email: 'admin@example.com' }] });
    const clock = () => new Date(start6am);
    const reminder = { appId: enrolled.appId, event: 'ROTATION_REMINDER' as const };
    const unreachable = new SESClient({
      region: 'eu-central-1',
      endpoint: `http://127.0.0.1:${await closedPort()}`,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });

    // Act
    const thrown = await sendNotification(
      { registry: dynamoRegistry, ses: unreachable, senderAddress: SENDER, clock },
      reminder,
    ).then(
      () => undefined,
      (error: unknown) => error,
    );
    const claimAfterOutage = await ledgerItem(
      enrolled.appId,
      'reminder-2026-07-01#ROTATION_REMINDER#admin@example.com',
    );
    const retried = await sendNotification(
      { registry: dynamoRegistry, ses: client, senderAddress: SENDER, clock },
      reminder,
    );

    // Assess
    expect(thrown).toBeInstanceOf(NotificationThrottledError);
    expect((thrown as Error).name).toBe('NotificationThrottledError');
    expect((thrown as Error).message).toContain('SES did not take ROTATION_REMINDER for admin@example.com');
    expect(claimAfterOutage).toBeUndefined();
    expect(retried).toEqual({ sent: ['admin@example.com'], skipped: [], failed: [], settled: true });
    expect((await allEmails(url)).map((mail) => mail.to)).toEqual(['admin@example.com']);
  });

  it("a permanent refusal is listed with its event, recipient, time and SES's reason by the app view and rotor apps show, and counted in the metric", async () => {
    // Prepare: in the SES sandbox only admin@example.com is verified, so ops@example.com is refused.
    const { client } = await start({ sandbox: { verifiedIdentities: [SENDER, 'admin@example.com'] } });
    const enrolled = await enrollTestApp();
    const clock = () => new Date(start6am);
    const deps = {
      registry: dynamoRegistry,
      ses: client,
      senderAddress: SENDER,
      clock,
      metrics: testMetrics(),
    };
    const reminder = { appId: enrolled.appId, event: 'ROTATION_REMINDER' as const };

    // Act
    const { result: outcome, emf } = await emfLinesOf(() => sendNotification(deps, reminder));
    const view = appView(
      enrolled,
      clock(),
      undefined,
      undefined,
      await dynamoRegistry.notifications.undelivered(enrolled.appId),
    );
    const shown = describeApp(view, clock(), (_colour, text) => text);

    // Assess
    expect(outcome).toEqual({
      sent: ['admin@example.com'],
      skipped: [],
      failed: ['ops@example.com'],
      settled: true,
    });
    expect(view.undeliveredEmails).toEqual([
      {
        event: 'ROTATION_REMINDER',
        recipient: 'ops@example.com',
        at: '2026-07-01T06:00:00.000Z',
        reason: expect.stringMatching(/^MessageRejected: Email address is not verified\. .*ops@example\.com/),
      },
    ]);
    expect(shown).toMatch(
      /\n {2}undelivered +ROTATION_REMINDER to ops@example\.com, 2026-07-01 08:00: MessageRejected: Email address is not verified\./,
    );
    expect(shown).toContain('SES refused these for good and they are not retried');
    // And the email sent is counted, and the refusal in the metric the stack alarms on.
    expect(emf).toEqual([
      expect.objectContaining({
        EmailsSent: 1,
        service: 'rotor',
        appId: enrolled.appId,
        event: 'ROTATION_REMINDER',
      }),
      expect.objectContaining({
        UndeliverableEmails: 1,
        service: 'rotor',
        appId: enrolled.appId,
        event: 'ROTATION_REMINDER',
      }),
    ]);
  });
});

describe('Function: isRetryableSesError', () => {
  it('retries throttling, 5xx and failures without an answer; refuses for good only a 4xx', () => {
    const answered = (name: string, httpStatusCode: number) =>
      Object.assign(new Error(name), { name, $metadata: { httpStatusCode } });
    const unanswered = (name: string, code: string) =>
      Object.assign(new Error(code), { name, code, $metadata: {} });

    expect(isRetryableSesError(answered('Throttling', 400))).toBe(true);
    expect(isRetryableSesError(answered('InternalFailure', 500))).toBe(true);
    expect(isRetryableSesError(answered('ServiceUnavailable', 503))).toBe(true);
    expect(isRetryableSesError(unanswered('Error', 'ECONNRESET'))).toBe(true);
    expect(isRetryableSesError(unanswered('TimeoutError', 'ETIMEDOUT'))).toBe(true);
    expect(isRetryableSesError(unanswered('Error', 'ENOTFOUND'))).toBe(true);
    expect(isRetryableSesError(answered('MessageRejected', 400))).toBe(false);
    expect(isRetryableSesError(answered('MailFromDomainNotVerifiedException', 400))).toBe(false);
  });
});

describe('Function: sendNotification puts each email event on the event bus', () => {
  it('after the emails, once: a throttled PutEvents is retried without sending the emails again', async () => {
    // Prepare: the local EventBridge, reached by a client that is throttled at its first call
    const { client } = await start({});
    const bus = await startLocalEventBridge({ region: 'eu-central-1', accountId: '123456789012' });
    try {
      const { registry, claims } = memoryRegistry();
      const real = new EventBridgeClient({ endpoint: bus.url, region: 'eu-central-1' });
      let calls = 0;
      const flaky = {
        send: async (command: unknown) => {
          calls += 1;
          if (calls === 1) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
          return real.send(command as never);
        },
      } as unknown as EventBridgeClient;
      const deps = {
        registry,
        ses: client,
        senderAddress: SENDER,
        clock,
        events: { client: flaky, busName: 'default' },
      };

      // Act
      const first = await sendNotification(deps, request).catch((error: unknown) => error);
      const retried = await sendNotification(deps, request);
      const third = await sendNotification(deps, request);

      // Assess
      expect((first as Error).name).toBe('NotificationThrottledError');
      expect(retried.skipped).toEqual(['first@verified.example', 'second@elsewhere.example']);
      expect(third.sent).toEqual([]);
      expect(bus.events().map((event) => `${event.source} ${event.detailType} ${event.bus}`)).toEqual([
        'rotor Rotor Rotation Reminder default',
      ]);
      expect(bus.events()[0]?.detail).toMatchObject({
        event: 'ROTATION_REMINDER',
        appId: app.appId,
        version: '1',
      });
      expect([...claims.values()]).toEqual(['sent', 'sent', 'sent']);
    } finally {
      await bus.close();
    }
  });

  it('a bus that does not exist is recorded as failed and audited, and the emails still go out', async () => {
    // Prepare
    const { url, client } = await start({});
    const bus = await startLocalEventBridge({ region: 'eu-central-1', accountId: '123456789012' });
    try {
      const { registry, audit } = memoryRegistry();
      const events = {
        client: new EventBridgeClient({ endpoint: bus.url, region: 'eu-central-1' }),
        busName: 'missing',
      };

      // Act
      const outcome = await sendNotification(
        { registry, ses: client, senderAddress: SENDER, clock, events },
        request,
      );

      // Assess
      expect(outcome.sent).toHaveLength(2);
      expect(outcome.settled).toBe(true);
      expect((await allEmails(url)).length).toBe(2);
      expect(bus.events()).toEqual([]);
      expect(audit).toEqual([
        expect.objectContaining({
          action: 'event.publish',
          outcome: 'failed',
          detail:
            'Rotor Rotation Reminder to event bus missing refused (ResourceNotFoundException: Event bus missing does not exist.)',
        }),
      ]);
    } finally {
      await bus.close();
    }
  });
});
