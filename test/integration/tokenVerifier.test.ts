import { describe, expect, it, vi } from 'vitest';
import { TokenVerifier } from '../../lambda/domain/tokenVerifier.ts';
import type { AppRecord } from '../../lambda/store/model.ts';
import { allRegistryItems, enrollTestApp, registry, tokenOf } from '../support/aws.ts';
import { withLastCharacterChanged } from '../support/mutate.ts';

/** The registry, counting the lookups and the usage writes the verifier makes. */
function countingRegistry() {
  const calls = { lookups: 0, writes: [] as number[] };
  return {
    calls,
    registry: {
      tokens: {
        findTokenByHash: async (hash: string) => {
          calls.lookups += 1;
          return registry.tokens.findTokenByHash(hash);
        },
        recordTokenUse: async (hash: string, uses: number, at: string) => {
          calls.writes.push(uses);
          return registry.tokens.recordTokenUse(hash, uses, at);
        },
      },
    },
  };
}

async function currentToken(app: AppRecord): Promise<string> {
  return tokenOf(app.secretArn, app.currentVersionId);
}

describe('Class: TokenVerifier', () => {
  it('answers repeated checks from its cache, and a revocation bites once the cache time is over', async () => {
    // Prepare: the verifier's clock (Date) stands still unless the test moves it, so a slow lookup on
    // a loaded machine cannot make the cache time pass by chance.
    const app = await enrollTestApp();
    const token = await currentToken(app);
    const { calls, registry: counted } = countingRegistry();
    const verifier = new TokenVerifier({ registry: counted, cacheTtlMs: 200 });
    const start = Date.now();
    vi.useFakeTimers({ toFake: ['Date'], now: start });
    try {
      // Act
      const first = await verifier.verify(token);
      for (let i = 0; i < 50; i += 1) await verifier.verify(token);
      const lookupsForFiftyOne = calls.lookups;
      await registry.tokens.setTokenStatus(app.appId, app.currentVersionId, {
        status: 'revoked',
        from: ['current'],
        revokedAt: new Date().toISOString(),
      });
      const stillCached = await verifier.verify(token);
      vi.setSystemTime(start + 199);
      const lastCachedMoment = await verifier.verify(token);
      vi.setSystemTime(start + 200);
      const onceTheCacheTimeIsOver = await verifier.verify(token);

      // Assess
      expect(first).toMatchObject({ valid: true, appId: app.appId, status: 'current' });
      expect(lookupsForFiftyOne).toBe(1);
      expect(stillCached.valid).toBe(true);
      expect(lastCachedMoment.valid).toBe(true);
      expect(onceTheCacheTimeIsOver.valid).toBe(false);
      expect(calls.lookups).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('refuses to cache longer than 30 seconds, naming the limit', () => {
    expect(() => new TokenVerifier({ registry, cacheTtlMs: 60_000 })).toThrow(
      'cacheTtlMs must be a whole number from 0 to 30000 (got 60000)',
    );
  });

  it('counts every use with at most one write per token per flush interval, and never stores the token', async () => {
    // Prepare
    const app = await enrollTestApp();
    const token = await currentToken(app);
    const { calls, registry: counted } = countingRegistry();
    const verifier = new TokenVerifier({ registry: counted, usageFlushMs: 60_000 });
    const since = new Date(Date.now() - 3_600_000).toISOString();

    // Act: 40 uses in one burst, then the rest written when the instance flushes.
    for (let i = 0; i < 40; i += 1) await verifier.verify(token);
    const writesDuringBurst = calls.writes.length;
    await verifier.flushUsage();
    const usage = await registry.tokens.tokenUsage(app.appId, app.currentVersionId, since);

    // Assess
    expect(writesDuringBurst).toBe(1);
    expect(calls.writes).toEqual([1, 39]);
    expect(usage.uses).toBe(40);
    expect(Date.parse(usage.lastUsedAt ?? '')).toBeGreaterThan(Date.now() - 60_000);
    expect(JSON.stringify(await allRegistryItems())).not.toContain(token.slice(4, 30));
  });

  it('does not count refused tokens', async () => {
    const app = await enrollTestApp();
    const { calls, registry: counted } = countingRegistry();
    const verifier = new TokenVerifier({ registry: counted });
    const token = await currentToken(app);

    const refused = await verifier.verify(withLastCharacterChanged(token));

    expect(refused.valid).toBe(false);
    expect(calls.writes).toEqual([]);
  });
});
