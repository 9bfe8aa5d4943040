/**
 * Rotor's CloudWatch metrics, named once: the functions emit them (Powertools EMF log lines) and the
 * stack's dashboard and alarms read them, so the two always name the same metric. Every metric is in
 * the `Rotor` namespace with one dimension, `service` = `rotor`, whichever function emits it.
 * SDK-free: the CDK app imports it.
 */
export const ROTOR_METRICS = {
  namespace: 'Rotor',
  /** The `service` dimension of every Rotor metric: one value, so a dashboard or alarm sees every function. */
  service: 'rotor',
  names: {
    /** A rotation took its lock (ACTIVE → ROTATING): operator, console, schedule or Secrets Manager. */
    rotationsStarted: 'RotationsStarted',
    /** A grace period ended and the old token expired (also a cancel that came too late for the old token). */
    rotationsCompleted: 'RotationsCompleted',
    /** A rotation was rolled back after a failure (ROTATION_FAILED); the old token stays current. */
    rotationsFailed: 'RotationsFailed',
    /** A rotation in its grace period was cancelled: the old token is current again. */
    rotationsCancelled: 'RotationsCancelled',
    /** An old token was invalidated at once: an `expire-now` rotation, or "expire now" during a grace period. */
    rotationsExpiredNow: 'RotationsExpiredNow',
    /** An email SES accepted, one per recipient. */
    emailsSent: 'EmailsSent',
    /** An email SES refused for good (rejected, unverified sender or sandboxed recipient): Rotor's "emails failed". */
    undeliverableEmails: 'UndeliverableEmails',
    /** A webhook delivery the receiver accepted. */
    webhooksDelivered: 'WebhooksDelivered',
    /** A webhook delivery given up after its retries. */
    webhooksFailed: 'WebhooksFailed',
    /** A request the authorizer allowed with the old token of a rotation in its grace period. */
    oldTokenUses: 'OldTokenUses',
    /** A rotation the daily sweep found stuck (ROTATING past its time, its workflow gone) and rolled back. */
    appsStuck: 'AppsStuck',
    /** Daily, from the sweep: the apps not in a rotation whose token is more than a day past its interval. */
    overdueTokens: 'OverdueTokens',
    /** Daily, from the sweep: days since the oldest current token of any app was issued. */
    oldestTokenAgeDays: 'OldestTokenAgeDays',
    /** Daily, from the sweep: days until the next app not in a rotation is due (negative: overdue). */
    daysUntilNextDue: 'DaysUntilNextDue',
  },
} as const;

/** The name of one of Rotor's metrics. */
export type RotorMetricName = (typeof ROTOR_METRICS.names)[keyof typeof ROTOR_METRICS.names];

/** How a rotation is counted: the lock that started it, and each way it can end. */
export type RotationCount = 'started' | 'completed' | 'failed' | 'cancelled' | 'expired-now';

/** The metric of each way a rotation is counted. */
export const ROTATION_METRICS: Record<RotationCount, RotorMetricName> = {
  started: ROTOR_METRICS.names.rotationsStarted,
  completed: ROTOR_METRICS.names.rotationsCompleted,
  failed: ROTOR_METRICS.names.rotationsFailed,
  cancelled: ROTOR_METRICS.names.rotationsCancelled,
  'expired-now': ROTOR_METRICS.names.rotationsExpiredNow,
};

/**
 * A token counts as overdue once it is this long past its interval and its app is still not in a
 * rotation: by then the daily sweep has had its chance to start a rotation (policy `auto`) or has
 * reminded the admins (policy `remind`). A day and two hours, so a sweep that starts a little later
 * than the day before does not count an app it has not seen yet.
 */
export const OVERDUE_AFTER_SECONDS = 26 * 3600;
