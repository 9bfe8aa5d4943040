import type { PendingNotice } from '../store/model.ts';
import { type NotifyDependencies, sendNotification } from './sendNotification.ts';

/** What one delivery of an app's outbox did. */
export interface OutboxDelivery {
  /** Notices every recipient of which is settled now; they left the outbox. */
  readonly delivered: number;
  /** Notices left for the next attempt (a recipient's email is still being sent by another attempt). */
  readonly left: number;
  readonly sent: number;
  readonly skipped: number;
  readonly failed: number;
}

/**
 * Sends every email an app's outbox holds, oldest first, and takes each out once all its recipients are
 * settled. The workflows call it right after the change of state that queued an email, and the sweep calls
 * it for whatever is left, so an email is never lost to a crash between the change and the send; the
 * ledger of {@link sendNotification} keeps it from going out twice. Throttling is thrown for a retry.
 */
export async function deliverOutbox(deps: NotifyDependencies, appId: string): Promise<OutboxDelivery> {
  const app = await deps.registry.apps.findApp(appId);
  // Oldest first; of notices queued together, the rotation's start goes before what it asks for.
  const rank = (notice: PendingNotice) => (notice.event === 'ROTATION_STARTED' ? 0 : 1);
  const notices = Object.entries(app?.outbox ?? {}).sort(
    ([, a], [, b]) => a.at.localeCompare(b.at) || rank(a) - rank(b),
  );
  let delivered = 0;
  let left = 0;
  let sent = 0;
  let skipped = 0;
  let failed = 0;
  for (const [id, notice] of notices) {
    const outcome = await sendNotification(deps, requestOf(appId, notice));
    sent += outcome.sent.length;
    skipped += outcome.skipped.length;
    failed += outcome.failed.length;
    if (!outcome.settled) {
      left += 1;
      continue;
    }
    await deps.registry.apps.ackNotice(appId, id);
    delivered += 1;
  }
  return { delivered, left, sent, skipped, failed };
}

function requestOf(appId: string, notice: PendingNotice) {
  return {
    appId,
    event: notice.event,
    ...(notice.rotationId ? { rotationId: notice.rotationId } : {}),
    ...(notice.occasion ? { occasion: notice.occasion } : {}),
    ...(notice.dueSoon ? { dueSoon: notice.dueSoon } : {}),
  };
}
