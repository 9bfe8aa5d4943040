import { afterEach, describe, expect, it } from 'vitest';
import type { AppRecord, AuditEvent } from '../../lambda/shared/model.ts';
import {
  NotificationThrottledError,
  sendNotification,
} from '../../lambda/shared/notifications/sendNotification.ts';
import type { Registry } from '../../lambda/shared/Registry.ts';
import { APP_DEFAULTS } from '../../local/demoApp.ts';
import { allEmails } from '../../local/observe.ts';
import type { StrictSes, StrictSesOptions } from '../../local/ses/strictSes.ts';
import { startSesWithClient } from '../support/ses.ts';

/**
 * sendNotification against the strict local SES: what Rotor does with SES's refusals. A throttled
 * send gives its claim back and is thrown for the workflow's Retry; a permanent refusal is recorded
 * as failed and not sent again.
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
  const claims = new Map<string, string>();
  const audit: AuditEvent[] = [];
  const registry = {
    getApp: async () => app,
    findRotation: async () => undefined,
    tokenUsage: async () => ({ uses: 0 }),
    claimNotification: async (_appId: string, key: string) => {
      if (claims.has(key)) return false;
      claims.set(key, 'sending');
      return true;
    },
    settleNotification: async (_appId: string, key: string, status: string) => {
      claims.set(key, status);
    },
    releaseNotification: async (_appId: string, key: string) => {
      claims.delete(key);
    },
    appendAudit: async (event: AuditEvent) => {
      audit.push(event);
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
    });
    expect((await allEmails(url)).map((mail) => mail.to)).toEqual(['first@verified.example']);
  });
});
