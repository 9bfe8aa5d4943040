import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { TokenClient } from '../../consumer/index.ts';
import { enrollTestApp, tokenOf } from '../support/aws.ts';

/** A Secrets Manager client that counts its reads. */
function countingSecretsManager() {
  const client = new SecretsManagerClient({});
  const calls = { reads: 0 };
  client.middlewareStack.add(
    (next) => async (args) => {
      calls.reads += 1;
      return next(args);
    },
    { step: 'initialize', name: 'countReads' },
  );
  return { client, calls };
}

describe('Class: TokenClient (rotor/consumer)', () => {
  it('reads the current token once per TTL, by app id or by secret ARN, sharing concurrent reads', async () => {
    // Prepare
    const app = await enrollTestApp();
    const { client, calls } = countingSecretsManager();
    const tokens = new TokenClient({ secretsManager: client, ttlMs: 60_000 });

    // Act
    const together = await Promise.all(Array.from({ length: 10 }, () => tokens.getToken(app.appId)));
    const again = await tokens.getToken(app.appId);
    const byArn = await tokens.getToken(app.secretArn);

    // Assess
    const current = await tokenOf(app.secretArn, app.currentVersionId);
    expect(new Set([...together, again, byArn])).toEqual(new Set([current]));
    expect(calls.reads).toBe(2);
  });

  it('retries a call answered 401 once with a fresh token, and returns the second answer', async () => {
    // Prepare: the service's cached token has just been rotated away.
    const app = await enrollTestApp();
    const tokens = new TokenClient({ ttlMs: 60_000 });
    await tokens.getToken(app.appId);
    const stale = await tokens.getToken(app.appId);
    const accepted = 'rtr_the-new-one';
    const seen: string[] = [];
    const fresh = { refresh: tokens.refresh.bind(tokens) };
    tokens.refresh = async (id) => {
      await fresh.refresh(id);
      return accepted;
    };

    // Act
    const answer = await tokens.withToken(app.appId, async (token) => {
      seen.push(token === stale ? 'stale' : token);
      return { status: token === accepted ? 200 : 401 };
    });

    // Assess
    expect(seen).toEqual(['stale', accepted]);
    expect(answer).toEqual({ status: 200 });
  });

  it('passes other failures through without a retry', async () => {
    const app = await enrollTestApp();
    const tokens = new TokenClient();
    let calls = 0;

    const failure = tokens.withToken(app.appId, async () => {
      calls += 1;
      throw Object.assign(new Error('upstream timed out'), { status: 504 });
    });

    await expect(failure).rejects.toThrow('upstream timed out');
    expect(calls).toBe(1);
  });

  it('refuses a cache longer than 15 minutes, naming the limit', () => {
    expect(() => new TokenClient({ ttlMs: 86_400_000 })).toThrow(
      'ttlMs must be a whole number of milliseconds from 0 to 900000 (got 86400000)',
    );
  });
});
