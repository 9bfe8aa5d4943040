import { ROTOR_METRICS } from './metrics.ts';

/**
 * The CloudWatch metric of emails SES refused for good, shared by the functions that emit it (as
 * Powertools EMF log lines) and the stack's alarm on it, so the two always name the same metric.
 * One of Rotor's metrics (see metrics.ts). SDK-free: the CDK app imports it.
 */
export const UNDELIVERABLE_EMAILS_METRIC = {
  namespace: ROTOR_METRICS.namespace,
  metricName: ROTOR_METRICS.names.undeliverableEmails,
  /** The `service` dimension: one value for every Rotor function, so one alarm sees them all. */
  service: ROTOR_METRICS.service,
} as const;
