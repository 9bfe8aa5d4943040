import { createHash } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { object, string } from 'zod/mini';
import type { DueAppsOutput } from '../contract/workflows.ts';
import { planSweep, SWEEP_BATCH_SIZE, sweepBatchPrefix } from '../domain/sweepPlan.ts';
import { tokenAgesOf } from '../domain/tokenAges.ts';
import { sfnClient } from '../integrations/aws/sfn.ts';
import { registry } from '../integrations/registryFromEnv.ts';
import { requiredSetting } from '../integrations/settings.ts';
import { startedBatches, startSweepBatch } from '../integrations/sweepBatches.ts';
import { parseTaskInput } from '../integrations/taskInput.ts';
import { recordTokenAges } from '../notifications/rotorMetrics.ts';

const batchMachineArn = requiredSetting('SWEEP_BATCH_STATE_MACHINE_ARN');
/** SES's maximum send rate (recipients a second) that the sweep's emails keep within: the stack's `sesSendRate`. */
const sendRate = positiveNumber('SES_SEND_RATE', requiredSetting('SES_SEND_RATE'));
/** Apps per batch execution: the stack's `sweepBatchSize`. */
const batchSize = process.env.SWEEP_BATCH_SIZE
  ? positiveNumber('SWEEP_BATCH_SIZE', process.env.SWEEP_BATCH_SIZE)
  : SWEEP_BATCH_SIZE;
const input = object({ execution: string(), executionName: string(), startedAt: string() });

const logger = new Logger();

function positiveNumber(name: string, text: string): number {
  const value = Number(text);
  if (!(value > 0)) throw new Error(`${name} must be a number above 0, got "${text}"`);
  return value;
}

/**
 * Sweep task: plans the day's sweep and starts it. Every app due at the sweep's start (the `due` index, a
 * Query, never a Scan), repairs first, each given its time within SES's send rate, goes to one of the batch
 * executions this starts (SWEEP_BATCH_SIZE apps each, so no execution comes near 25,000 history events).
 * Run again for the same sweep (a retry after a crash), it starts only the batches still missing, with
 * the apps the started ones do not hold.
 */
export const handler = async (event: unknown): Promise<DueAppsOutput> => {
  const sweep = parseTaskInput('FindDueApps', input, event);
  const prefix = sweepBatchPrefix(
    sweep.executionName,
    createHash('sha256').update(sweep.execution).digest('hex'),
  );
  const started = await startedBatches(sfnClient, batchMachineArn, prefix);
  const due = (await registry.apps.dueApps(sweep.startedAt)).filter((app) => !started.appIds.has(app.appId));
  const now = Date.now();
  const from = Math.max(now, started.endsAt ? Date.parse(started.endsAt) : now);
  const plan = planSweep(due, { at: new Date(from), sendRate, batchSize });
  for (const [index, batch] of plan.entries()) {
    await startSweepBatch(sfnClient, batchMachineArn, prefix, {
      sweep: sweep.execution,
      batch: started.count + index,
      items: batch.items,
      endsAt: batch.endsAt,
    });
  }
  await recordGauges(new Date(now));
  const endsAt = plan.at(-1)?.endsAt ?? started.endsAt;
  logger.info('FindDueApps: the sweep is planned', {
    dueApps: started.appIds.size + due.length,
    batches: started.count + plan.length,
    endsAt,
  });
  return {
    now: sweep.startedAt,
    dueApps: started.appIds.size + due.length,
    batches: started.count + plan.length,
    batchPrefix: prefix,
    ...(endsAt ? { endsAt } : {}),
  };
};

/** The daily gauges (token ages, next due, overdue tokens); a failure here never holds up the sweep. */
async function recordGauges(now: Date): Promise<void> {
  try {
    recordTokenAges(tokenAgesOf(await registry.apps.tokenAges(), now));
  } catch (error) {
    logger.warn('FindDueApps: the token-age gauges could not be recorded', { error });
  }
}
