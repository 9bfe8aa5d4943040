import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { SweepBatchInput } from '../contract/workflows.ts';
import { executionArnFor } from './workflows.ts';

/** The batches a sweep started already: how many, the apps they hold, and where its plan goes on. */
export interface StartedBatches {
  readonly count: number;
  readonly appIds: ReadonlySet<string>;
  readonly endsAt?: string;
}

/**
 * The batch executions named `${prefix}0`, `${prefix}1`, ... that exist (an earlier attempt of the same
 * FindDueApps started them before it crashed or timed out): one DescribeExecution each, and one more that
 * finds none. A first attempt makes that one call only.
 */
export async function startedBatches(
  sfn: SFNClient,
  batchMachineArn: string,
  prefix: string,
): Promise<StartedBatches> {
  const appIds = new Set<string>();
  let endsAt: string | undefined;
  for (let count = 0; ; count++) {
    try {
      const { input } = await sfn.send(
        new DescribeExecutionCommand({ executionArn: executionArnFor(batchMachineArn, `${prefix}${count}`) }),
      );
      const batch = JSON.parse(input ?? '{}') as Partial<SweepBatchInput>;
      for (const item of batch.items ?? []) appIds.add(item.appId);
      endsAt = batch.endsAt ?? endsAt;
    } catch (error) {
      if (error instanceof ExecutionDoesNotExist || (error as Error).name === 'ExecutionDoesNotExist') {
        return { count, appIds, ...(endsAt ? { endsAt } : {}) };
      }
      throw error;
    }
  }
}

/** Starts one batch execution, `${prefix}${input.batch}`. */
export async function startSweepBatch(
  sfn: SFNClient,
  batchMachineArn: string,
  prefix: string,
  input: SweepBatchInput,
): Promise<void> {
  await sfn.send(
    new StartExecutionCommand({
      stateMachineArn: batchMachineArn,
      name: `${prefix}${input.batch}`,
      input: JSON.stringify(input),
    }),
  );
}
