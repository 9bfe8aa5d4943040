import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { UNDELIVERABLE_EMAILS_METRIC } from '../../contract/undeliverableMetric.ts';
import type { NotificationOutcome, NotificationRequest } from './sendNotification.ts';

/** The metrics of the functions that send email (Powertools, EMF on stdout: CloudWatch makes the metric). */
export const notificationMetrics = new Metrics({
  namespace: UNDELIVERABLE_EMAILS_METRIC.namespace,
  serviceName: UNDELIVERABLE_EMAILS_METRIC.service,
});

/**
 * Counts the emails SES refused for good in one sending, as the `UndeliverableEmails` metric that the
 * stack alarms on, with the app and event as metadata of the log line. Publishes at once: the
 * functions that call this end right after. Returns the outcome, for use in a promise chain.
 *
 * @example
 * ```ts
 * const outcome = countUndeliverable(request, await sendNotification(deps, request));
 * ```
 */
export function countUndeliverable(
  request: NotificationRequest,
  outcome: NotificationOutcome,
  metrics: Metrics = notificationMetrics,
): NotificationOutcome {
  if (outcome.failed.length === 0) return outcome;
  metrics.addMetric(UNDELIVERABLE_EMAILS_METRIC.metricName, MetricUnit.Count, outcome.failed.length);
  metrics.addMetadata('appId', request.appId);
  metrics.addMetadata('event', request.event);
  metrics.publishStoredMetrics();
  return outcome;
}
