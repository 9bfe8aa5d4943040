/**
 * Rotor's EventBridge events: one per lifecycle step the admins are emailed about, and one for each step
 * other systems hear of alone (a rotation started, an app registered, removed, stuck, repaired), `source: "rotor"`,
 * a detail-type per step, and a detail of ids, modes, times and actors (never a token value). The
 * schemas here are the contract; `schemas/events/*.json` are their JSON Schema form, for receivers.
 */
import {
  array,
  type infer as Infer,
  iso as isoFormats,
  literal,
  number,
  optional,
  strictObject,
  string,
  type ZodMiniObject,
  enum as zEnum,
} from 'zod/mini';
import { POLICIES } from './appSettings.ts';
import { NOTIFICATION_EVENTS, ROTOR_EVENTS, type RotorEvent } from './notificationEvents.ts';

/** The `source` of every Rotor event; an EventBridge rule matches on it. */
export const EVENT_SOURCE = 'rotor';

/** The default event bus of the account, unless the deployment names another (`eventBusName`). */
export const DEFAULT_EVENT_BUS = 'default';

/** The `detail-type` of each event, as a rule matches on it. */
export const DETAIL_TYPES: Readonly<Record<RotorEvent, string>> = {
  ROTATION_STARTED: 'Rotor Rotation Started',
  APP_REGISTERED: 'Rotor App Registered',
  APP_REMOVED: 'Rotor App Removed',
  APP_STUCK: 'Rotor App Stuck',
  APP_REPAIRED: 'Rotor App Repaired',
  ROTATION_INITIATED: 'Rotor Rotation Initiated',
  ROTATION_CANCELLED: 'Rotor Rotation Cancelled',
  TOKEN_INVALIDATED: 'Rotor Token Invalidated',
  TOKEN_EXPIRES_IN_24H: 'Rotor Token Expires Soon',
  ROTATION_COMPLETED: 'Rotor Rotation Completed',
  ROTATION_REMINDER: 'Rotor Rotation Reminder',
  ROTATION_DUE_SOON: 'Rotor Rotation Due Soon',
  ROTATION_FAILED: 'Rotor Rotation Failed',
  HANDOFF_REQUESTED: 'Rotor Handoff Requested',
  HANDOFF_REMINDER: 'Rotor Handoff Reminder',
  HUBSPOT_TOKEN_STILL_VALID: 'Rotor HubSpot Token Still Valid',
};

/** An ISO-8601 time in UTC, as Rotor writes every time. */
const iso = () => isoFormats.datetime();

/** What every event's detail has. */
const common = {
  version: literal('1'),
  appId: string(),
  issuer: zEnum(['managed', 'hubspot']),
  /** When the step happened (when Rotor sent its emails). */
  occurredAt: iso(),
};

/** What an event about a rotation adds. */
const rotation = {
  rotationId: string(),
  mode: zEnum(['expire-now', 'expire-later']),
  trigger: zEnum(['operator', 'schedule', 'secrets-manager']),
  /** Who started the rotation: an IAM ARN, `<address> (console)`, or `rotor-schedule`. */
  startedBy: string(),
  startedAt: iso(),
  graceSeconds: number(),
};

const eventDetail = <E extends RotorEvent, Shape extends Record<string, unknown>>(event: E, shape: Shape) =>
  strictObject({ ...common, event: literal(event), ...shape });

/** What the sweep did to an app it found stuck. */
export const REPAIRS = [
  'finished',
  'expired',
  'rolled-back',
  'workflow-started',
  'workflow-stopped',
  'delivered',
] as const;

/** The detail schema of each event. */
export const DETAIL_SCHEMAS = {
  ROTATION_STARTED: eventDetail('ROTATION_STARTED', { ...rotation, reason: optional(string()) }),
  APP_REGISTERED: eventDetail('APP_REGISTERED', {
    /** Who registered it: an IAM ARN. */
    registeredBy: string(),
    secretArn: string(),
    policy: zEnum(['auto', 'remind']),
    intervalSeconds: number(),
    graceSeconds: number(),
  }),
  APP_REMOVED: eventDetail('APP_REMOVED', { removedBy: string(), secretArn: string() }),
  APP_STUCK: eventDetail('APP_STUCK', {
    /** What an interrupted action left unfinished, one sentence each, as `rotor apps show` lists it. */
    problems: array(string()),
    rotationId: optional(string()),
  }),
  APP_REPAIRED: eventDetail('APP_REPAIRED', {
    /** What the sweep did: finished an interrupted ending, expired, rolled back, restarted or stopped a workflow, sent what was owed. */
    repair: zEnum(REPAIRS),
    rotationId: optional(string()),
  }),
  ROTATION_INITIATED: eventDetail('ROTATION_INITIATED', { ...rotation, expiresAt: optional(iso()) }),
  ROTATION_CANCELLED: eventDetail('ROTATION_CANCELLED', { ...rotation, endedBy: optional(string()) }),
  TOKEN_INVALIDATED: eventDetail('TOKEN_INVALIDATED', { ...rotation, endedBy: optional(string()) }),
  TOKEN_EXPIRES_IN_24H: eventDetail('TOKEN_EXPIRES_IN_24H', {
    ...rotation,
    expiresAt: iso(),
    /** How long before `expiresAt` the notice went out by the rotation's setting (24 hours unless the app names another). */
    noticeSeconds: number(),
    /** How often the verifier accepted the old token in the 24 hours before. */
    oldTokenUsesLast24h: number(),
  }),
  ROTATION_COMPLETED: eventDetail('ROTATION_COMPLETED', { ...rotation, expiresAt: optional(iso()) }),
  ROTATION_REMINDER: eventDetail('ROTATION_REMINDER', { tokenIssuedAt: iso(), intervalSeconds: number() }),
  ROTATION_DUE_SOON: eventDetail('ROTATION_DUE_SOON', {
    /** What the sweep does on the due date: `auto` starts an expire-later rotation, `remind` reminds. */
    policy: zEnum(POLICIES),
    tokenIssuedAt: iso(),
    intervalSeconds: number(),
    /** When the token becomes due: `tokenIssuedAt` plus the interval. */
    dueAt: iso(),
    /** Which of the app's reminders this is: so many days before `dueAt` (30 or 7 by default). */
    daysBefore: number(),
  }),
  ROTATION_FAILED: eventDetail('ROTATION_FAILED', { ...rotation, failedStep: string() }),
  HANDOFF_REQUESTED: eventDetail('HANDOFF_REQUESTED', {
    ...rotation,
    hubId: number(),
    handoffDeadline: iso(),
  }),
  HANDOFF_REMINDER: eventDetail('HANDOFF_REMINDER', { ...rotation, hubId: number(), handoffDeadline: iso() }),
  HUBSPOT_TOKEN_STILL_VALID: eventDetail('HUBSPOT_TOKEN_STILL_VALID', { ...rotation, hubId: number() }),
} as const satisfies Record<RotorEvent, ZodMiniObject>;

export type RotorEventDetail = {
  [E in RotorEvent]: Infer<(typeof DETAIL_SCHEMAS)[E]>;
}[RotorEvent];

/** The file name of an event's JSON Schema under `schemas/events/`. */
export function schemaFileOf(event: RotorEvent): string {
  return `${DETAIL_TYPES[event].toLowerCase().replaceAll(' ', '-')}.json`;
}

export { NOTIFICATION_EVENTS, ROTOR_EVENTS };
