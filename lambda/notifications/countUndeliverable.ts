import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { NotificationEvent } from '../contract/notificationEvents.ts';
import { UNDELIVERABLE_EMAILS_METRIC } from '../contract/undeliverableMetric.ts';
import { rotorMetrics } from './rotorMetrics.ts';

/**
 * Counts emails SES refused for good in the `UndeliverableEmails` metric that the stack alarms on,
 * with the app and event as metadata of the log line. Publishes at once, so a function that dies
 * right after still has it counted.
 *
 * @example
 * ```ts
 * countUndeliverable({ appId: 'billing-api', event: 'ROTATION_INITIATED' }, 1);
 * ```
 */
export function countUndeliverable(
  about: { readonly appId: string; readonly event: NotificationEvent },
  count: number,
  metrics: Metrics = rotorMetrics(),
): void {
  if (count <= 0) return;
  metrics.addMetric(UNDELIVERABLE_EMAILS_METRIC.metricName, MetricUnit.Count, count);
  metrics.addMetadata('appId', about.appId);
  metrics.addMetadata('event', about.event);
  metrics.publishStoredMetrics();
}
