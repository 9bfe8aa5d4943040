/**
 * The CloudWatch metric of emails SES refused for good, shared by the functions that emit it (as
 * Powertools EMF log lines) and the stack's alarm on it, so the two always name the same metric.
 * SDK-free: the CDK app imports it.
 */
export const UNDELIVERABLE_EMAILS_METRIC = {
  namespace: 'Rotor',
  metricName: 'UndeliverableEmails',
  /** The `service` dimension: one value for every function that sends email, so one alarm sees them all. */
  service: 'rotor-notifications',
} as const;
