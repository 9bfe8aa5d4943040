import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  type SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { RotationWorkflowInput } from '../contract/workflows.ts';

export type { RotationWorkflowInput } from '../contract/workflows.ts';

/** Where a rotation's execution stands: running, ended (succeeded, failed, aborted, timed out), or never started. */
export type WorkflowState = 'running' | 'ended' | 'missing';

/** Asks Step Functions whether an execution is still running. */
export async function workflowStateOf(sfn: SFNClient, executionArn: string): Promise<WorkflowState> {
  try {
    const { status } = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return status === 'RUNNING' || status === 'PENDING_REDRIVE' ? 'running' : 'ended';
  } catch (error) {
    if (error instanceof ExecutionDoesNotExist || (error as Error).name === 'ExecutionDoesNotExist')
      return 'missing';
    throw error;
  }
}

/** A rotation's execution is named after the rotation, so its ARN follows from the state machine's. */
export function executionArnFor(stateMachineArn: string, rotationId: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${rotationId}`;
}

/**
 * Starts the rotation workflow for a rotation. The execution is named after the rotation, so
 * starting it again is harmless: Step Functions runs one execution per name.
 */
export async function startRotationWorkflow(
  sfn: SFNClient,
  stateMachineArn: string,
  input: RotationWorkflowInput,
): Promise<string> {
  const name = input.executionName ?? input.rotationId;
  try {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
    );
    return executionArn ?? executionArnFor(stateMachineArn, name);
  } catch (error) {
    if (error instanceof ExecutionAlreadyExists || (error as Error).name === 'ExecutionAlreadyExists') {
      return executionArnFor(stateMachineArn, name);
    }
    throw error;
  }
}

/**
 * Stops a rotation's execution that waits for a rotation already ended. Step Functions answers a stop
 * of an execution that has ended with success; one that never existed counts as stopped too.
 */
export async function stopExecution(sfn: SFNClient, executionArn: string, cause: string): Promise<void> {
  try {
    await sfn.send(new StopExecutionCommand({ executionArn, error: 'RotationEnded', cause }));
  } catch (error) {
    if (error instanceof ExecutionDoesNotExist || (error as Error).name === 'ExecutionDoesNotExist') return;
    throw error;
  }
}
