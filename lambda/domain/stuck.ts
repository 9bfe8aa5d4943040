import { OUTBOX_SWEEP_AFTER_MS, stuckAfterMs } from '../store/dueAt.ts';
import type { AppRecord } from '../store/model.ts';

/** A claim or a promotion older than this has lost whoever made it: someone else will finish it. */
export const INTERRUPTED_AFTER_MS = 2 * 60_000;

/** Something an app is waiting for that an interrupted action left behind, and what will finish it. */
export interface StuckWork {
  readonly problem: string;
  readonly next: string;
}

const ENDING_WORDS = { expire: 'expiry', cancel: 'cancel', rollback: 'rollback' } as const;

/**
 * What an app is stuck on, if anything (for `rotor apps show`): an ending claimed and not finished, a
 * rotation committed to its new token and not promoted, a rotation that never made its new token
 * current, emails still owed, the execution of an ended rotation still to stop. Each names what will
 * finish it: nothing is left to block for good.
 */
export function stuckWorkOf(app: AppRecord, now: Date): StuckWork[] {
  const stuck: StuckWork[] = [];
  const rotation = app.activeRotation;
  const older = (iso: string | undefined, ms: number) =>
    iso !== undefined && Date.parse(iso) + ms <= now.getTime();
  if (rotation?.ending && older(rotation.endingAt, INTERRUPTED_AFTER_MS)) {
    stuck.push({
      problem: `the ${ENDING_WORDS[rotation.ending]} of rotation ${rotation.rotationId}, claimed by ${rotation.endedBy} at ${rotation.endingAt}, did not finish`,
      next: `the next sweep finishes it, as does the next "rotor rotate", "rotor expire-now" or "rotor cancel" of ${app.appId}`,
    });
  } else if (
    app.state === 'ROTATING' &&
    rotation?.committedAt &&
    older(rotation.committedAt, INTERRUPTED_AFTER_MS)
  ) {
    stuck.push({
      problem: `rotation ${rotation.rotationId} was committed to its new token at ${rotation.committedAt} but not promoted`,
      next: 'its workflow finishes the promotion when it next checks, else the next sweep does',
    });
  } else if (app.state === 'ROTATING' && rotation && older(rotation.startedAt, stuckAfterMs(app))) {
    stuck.push({
      problem: `rotation ${rotation.rotationId}, started ${rotation.startedAt}, has not made its new token current`,
      next: 'the next sweep rolls it back: the old token stays current and the admins are told',
    });
  }
  const owed = Object.values(app.outbox ?? {}).filter((notice) => older(notice.at, OUTBOX_SWEEP_AFTER_MS));
  if (owed.length > 0) {
    stuck.push({
      problem: `${owed.length === 1 ? 'an email is' : `${owed.length} emails are`} still owed (${[...new Set(owed.map((notice) => notice.event))].join(', ')})`,
      next: 'the next sweep sends them; an email SES refuses for good is listed under "undelivered"',
    });
  }
  for (const [rotationId, left] of Object.entries(app.pendingStops ?? {})) {
    if (!older(left.at, OUTBOX_SWEEP_AFTER_MS)) continue;
    stuck.push({
      problem: `the workflow of rotation ${rotationId}, which ended at ${left.at}, could not be stopped (${left.executionArn})`,
      next: 'the next sweep stops it; if it wakes first, it finds its rotation over and ends without acting',
    });
  }
  return stuck;
}
