import {
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  type SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';

/** What starts a rotation workflow: ids only, never a token. */
export interface RotationWorkflowInput {
  readonly appId: string;
  readonly rotationId: string;
  readonly mode?: string;
  readonly graceSeconds?: number;
  readonly trigger?: string;
  readonly startedBy?: string;
  readonly reason?: string;
  /** The rotation is already under way (Secrets Manager started it); the workflow joins it. */
  readonly adopt?: boolean;
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
  try {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: input.rotationId, input: JSON.stringify(input) }),
    );
    return executionArn ?? executionArnFor(stateMachineArn, input.rotationId);
  } catch (error) {
    if (error instanceof ExecutionAlreadyExists || (error as Error).name === 'ExecutionAlreadyExists') {
      return executionArnFor(stateMachineArn, input.rotationId);
    }
    throw error;
  }
}

/** Stops a rotation's waiting execution, if it is still running; the rotation has been ended already. */
export async function stopRotationWorkflow(
  sfn: SFNClient,
  stateMachineArn: string,
  rotationId: string,
  cause: string,
): Promise<void> {
  try {
    await sfn.send(
      new StopExecutionCommand({
        executionArn: executionArnFor(stateMachineArn, rotationId),
        error: 'RotationEnded',
        cause,
      }),
    );
  } catch (error) {
    if (error instanceof ExecutionDoesNotExist || (error as Error).name === 'ExecutionDoesNotExist') return;
    throw error;
  }
}
