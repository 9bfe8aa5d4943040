import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubSpotUnavailableError } from '../../lambda/contract/errors.ts';
import { compareScopes, lookUpHubSpotToken } from '../../lambda/integrations/hubspot.ts';
import { type FakeHubSpot, startFakeHubSpot } from '../../local/hubspot/fake.ts';

let hubspot: FakeHubSpot;
const sleeps: number[] = [];
const options = () => ({
  apiUrl: hubspot.url,
  sleep: async (ms: number) => {
    sleeps.push(ms);
  },
});

beforeAll(async () => {
  hubspot = await startFakeHubSpot();
});

afterAll(async () => {
  await hubspot.close();
});

describe('Function: lookUpHubSpotToken', () => {
  it("reports an accepted token's portal and scopes, and a refused one as HubSpot's 401", async () => {
    // Prepare
    const token = hubspot.issueToken({
      hubId: 4711,
      scopes: ['crm.objects.deals.read', 'crm.objects.contacts.read'],
    });

    // Act
    const accepted = await lookUpHubSpotToken(token, options());
    hubspot.expireNow(token);
    const refused = await lookUpHubSpotToken(token, options());

    // Assess
    expect(accepted).toEqual({
      accepted: true,
      info: {
        hubId: 4711,
        appId: 1,
        userId: 42,
        scopes: ['crm.objects.contacts.read', 'crm.objects.deals.read'],
      },
    });
    expect(refused).toEqual({ accepted: false, status: 401 });
  });

  it('retries 429 and 5xx with exponential backoff, then answers', async () => {
    // Prepare
    const token = hubspot.issueToken({ hubId: 1, scopes: ['oauth'] });
    hubspot.injectFaults({ status: 429 }, { status: 502 }, { status: 503 });
    sleeps.length = 0;
    const before = hubspot.requestCount();

    // Act
    const verdict = await lookUpHubSpotToken(token, { ...options(), backoffMs: 100 });

    // Assess
    expect(verdict.accepted).toBe(true);
    expect(hubspot.requestCount() - before).toBe(4);
    expect(sleeps).toEqual([100, 200, 400]);
  });

  it('gives up after the last attempt with a sentence that names HubSpot and never the token', async () => {
    // Prepare
    const token = hubspot.issueToken({ hubId: 1, scopes: ['oauth'] });
    hubspot.injectFaults({ status: 500 }, { status: 500 }, { status: 500 });

    // Act
    const error = await lookUpHubSpotToken(token, { ...options(), maxAttempts: 3 }).catch(
      (caught: Error) => caught,
    );

    // Assess
    expect(error).toBeInstanceOf(HubSpotUnavailableError);
    expect((error as Error).message).toBe(
      `HubSpot (${hubspot.url}) answered 500 on each of 3 attempts; nothing was changed, try again later`,
    );
    expect((error as Error).message).not.toContain(token);
  });

  it('turns a timeout into a clear error', async () => {
    // Prepare
    const token = hubspot.issueToken({ hubId: 1, scopes: ['oauth'] });
    hubspot.injectFaults({ delayMs: 400 });

    // Act
    const error = await lookUpHubSpotToken(token, { ...options(), timeoutMs: 100 }).catch(
      (caught: Error) => caught,
    );

    // Assess
    expect(error).toBeInstanceOf(HubSpotUnavailableError);
    expect((error as Error).message).toContain('did not answer within 0.1 s');
  });
});

describe('Function: compareScopes', () => {
  it("ends within its time budget even while HubSpot's Retry-After asks to wait longer", async () => {
    // Prepare: HubSpot throttles with Retry-After 20 s on every attempt; real timers.
    const token = hubspot.issueToken({ hubId: 4711, scopes: [] });
    let calls = 0;
    const throttled = (async () => {
      calls += 1;
      return new Response('{}', { status: 429, headers: { 'retry-after': '20' } });
    }) as typeof fetch;

    // Act
    const started = Date.now();
    const error = await lookUpHubSpotToken(token, {
      apiUrl: hubspot.url,
      fetch: throttled,
      signal: AbortSignal.timeout(100),
    }).catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(HubSpotUnavailableError);
    expect((error as Error).message).toBe(
      `HubSpot (${hubspot.url}) gave no answer within the time this request allows; nothing was changed, try again later`,
    );
    expect(calls).toBe(1);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('lists the scopes added and removed', () => {
    expect(compareScopes(['a', 'b', 'c'], ['b', 'c', 'd', 'e'])).toEqual({
      added: ['d', 'e'],
      removed: ['a'],
    });
  });
});
