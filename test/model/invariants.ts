import type { ActiveRotation, AppState, RotationRecord, TokenStatus } from '../../lambda/store/model.ts';

/**
 * Rotor's promises (DESIGN §2, issue 12), checked on a snapshot of the real state. Pure functions over
 * plain data, so each one can be shown to fire on a deliberately broken world (invariants.test.ts).
 * A violation names apps, rotations and version ids, never a token value.
 */

/** One version of an app's secret as the model saw it. */
export interface VersionView {
  readonly versionId: string;
  /** Its Secrets Manager staging labels (AWSCURRENT, AWSPREVIOUS, AWSPENDING). */
  readonly labels: readonly string[];
  /** Whether Rotor's verifier accepts its token now. */
  readonly verifies: boolean;
  /** Its status in the registry, if it is registered. */
  readonly status?: TokenStatus;
}

export interface AppView {
  readonly appId: string;
  readonly admins: readonly string[];
  readonly state: AppState;
  readonly activeRotation?: ActiveRotation;
  readonly rotations: readonly RotationRecord[];
  readonly versions: readonly VersionView[];
  /** Rotation workflow executions of this app that are running. */
  readonly runningRotationIds: readonly string[];
  /** Rotations an operator ended whose execution the app records as still to stop (the sweep stops it). */
  readonly pendingStops: readonly string[];
  readonly lastReminderAt?: string;
}

export interface MailView {
  readonly event: string;
  readonly to: string;
  readonly appId: string;
  /** The rotation the mail is about (found in its text), if any. */
  readonly rotationId?: string;
  readonly at: string;
}

export interface Snapshot {
  /** Virtual time of the look, epoch milliseconds. */
  readonly now: number;
  readonly apps: readonly AppView[];
  readonly mails: readonly MailView[];
}

export type InvariantName =
  | 'current-token-verifies'
  | 'labels-mean-validity'
  | 'one-rotation-per-app'
  | 'ended-token-stays-ended'
  | 'no-email-twice'
  | 'expected-emails-sent'
  | 'emails-match-outcome'
  | 'no-app-stuck';

export interface Violation {
  readonly invariant: InvariantName;
  readonly message: string;
}

/** What the model remembers across looks: which versions were valid once and which ended since. */
export interface Memory {
  /** `appId/versionId` of every version the verifier accepted at some look. */
  readonly everValid: Set<string>;
  /** `appId/versionId` → the look (ISO time) at which a once-valid version was first refused. */
  readonly ended: Map<string, string>;
  /** `appId` → every `lastReminderAt` the registry showed: each is a reminder that must go out. */
  readonly reminders: Map<string, Set<string>>;
  /**
   * A function that sends email was told to crash: issue 12 trades a possible repeat (SES took the mail,
   * the sender died before marking it sent) for never losing one, so repeats are no violation then.
   */
  mailRepeatsAllowed: boolean;
  /** A fault or a crash was planned: a task may then be late by its retries, or by a day for the sweep's repair. */
  disturbed: boolean;
}

export function newMemory(): Memory {
  return {
    everValid: new Set(),
    ended: new Map(),
    reminders: new Map(),
    mailRepeatsAllowed: false,
    disturbed: false,
  };
}

const DAY_MS = 86_400_000;
const VALIDITY_LABELS = ['AWSCURRENT', 'AWSPREVIOUS'];

function currentTokenVerifies(app: AppView): Violation[] {
  const current = app.versions.filter((version) => version.labels.includes('AWSCURRENT'));
  if (current.length !== 1) {
    return [
      {
        invariant: 'current-token-verifies',
        message: `app ${app.appId} has ${current.length} AWSCURRENT versions`,
      },
    ];
  }
  const [version] = current as [VersionView];
  return version.verifies
    ? []
    : [
        {
          invariant: 'current-token-verifies',
          message: `app ${app.appId}: the AWSCURRENT version ${version.versionId} is refused by the verifier (status ${version.status ?? 'unregistered'}, app ${app.state})`,
        },
      ];
}

/** DESIGN §4: a version with AWSCURRENT or AWSPREVIOUS is a valid token, and a valid token carries one. */
function labelsMeanValidity(app: AppView): Violation[] {
  return app.versions.flatMap((version): Violation[] => {
    const labelled = version.labels.some((label) => VALIDITY_LABELS.includes(label));
    if (labelled === version.verifies) return [];
    return [
      {
        invariant: 'labels-mean-validity',
        message: labelled
          ? `app ${app.appId}: version ${version.versionId} carries ${version.labels.join('+')} but the verifier refuses it (status ${version.status ?? 'unregistered'})`
          : `app ${app.appId}: version ${version.versionId} is accepted by the verifier (status ${version.status}) but carries no AWSCURRENT/AWSPREVIOUS label`,
      },
    ];
  });
}

function oneRotation(app: AppView): Violation[] {
  const problems: Violation[] = [];
  const open = app.rotations.filter(
    (rotation) => rotation.status === 'rotating' || rotation.status === 'grace',
  );
  if (open.length > 1) {
    problems.push({
      invariant: 'one-rotation-per-app',
      message: `app ${app.appId} has ${open.length} open rotations: ${open.map((r) => `${r.rotationId} (${r.status})`).join(', ')}`,
    });
  }
  // An ended rotation's execution that the app records as left to stop is a known leftover, not a rotation.
  const running = app.runningRotationIds.filter((id) => !app.pendingStops.includes(id));
  if (running.length > 1) {
    problems.push({
      invariant: 'one-rotation-per-app',
      message: `app ${app.appId} has ${running.length} running rotation workflows: ${running.join(', ')}`,
    });
  }
  const pending = app.versions.filter((version) => version.labels.includes('AWSPENDING'));
  if (pending.length > 1) {
    problems.push({
      invariant: 'one-rotation-per-app',
      message: `app ${app.appId} has ${pending.length} AWSPENDING versions: ${pending.map((v) => v.versionId).join(', ')}`,
    });
  }
  return problems;
}

/** A token that was valid and then refused (revoked or expired) is never accepted again. */
function endedStaysEnded(app: AppView, memory: Memory, at: string): Violation[] {
  const problems: Violation[] = [];
  for (const version of app.versions) {
    const key = `${app.appId}/${version.versionId}`;
    const endedAt = memory.ended.get(key);
    if (version.verifies && (endedAt !== undefined || version.status === 'revoked')) {
      problems.push({
        invariant: 'ended-token-stays-ended',
        message:
          endedAt !== undefined
            ? `app ${app.appId}: version ${version.versionId} was refused at ${endedAt} and is accepted again (status ${version.status}, labels ${version.labels.join('+') || 'none'})`
            : `app ${app.appId}: version ${version.versionId} is revoked in the registry but the verifier accepts it`,
      });
    }
    if (version.verifies) memory.everValid.add(key);
    else if (memory.everValid.has(key) && endedAt === undefined) memory.ended.set(key, at);
  }
  return problems;
}

/** The key of "one email per rotation (or reminder day), event and recipient". */
function mailKey(mail: MailView): string {
  return `${mail.appId} ${mail.rotationId ?? `day ${mail.at.slice(0, 10)}`} ${mail.event} ${mail.to}`;
}

function noEmailTwice(mails: readonly MailView[]): Violation[] {
  const seen = new Map<string, number>();
  for (const mail of mails) seen.set(mailKey(mail), (seen.get(mailKey(mail)) ?? 0) + 1);
  return [...seen]
    .filter(([, count]) => count > 1)
    .map(([key, count]) => ({ invariant: 'no-email-twice' as const, message: `${count} emails for ${key}` }));
}

/** Checks the invariants that hold after every command, and remembers what the next look needs. */
export function checkInvariants(snapshot: Snapshot, memory: Memory): Violation[] {
  const at = new Date(snapshot.now).toISOString();
  const problems: Violation[] = [];
  for (const app of snapshot.apps) {
    problems.push(...currentTokenVerifies(app), ...labelsMeanValidity(app), ...oneRotation(app));
    problems.push(...endedStaysEnded(app, memory, at));
    if (app.lastReminderAt) {
      const seen = memory.reminders.get(app.appId) ?? new Set<string>();
      seen.add(app.lastReminderAt);
      memory.reminders.set(app.appId, seen);
    }
  }
  if (!memory.mailRepeatsAllowed) problems.push(...noEmailTwice(snapshot.mails));
  return problems;
}

/** How late the grace timer may queue the 24-hour notice in an undisturbed history: it wakes on time. */
const NOTICE_SLACK_MS = 3_600_000;

/**
 * Whether a rotation owes its 24-hour notice: its grace period was longer than a day, the notice was
 * queued (it must then go out), or the grace period was still running when the notice was due. An
 * operator's expire-now or cancel that came after that moment but before the notice was queued (a
 * timer late by a fault's retries, or waiting for the sweep's repair) rightly ends the rotation
 * without it: a late "expires in 24 hours" would tell the admins something that no longer happens.
 * So an operator's ending excuses the notice when the history was disturbed, or within the hour.
 */
function reachedNotice(rotation: RotationRecord, now: number, disturbed: boolean): boolean {
  if (rotation.mode !== 'expire-later' || rotation.graceSeconds <= 86_400 || !rotation.expiresAt)
    return false;
  if (rotation.noticedAt) return true;
  const noticeAt = Date.parse(rotation.expiresAt) - DAY_MS;
  const endedAt = rotation.finishedAt ? Date.parse(rotation.finishedAt) : now;
  if (endedAt < noticeAt) return false;
  const endedByOperator = rotation.status === 'cancelled' || expiredByOperator(rotation);
  return !endedByOperator || (!disturbed && endedAt >= noticeAt + NOTICE_SLACK_MS);
}

/** Was the grace period ended by an operator's "expire now" (an IAM ARN), rather than by its end? */
function expiredByOperator(rotation: RotationRecord): boolean {
  return rotation.endedBy?.startsWith('arn:') ?? false;
}

/** The events each admin must have been emailed about a rotation, from how it ended (DESIGN §2). */
export function expectedEvents(rotation: RotationRecord, now: number, disturbed = false): string[] {
  const events: string[] = [];
  // A failed rotation owes only its failure notice, even if its new token was current for a moment.
  const graceBegan =
    rotation.mode === 'expire-later' &&
    rotation.expiresAt !== undefined &&
    ['grace', 'completed', 'cancelled'].includes(rotation.status);
  if (graceBegan) events.push('ROTATION_INITIATED');
  if (graceBegan && reachedNotice(rotation, now, disturbed)) events.push('TOKEN_EXPIRES_IN_24H');
  switch (rotation.status) {
    case 'completed':
      if (rotation.mode === 'expire-now' || expiredByOperator(rotation)) events.push('TOKEN_INVALIDATED');
      else events.push('ROTATION_COMPLETED');
      break;
    case 'cancelled':
      events.push('ROTATION_CANCELLED');
      break;
    case 'failed':
      events.push('ROTATION_FAILED');
      break;
    default:
      break;
  }
  return events;
}

/** The events whose email says a rotation ended one way: sent for a rotation that ended another, they lie. */
const OUTCOME_OF_EVENT: Record<string, readonly string[]> = {
  ROTATION_COMPLETED: ['completed'],
  TOKEN_INVALIDATED: ['completed'],
  ROTATION_CANCELLED: ['cancelled'],
  ROTATION_FAILED: ['failed'],
};

/**
 * Checks what must hold once the system has settled (faults over, a sweep later, nothing moving):
 * every email that should have gone out has, none says something that did not happen, no app is stuck.
 */
export function checkSettled(snapshot: Snapshot, memory: Memory): Violation[] {
  const problems: Violation[] = [];
  for (const app of snapshot.apps) {
    const mails = snapshot.mails.filter((mail) => mail.appId === app.appId);
    for (const rotation of app.rotations) {
      const about = mails.filter((mail) => mail.rotationId === rotation.rotationId);
      for (const event of expectedEvents(rotation, snapshot.now, memory.disturbed)) {
        for (const admin of app.admins) {
          if (!about.some((mail) => mail.event === event && mail.to === admin)) {
            problems.push({
              invariant: 'expected-emails-sent',
              message: `app ${app.appId}: no ${event} to ${admin} for rotation ${rotation.rotationId} (${rotation.mode}, ${rotation.status})`,
            });
          }
        }
      }
      for (const mail of about) {
        const outcomes = OUTCOME_OF_EVENT[mail.event];
        if (outcomes && !outcomes.includes(rotation.status)) {
          problems.push({
            invariant: 'emails-match-outcome',
            message: `app ${app.appId}: ${mail.event} went to ${mail.to} for rotation ${rotation.rotationId}, which is ${rotation.status}`,
          });
        }
      }
    }
    const reminders = mails.filter((mail) => mail.event === 'ROTATION_REMINDER').length;
    const recorded = memory.reminders.get(app.appId)?.size ?? 0;
    if (reminders < recorded * app.admins.length) {
      problems.push({
        invariant: 'expected-emails-sent',
        message: `app ${app.appId}: the registry recorded ${recorded} reminder(s) but ${reminders} ROTATION_REMINDER email(s) went out to its ${app.admins.length} admins`,
      });
    }
    problems.push(...stuck(app, snapshot.now));
  }
  return problems;
}

function stuck(app: AppView, now: number): Violation[] {
  const problems: string[] = [];
  const rotation = app.activeRotation;
  if (app.state === 'ROTATING') problems.push(`is still ROTATING (rotation ${rotation?.rotationId})`);
  if (rotation?.ending)
    problems.push(`has an unfinished "${rotation.ending}" of rotation ${rotation.rotationId}`);
  if (app.state === 'GRACE' && rotation?.expiresAt && Date.parse(rotation.expiresAt) <= now) {
    problems.push(`is in GRACE past its expiry ${rotation.expiresAt} (rotation ${rotation.rotationId})`);
  }
  if (app.state === 'GRACE' && rotation && !app.runningRotationIds.includes(rotation.rotationId)) {
    problems.push(`is in GRACE but no workflow waits for rotation ${rotation.rotationId}`);
  }
  for (const rotationId of app.runningRotationIds) {
    if (rotationId !== rotation?.rotationId)
      problems.push(`runs the workflow of ended rotation ${rotationId}`);
  }
  for (const rotationId of app.pendingStops) {
    problems.push(`still records the workflow of rotation ${rotationId} as left to stop`);
  }
  for (const record of app.rotations) {
    const open = record.status === 'rotating' || record.status === 'grace';
    if (open && record.rotationId !== rotation?.rotationId) {
      problems.push(
        `shows rotation ${record.rotationId} as "${record.status}" although it is not the app's rotation`,
      );
    }
  }
  return problems.map((problem) => ({
    invariant: 'no-app-stuck' as const,
    message: `app ${app.appId} ${problem}`,
  }));
}
