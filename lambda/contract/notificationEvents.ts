/**
 * The names of the emails Rotor sends: the notify task's input, and the events the stack's workflows
 * name in their Notify states. What an email says is `lambda/notifications/`.
 */

/** Every email Rotor sends, one per step of the lifecycle (DESIGN §2 "Notifications"). */
export const NOTIFICATION_EVENTS = [
  'ROTATION_INITIATED',
  'ROTATION_CANCELLED',
  'TOKEN_INVALIDATED',
  'TOKEN_EXPIRES_IN_24H',
  'ROTATION_COMPLETED',
  'ROTATION_REMINDER',
  'ROTATION_DUE_SOON',
  'ROTATION_FAILED',
  'HANDOFF_REQUESTED',
  'HANDOFF_REMINDER',
  'HUBSPOT_TOKEN_STILL_VALID',
] as const;

/** One step of the lifecycle that the app's admins are told about. */
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

/**
 * The steps of the lifecycle that other systems hear of (EventBridge, webhooks) but that email no one:
 * a rotation took its lock, an app was registered or removed, the sweep found an app stuck and repaired it.
 */
export const LIFECYCLE_EVENTS = [
  'ROTATION_STARTED',
  'APP_REGISTERED',
  'APP_REMOVED',
  'APP_STUCK',
  'APP_REPAIRED',
] as const;

export type LifecycleEvent = (typeof LIFECYCLE_EVENTS)[number];

/** Every event Rotor tells other systems of: each email's step, and the lifecycle's own. */
export const ROTOR_EVENTS = [...NOTIFICATION_EVENTS, ...LIFECYCLE_EVENTS] as const;

export type RotorEvent = NotificationEvent | LifecycleEvent;

/** Whether an event is one that emails the admins (else it only goes to other systems). */
export function isNotificationEvent(event: RotorEvent): event is NotificationEvent {
  return (NOTIFICATION_EVENTS as readonly string[]).includes(event);
}
