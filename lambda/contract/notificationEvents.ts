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
