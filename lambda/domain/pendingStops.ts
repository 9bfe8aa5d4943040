import type { AppRecord } from '../store/model.ts';
import type { Registry } from '../store/Registry.ts';

/** Stops one execution; an execution that ended or does not exist counts as stopped. */
export type StopExecution = (executionArn: string, cause: string) => Promise<void>;

/**
 * Stops the executions an app's endings left waiting ({@link AppRecord.pendingStops}) and forgets each
 * one that stopped: stop first, then forget, so a crash in between only stops it once more. Returns how
 * many stopped, and the errors of those that did not (they stay recorded, and the app stays due for the
 * sweep).
 */
export async function stopLeftExecutions(
  registry: Registry,
  stop: StopExecution,
  app: Pick<AppRecord, 'appId' | 'pendingStops'>,
  cause: string,
): Promise<{ stopped: number; failed: Error[] }> {
  const failed: Error[] = [];
  let stopped = 0;
  for (const [rotationId, left] of Object.entries(app.pendingStops ?? {})) {
    try {
      await stop(left.executionArn, cause);
      await registry.apps.clearPendingStop(app.appId, rotationId);
      stopped += 1;
    } catch (error) {
      failed.push(error as Error);
    }
  }
  return { stopped, failed };
}
