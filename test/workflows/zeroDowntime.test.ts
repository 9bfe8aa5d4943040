import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenClient } from '../../consumer/index.ts';
import {
  emailsAbout,
  enroll,
  rotate,
  startTestSystem,
  type TestSystem,
  tokenOf,
} from '../support/localSystem.ts';

/**
 * The zero-downtime proof: services call an API protected by Rotor's authorizer in a loop through a
 * whole expire-later rotation. They read their token through the consumer client; one old caller
 * keeps only the token it had before the rotation.
 */
const AUTH_CACHE_SECONDS = 1;
let system: TestSystem;
/** When the expiry began (the ExpireOldToken task started): the old token is owed acceptance until then. */
let expiryStartedAt = Number.POSITIVE_INFINITY;
let authorize: (event: unknown) => Promise<unknown>;

beforeAll(async () => {
  system = await startTestSystem({
    // The grace period's waits, shortened: 2.5 s of grace before the notice, then 0.5 s to the expiry.
    waitTimeOverrides: { WaitForNotice: 2500, WaitForExpiry: 500 },
    retryIntervalOverrides: { CheckPromotion: 400 },
    wrapHandler: (fn, handler) =>
      fn.handler === 'expire-old-token'
        ? async (event) => {
            expiryStartedAt = Math.min(expiryStartedAt, Date.now());
            return handler(event);
          }
        : handler,
  });
  // The authorizer as a user deploys it (RotorTokenAuthorizer), with short bounds for the test.
  process.env.VERIFY_CACHE_TTL_SECONDS = String(AUTH_CACHE_SECONDS);
  process.env.USAGE_FLUSH_SECONDS = '0.2';
  ({ handler: authorize } = (await import('../../lambda/authorizer/index.ts')) as {
    handler: (event: unknown) => Promise<unknown>;
  });
});

afterAll(async () => {
  await system?.close();
});

/** The protected API: API Gateway answers 401 when the authorizer says Unauthorized. */
async function callProtectedApi(token: string): Promise<{ status: number }> {
  try {
    await authorize({
      type: 'TOKEN',
      authorizationToken: `Bearer ${token}`,
      methodArn: 'arn:aws:execute-api:eu-central-1:123456789012:api/prod/GET/invoices',
    });
    return { status: 200 };
  } catch {
    return { status: 401 };
  }
}

describe('Zero downtime', () => {
  it('no consumer call fails through an expire-later rotation; after the expiry the old token is refused', async () => {
    // Prepare
    const app = await enroll(system);
    const oldToken = await tokenOf(system, app.secretArn, app.currentVersionId);
    const consumers = Array.from({ length: 4 }, () => new TokenClient({ ttlMs: 150 }));
    const results: { status: number; state: string }[] = [];
    /** The old caller's calls, each with when it ended. */
    const oldCaller: { status: number; endedAt: number }[] = [];
    let running = true;
    const loops = consumers.map(async (consumer) => {
      for (let call = 0; running && call < 5000; call += 1) {
        const answer = await consumer.withToken(app.appId, callProtectedApi);
        const { state } = await system.registry.apps.getApp(app.appId);
        results.push({ status: answer.status, state });
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    });
    const oldLoop = (async () => {
      for (let call = 0; running && call < 5000; call += 1) {
        const { status } = await callProtectedApi(oldToken);
        oldCaller.push({ status, endedAt: Date.now() });
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();

    // Act
    const { executionArn } = await rotate(system, app, 'expire-later');
    const stopped = await system.stepFunctions.whenStopped(executionArn);
    const expiredAt = Date.now();
    // Let the old token's cached acceptance run out, and the loops see it.
    await new Promise((resolve) => setTimeout(resolve, (AUTH_CACHE_SECONDS + 1) * 1000));
    running = false;
    await Promise.all([...loops, oldLoop]);
    const refusedAfterExpiry = (await callProtectedApi(oldToken)).status;

    // Assess
    expect(stopped.status).toBe('SUCCEEDED');
    const duringGrace = results.filter((result) => result.state === 'GRACE');
    expect(duringGrace.length).toBeGreaterThan(50);
    expect(results.filter((result) => result.status !== 200)).toEqual([]);
    // Every call of the old caller that ended before the expiry began was accepted (a call that
    // overlaps the expiry may go either way).
    const beforeExpiry = oldCaller.filter((r) => r.endedAt < expiryStartedAt);
    expect(beforeExpiry.length).toBeGreaterThan(10);
    expect(beforeExpiry.filter((r) => r.status !== 200)).toEqual([]);
    expect(refusedAfterExpiry).toBe(401);
    expect(Date.now() - expiredAt).toBeLessThan((AUTH_CACHE_SECONDS + 1) * 1000 + 2000);

    // The 24-hour notice told the admins that the old token was still in use, and how often.
    const notice = (await emailsAbout(system, app.appId)).find(
      (mail) => mail.event === 'TOKEN_EXPIRES_IN_24H' && mail.locale === 'en',
    );
    const used = /The old token was still used (once|(\d+) times) in the last 24 hours/.exec(
      notice?.text ?? '',
    );
    expect(used).not.toBeNull();
    // Every acceptance of the old token until the notice: the old caller's and the consumers' own
    // calls before their caches moved to the new token.
    expect(Number(used?.[2] ?? 1)).toBeGreaterThan(beforeExpiry.length / 2);
  });
});
