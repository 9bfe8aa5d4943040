/**
 * Benchmark (b): revocation latency. An app is in the grace period of an expire-later rotation and a
 * caller presents the old token to a warm TokenVerifier every few milliseconds; an operator says
 * "expire now". Measured: the time from the expire-now call to the verifier's first refusal,
 * against the verifier's configured cache TTL (the bound: at most TTL + 1 s).
 */
import { expireNow } from '../lambda/domain/operatorActions.ts';
import { TokenVerifier } from '../lambda/domain/tokenVerifier.ts';
import { tokenOfVersion } from '../local/observe.ts';
import { clientsFor, enrollDemoApp, startRotation, until } from '../local/scenarios/scenarios.ts';
import { startLocalSystem } from '../local/system.ts';
import { median, ratio, round } from './harness.ts';

export interface RevocationBenchOptions {
  /** The verifier's cache TTL. @default 2_000 (the authorizer's default is 30 s; the ratio is what counts) */
  readonly cacheTtlMs?: number;
  /** How often the caller presents the old token. @default 5 */
  readonly callEveryMs?: number;
  /** Expire-nows measured, each on its own app. @default 3 */
  readonly runs?: number;
}

export async function measureRevocationLatency(options: RevocationBenchOptions = {}) {
  const cacheTtlMs = options.cacheTtlMs ?? 2_000;
  const callEveryMs = options.callEveryMs ?? 5;
  const runs = options.runs ?? 3;
  const system = await startLocalSystem();
  try {
    const clients = clientsFor(system);
    const context = { system, ...clients };
    const latencies: number[] = [];
    for (let run = 0; run < runs; run += 1) {
      const app = await enrollDemoApp(context, `revocation-${run}`);
      const oldToken = await tokenOfVersion(clients.secretsManager, app.secretArn, app.currentVersionId);
      await startRotation(context, app, 'expire-later', `bench-revocation-${run}-${Date.now()}`);
      await until('the rotation is in its grace period', async () => {
        return (await clients.registry.apps.getApp(app.appId)).state === 'GRACE';
      });

      // A caller that keeps the verifier's cache warm with the old token, then the operator acts.
      const verifier = new TokenVerifier({ registry: clients.registry, cacheTtlMs });
      if (!(await verifier.verify(oldToken)).valid) throw new Error('the old token is not valid in grace');
      const expiredAt = performance.now();
      const expiring = expireNow(clients.operator, app.appId, 'arn:aws:iam::123456789012:user/bench');
      let refusedAt: number | undefined;
      while (refusedAt === undefined) {
        if (!(await verifier.verify(oldToken)).valid) refusedAt = performance.now();
        else await new Promise((resolve) => setTimeout(resolve, callEveryMs));
        if (performance.now() - expiredAt > cacheTtlMs + 10_000)
          throw new Error('the old token was never refused');
      }
      await expiring;
      latencies.push(refusedAt - expiredAt);
    }
    const latencyMs = median(latencies);
    return {
      latencyMs: round(latencyMs, 0),
      latenciesMs: latencies.map((value) => round(value, 0)),
      cacheTtlMs,
      latencyOverTtl: ratio(latencyMs, cacheTtlMs),
      target: {
        rule: 'revocation latency is at most the cache TTL plus one second',
        met: latencies.every((latency) => latency <= cacheTtlMs + 1000),
      },
    };
  } finally {
    await system.close();
  }
}
