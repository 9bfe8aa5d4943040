import { object, regex, string } from 'zod/mini';
import type { SweepAppOutput } from '../contract/workflows.ts';
import { sweepApp } from '../domain/sweep.ts';
import { secretsManagerClient } from '../integrations/aws/secretsManager.ts';
import { sfnClient } from '../integrations/aws/sfn.ts';
import { registry } from '../integrations/registryFromEnv.ts';
import { requiredSetting } from '../integrations/settings.ts';
import { parseTaskInput } from '../integrations/taskInput.ts';
import {
  executionArnFor,
  startRotationWorkflow,
  stopExecution,
  workflowStateOf,
} from '../integrations/workflows.ts';

const rotationStateMachineArn = requiredSetting('ROTATION_STATE_MACHINE_ARN');
const input = object({ appId: string().check(regex(/^[a-z0-9][a-z0-9-]{2,47}$/)) });

/** Sweep task: repairs, rotates or reminds one due app. */
export const handler = async (event: unknown): Promise<SweepAppOutput> => {
  const { appId } = parseTaskInput('SweepApp', input, event);
  const app = await registry.apps.findApp(appId);
  if (!app) return { appId, action: 'nothing', deliver: false };
  return sweepApp(
    {
      registry,
      secretsManager: secretsManagerClient,
      clock: () => new Date(),
      startWorkflow: (workflowInput) =>
        startRotationWorkflow(sfnClient, rotationStateMachineArn, workflowInput),
      workflowOf: (rotation) =>
        workflowStateOf(
          sfnClient,
          rotation.executionArn ?? executionArnFor(rotationStateMachineArn, rotation.rotationId),
        ),
      stopWorkflow: (executionArn, cause) => stopExecution(sfnClient, executionArn, cause),
    },
    app,
  );
};
