import type { SweepItem } from '../contract/workflows.ts';
import type { DueApp } from '../store/model.ts';

export type { DueApp } from '../store/model.ts';

/**
 * How many apps one sweep batch execution handles. An app costs its batch about 18 history events (its
 * Map iteration, the wait for its send slot, SweepApp and NotifyFromSweep), so 500 apps are about 9,000
 * of the 25,000 events AWS allows one execution: room for every task to be retried twice more.
 */
export const SWEEP_BATCH_SIZE = 500;

/** Where a sweep's plan starts: when its first app may go, and the batch the plan goes on with. */
export interface PlanStart {
  readonly at: Date;
  /** SES's maximum send rate, in recipients per second. */
  readonly sendRate: number;
  readonly batchSize?: number;
}

/**
 * A repair (a rotation under way: its grace period ended, its notice is due, or it is stuck) goes before
 * any app that only needs a rotation or a reminder; within each group the app due longest goes first.
 */
function compareDue(a: DueApp, b: DueApp): number {
  const repair = Number(b.state !== 'ACTIVE') - Number(a.state !== 'ACTIVE');
  if (repair !== 0) return repair;
  if (a.dueAt !== b.dueAt) return a.dueAt < b.dueAt ? -1 : 1;
  return a.appId < b.appId ? -1 : a.appId > b.appId ? 1 : 0;
}

/** One batch of a sweep's plan: its apps, and when the app after its last may go. */
export interface PlannedBatch {
  readonly items: SweepItem[];
  readonly endsAt: string;
}

/**
 * The sweep's plan: every due app, repairs first, each with the time from which its batch may handle it,
 * so that the emails the sweep causes never ask SES for more than `sendRate` recipients a second (an app
 * is given as many of the rate's slots as its email has recipients), cut into batches of `batchSize`.
 * Every due app is in the plan: none waits for another day because others are ahead of it.
 */
export function planSweep(apps: readonly DueApp[], start: PlanStart): PlannedBatch[] {
  if (!(start.sendRate > 0)) throw new RangeError(`the send rate must be above 0, got ${start.sendRate}`);
  const batchSize = start.batchSize ?? SWEEP_BATCH_SIZE;
  const slotAt = (recipientsBefore: number) =>
    new Date(start.at.getTime() + Math.ceil((recipientsBefore * 1000) / start.sendRate)).toISOString();
  const ordered = [...apps].sort(compareDue);
  const batches: PlannedBatch[] = [];
  let recipientsBefore = 0;
  for (let first = 0; first < ordered.length; first += batchSize) {
    const items: SweepItem[] = [];
    for (const app of ordered.slice(first, first + batchSize)) {
      items.push({ appId: app.appId, at: slotAt(recipientsBefore) });
      recipientsBefore += Math.max(1, app.recipients);
    }
    batches.push({ items, endsAt: slotAt(recipientsBefore) });
  }
  return batches;
}

/**
 * What the names of a sweep's batch executions start with: the sweep's own execution name (shortened with
 * a digest of its ARN when long), then `-`; batch `k` is `${prefix}${k}`. So a retried FindDueApps finds the
 * batches it started already, and two sweeps never share a name.
 */
export function sweepBatchPrefix(sweepName: string, digest: string): string {
  return `${sweepName.length <= 68 ? sweepName : `${sweepName.slice(0, 59)}-${digest.slice(0, 8)}`}-`;
}
