import type { Issuer, RotationMode } from './appSettings.ts';

/**
 * The contract between the workflows' definitions (lib/constructs) and their Lambda tasks: what each task
 * gets, what it answers, and where in the execution's state its answer lands. The definitions name state
 * paths only through {@link rotationPath}, {@link sweepPath} and {@link webhookPath}, which take the task answers' own field
 * names, so renaming a field here breaks the build of both sides instead of a rotation at run time.
 * Ids only: no token value ever travels through a workflow.
 */

/** Which rotation of which app a task is about. */
export interface RotationIds {
  readonly appId: string;
  readonly rotationId: string;
}

/** What starts a rotation workflow. */
export interface RotationWorkflowInput extends RotationIds {
  readonly mode?: RotationMode;
  readonly graceSeconds?: number;
  readonly trigger?: string;
  readonly startedBy?: string;
  readonly reason?: string;
  /** The rotation is already under way (Secrets Manager started it, or its first execution is gone); the workflow joins it. */
  readonly adopt?: boolean;
  /** The execution's name when it is not the rotation's first (the sweep restarting a lost one). */
  readonly executionName?: string;
}

/** StartRotation: the lock is taken and (managed) Secrets Manager asked to rotate. */
export interface StartRotationOutput {
  readonly rotationId: string;
  readonly newVersionId?: string;
  readonly issuer: Issuer;
}

/** CheckPromotion: where a rotation stands once its new token is current. */
export interface PromotionOutput {
  readonly mode: RotationMode;
  /** When the old token expires (expire-later). */
  readonly expiresAt?: string;
  /** When to send the 24-hour notice (only when the grace period is longer than 24 hours). */
  readonly noticeAt?: string;
  /** The grace period is already over (cancelled, expired or expired early): nothing is left to wait for. */
  readonly ended?: true;
}

/** CheckGrace: whether the rotation still waits in its grace period. */
export interface GraceOutput {
  readonly inGrace: boolean;
}

/** ExpireOldToken: whether the old token is expired now; HubSpot: whether HubSpot still takes it. */
export interface ExpiryOutput {
  readonly expired: boolean;
  readonly hubspotStillValid: boolean;
}

/** RollBack: it rolled the rotation back, found it committed (and promoted it), or found nothing to do. */
export interface RollbackOutput {
  readonly outcome: 'rolled-back' | 'promoted' | 'nothing';
}

/** HandoffReminder: which day of waiting for the HubSpot token this is. */
export interface HandoffReminderOutput {
  readonly reminder: number;
}

/** What `rotor submit` wakes the waiting HubSpot rotation with: the new token's version, never the token. */
export interface HandoffResult {
  readonly versionId: string;
}

/** The rotation workflow's state: its input, and each task's answer under its own key. */
export interface RotationState extends RotationWorkflowInput {
  readonly handoff: HandoffResult;
  /** The wait for the handoff timed out (a day without it): a reminder is due. */
  readonly timedOut: { readonly Error?: string; readonly Cause?: string };
  readonly started: StartRotationOutput;
  readonly promotion: PromotionOutput;
  readonly grace: GraceOutput;
  readonly expiry: ExpiryOutput;
  readonly rollback: RollbackOutput;
  readonly reminder: HandoffReminderOutput;
  /** A caught error, as Step Functions puts it. */
  readonly error: { readonly Error?: string; readonly Cause?: string };
}

/** One app of a sweep batch: its id, and the time from which the batch may handle it (its share of SES's send rate). */
export interface SweepItem {
  readonly appId: string;
  readonly at: string;
}

/** The input of one sweep batch execution, as FindDueApps starts it. */
export interface SweepBatchInput {
  /** The sweep execution that planned it. */
  readonly sweep: string;
  readonly batch: number;
  readonly items: readonly SweepItem[];
  /** When the app after this batch's last may go (where a retried plan goes on). */
  readonly endsAt: string;
}

/** The input FindDueApps is given: the sweep execution's own name, id and start. */
export interface FindDueAppsInput {
  readonly execution: string;
  readonly executionName: string;
  readonly startedAt: string;
}

/** The sweep's FindDueApps answer: how many apps were due, and the batch executions that handle them. */
export interface DueAppsOutput {
  readonly now: string;
  readonly dueApps: number;
  readonly batches: number;
  /** Batch `k`'s execution is named `${batchPrefix}${k}`. */
  readonly batchPrefix: string;
  /** When the plan's last app may go. */
  readonly endsAt?: string;
}

/** What the sweep did for one app; `deliver` asks for the app's outbox to be sent. */
export interface SweepAppOutput {
  readonly appId: string;
  readonly action:
    | 'finished'
    | 'rotation-started'
    | 'reminder-queued'
    | 'due-soon-queued'
    | 'notice-queued'
    | 'expired'
    | 'rolled-back'
    | 'workflow-started'
    | 'workflow-stopped'
    | 'nothing';
  readonly rotationId?: string;
  readonly deliver: boolean;
}

/**
 * A sweep batch's state around one app: the item, then the task's answer (its ResultPath is `$`);
 * the sweep execution's own state is `{ due }`.
 */
export interface SweepState extends SweepAppOutput {
  readonly at: string;
  readonly due: DueAppsOutput;
  readonly error: { readonly Error?: string; readonly Cause?: string };
}

type Path<State> = {
  [Key in keyof State & string]: State[Key] extends object
    ? `$.${Key}` | `$.${Key}.${keyof State[Key] & string}`
    : `$.${Key}`;
}[keyof State & string];

function pathOf(key: string, field?: string): string {
  return field ? `$.${key}.${field}` : `$.${key}`;
}

/**
 * The JSONPath of a part of the rotation workflow's state, checked against {@link RotationState}:
 * `rotationPath('promotion', 'noticeAt')` is `'$.promotion.noticeAt'`.
 */
export function rotationPath<Key extends keyof RotationState & string>(
  key: Key,
  field?: RotationState[Key] extends object ? keyof RotationState[Key] & string : never,
): Path<RotationState> {
  return pathOf(key, field) as Path<RotationState>;
}

/** {@link rotationPath} for the sweep workflow's state. */
export function sweepPath<Key extends keyof SweepState & string>(
  key: Key,
  field?: SweepState[Key] extends object ? keyof SweepState[Key] & string : never,
): Path<SweepState> {
  return pathOf(key, field) as Path<SweepState>;
}

/**
 * The webhook workflow's state: the delivery's input (ids, times, the event's detail), then the task's
 * answer, or the last error once the retries are spent and the answer of the task that records it.
 */
export interface WebhookState {
  readonly delivered: { readonly status: string; readonly httpStatus?: number };
  readonly giveUp: { readonly Error?: string; readonly Cause?: string };
  readonly recorded: { readonly recorded: boolean };
}

/** {@link rotationPath} for the webhook workflow's state. */
export function webhookPath<Key extends keyof WebhookState & string>(
  key: Key,
  field?: WebhookState[Key] extends object ? keyof WebhookState[Key] & string : never,
): Path<WebhookState> {
  return pathOf(key, field) as Path<WebhookState>;
}
