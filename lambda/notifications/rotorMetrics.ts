import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  ROTATION_METRICS,
  ROTOR_METRICS,
  type RotationCount,
  type RotorMetricName,
} from '../contract/metrics.ts';
import type { NotificationEvent } from '../contract/notificationEvents.ts';

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

let shared: Metrics | undefined;

/**
 * The metrics every Rotor function emits (Powertools, EMF on stdout: CloudWatch makes the metric from
 * the log line). Made at the first use, so a process that sets `POWERTOOLS_METRICS_DISABLED` before it
 * (local mode, the benchmarks) prints none.
 */
export function rotorMetrics(): Metrics {
  shared ??= new Metrics({ namespace: ROTOR_METRICS.namespace, serviceName: ROTOR_METRICS.service });
  return shared;
}

/**
 * Adds `count` to one metric with `about` as metadata of the log line (ids, never a token), and
 * publishes at once: a function may die right after, and the count must not die with it.
 */
function publish(
  metrics: Metrics,
  name: RotorMetricName,
  unit: Unit,
  value: number,
  about: Readonly<Record<string, string | undefined>> = {},
): void {
  metrics.addMetric(name, unit, value);
  for (const [key, text] of Object.entries(about)) if (text !== undefined) metrics.addMetadata(key, text);
  metrics.publishStoredMetrics();
}

/**
 * Counts a rotation in `RotationsStarted`, `RotationsCompleted`, `RotationsFailed`,
 * `RotationsCancelled` or `RotationsExpiredNow`. Call it only from the call whose conditional write
 * made that change of state, so a retried task never counts it twice (a function that dies between
 * the write and this call loses the count: never more than once, rarely less).
 *
 * @example
 * ```ts
 * countRotation('started', { appId: 'billing-api', rotationId: 'r-123' });
 * ```
 */
export function countRotation(
  outcome: RotationCount,
  about: { readonly appId: string; readonly rotationId: string },
  metrics: Metrics = rotorMetrics(),
): void {
  publish(metrics, ROTATION_METRICS[outcome], MetricUnit.Count, 1, {
    appId: about.appId,
    rotationId: about.rotationId,
  });
}

/**
 * Counts one email SES accepted in `EmailsSent` (one per recipient; a retried task that finds it sent
 * does not count it again). Emails SES refused for good are `UndeliverableEmails` (countUndeliverable.ts).
 *
 * @example
 * ```ts
 * countEmailSent({ appId: 'billing-api', event: 'ROTATION_INITIATED' });
 * ```
 */
export function countEmailSent(
  about: { readonly appId: string; readonly event: NotificationEvent },
  metrics: Metrics = rotorMetrics(),
): void {
  publish(metrics, ROTOR_METRICS.names.emailsSent, MetricUnit.Count, 1, {
    appId: about.appId,
    event: about.event,
  });
}

/**
 * Counts webhook deliveries in `WebhooksDelivered` (the receiver accepted) or `WebhooksFailed` (given
 * up after the retries). Nothing is published for a count of zero.
 *
 * @example
 * ```ts
 * countWebhookDeliveries('failed', 1, { appId: 'billing-api', event: 'ROTATION_FAILED' });
 * ```
 */
export function countWebhookDeliveries(
  outcome: 'delivered' | 'failed',
  count: number,
  about: { readonly appId: string; readonly event?: NotificationEvent },
  metrics: Metrics = rotorMetrics(),
): void {
  if (count <= 0) return;
  const name =
    outcome === 'delivered' ? ROTOR_METRICS.names.webhooksDelivered : ROTOR_METRICS.names.webhooksFailed;
  publish(metrics, name, MetricUnit.Count, count, { appId: about.appId, event: about.event });
}

/**
 * Counts one request the authorizer allowed with the old token of a rotation in its grace period, in
 * `OldTokenUses`: what still depends on a token that is about to die.
 *
 * @example
 * ```ts
 * countOldTokenUse({ appId: 'billing-api', versionId: 'v-old' });
 * ```
 */
export function countOldTokenUse(
  about: { readonly appId: string; readonly versionId: string },
  metrics: Metrics = rotorMetrics(),
): void {
  publish(metrics, ROTOR_METRICS.names.oldTokenUses, MetricUnit.Count, 1, {
    appId: about.appId,
    versionId: about.versionId,
  });
}

/**
 * Counts one rotation the sweep found stuck and rolled back, in `AppsStuck` (the stack alarms on it).
 *
 * @example
 * ```ts
 * countStuckApp({ appId: 'billing-api', rotationId: 'r-123' });
 * ```
 */
export function countStuckApp(
  about: { readonly appId: string; readonly rotationId: string },
  metrics: Metrics = rotorMetrics(),
): void {
  publish(metrics, ROTOR_METRICS.names.appsStuck, MetricUnit.Count, 1, {
    appId: about.appId,
    rotationId: about.rotationId,
  });
}

/** The registry's token ages on one day (see tokenAgesOf in lambda/domain/tokenAges.ts). */
export interface TokenAges {
  /** Days since the oldest current token of any app was issued; absent when no app is registered. */
  readonly oldestTokenAgeDays?: number;
  /** Days until the next app that is not in a rotation is due; negative when overdue; absent when none. */
  readonly daysUntilNextDue?: number;
  /** Apps not in a rotation whose token is more than OVERDUE_AFTER_SECONDS past its interval. */
  readonly overdueTokens: number;
}

/**
 * Records the daily gauges `OldestTokenAgeDays`, `DaysUntilNextDue` and `OverdueTokens` in one log
 * line (the stack alarms on `OverdueTokens`); the two in days have no CloudWatch unit (it has no days).
 * A gauge without a value (no apps) is left out.
 *
 * @example
 * ```ts
 * recordTokenAges({ oldestTokenAgeDays: 171.5, daysUntilNextDue: 8.5, overdueTokens: 0 });
 * ```
 */
export function recordTokenAges(ages: TokenAges, metrics: Metrics = rotorMetrics()): void {
  const { names } = ROTOR_METRICS;
  if (ages.oldestTokenAgeDays !== undefined) {
    metrics.addMetric(names.oldestTokenAgeDays, MetricUnit.NoUnit, ages.oldestTokenAgeDays);
  }
  if (ages.daysUntilNextDue !== undefined) {
    metrics.addMetric(names.daysUntilNextDue, MetricUnit.NoUnit, ages.daysUntilNextDue);
  }
  publish(metrics, names.overdueTokens, MetricUnit.Count, ages.overdueTokens);
}
