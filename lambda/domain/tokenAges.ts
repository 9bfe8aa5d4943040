import { OVERDUE_AFTER_SECONDS } from '../contract/metrics.ts';
import type { TokenAges } from '../notifications/rotorMetrics.ts';
import type { TokenAge } from '../store/AppItems.ts';

const DAY_MS = 86_400_000;

/** Days with two decimals: a gauge on a dashboard, not a timestamp. */
function days(ms: number): number {
  return Math.round((ms / DAY_MS) * 100) / 100;
}

/**
 * The sweep's daily gauges from every app's entry in the `tokenAge` index, at `now`:
 *
 * - `oldestTokenAgeDays`: days since the **current** token of the app that has gone longest without a
 *   rotation was issued (`now − min(tokenIssuedAt)` over all apps, whatever their state). The old token of
 *   a grace period is not counted: it dies within 30 days of its successor, which is the app's current token.
 * - `daysUntilNextDue`: days until the token of the next app not in a rotation (state ACTIVE) is older
 *   than its interval (`min(tokenIssuedAt + interval) − now`); negative when one is overdue. An app in a
 *   rotation is left out: its due date moves when the rotation ends.
 * - `overdueTokens`: the apps not in a rotation whose token is more than {@link OVERDUE_AFTER_SECONDS}
 *   (a day and two hours) past its interval: the sweep had its chance to rotate (policy `auto`) or has
 *   reminded (policy `remind`), and the token is still the old one.
 */
export function tokenAgesOf(entries: readonly TokenAge[], now: Date): TokenAges {
  const at = now.getTime();
  let oldestIssuedMs: number | undefined;
  let nextDueMs: number | undefined;
  let overdueTokens = 0;
  for (const entry of entries) {
    const issuedMs = Date.parse(entry.tokenIssuedAt);
    if (!Number.isFinite(issuedMs)) continue;
    oldestIssuedMs = Math.min(oldestIssuedMs ?? issuedMs, issuedMs);
    if (entry.state !== 'ACTIVE' || !Number.isFinite(entry.intervalSeconds)) continue;
    const dueMs = issuedMs + entry.intervalSeconds * 1000;
    nextDueMs = Math.min(nextDueMs ?? dueMs, dueMs);
    if (dueMs + OVERDUE_AFTER_SECONDS * 1000 < at) overdueTokens += 1;
  }
  return {
    ...(oldestIssuedMs === undefined ? {} : { oldestTokenAgeDays: days(at - oldestIssuedMs) }),
    ...(nextDueMs === undefined ? {} : { daysUntilNextDue: days(nextDueMs - at) }),
    overdueTokens,
  };
}
