import { Logger } from '@aws-lambda-powertools/logger';
import { object, regex, string } from 'zod/mini';
import type { REPAIRS } from '../contract/rotorEvents.ts';
import type { SweepAppOutput } from '../contract/workflows.ts';
import { type StuckWork, stuckWorkOf } from '../domain/stuck.ts';
import { sweepApp } from '../domain/sweep.ts';
import { eventPublishingFromEnv } from '../integrations/aws/eventBridge.ts';
import { secretsManagerClient } from '../integrations/aws/secretsManager.ts';
import { sfnClient } from '../integrations/aws/sfn.ts';
import { webhookStartingFromEnv } from '../integrations/aws/webhookStarting.ts';
import { registry } from '../integrations/registryFromEnv.ts';
import { requiredSetting } from '../integrations/settings.ts';
import { parseTaskInput } from '../integrations/taskInput.ts';
import {
  executionArnFor,
  startRotationWorkflow,
  stopExecution,
  workflowStateOf,
} from '../integrations/workflows.ts';
import { announceAfterChange, repairedDetail, stuckDetail } from '../notifications/announce.ts';
import type { AppRecord } from '../store/model.ts';

const rotationStateMachineArn = requiredSetting('ROTATION_STATE_MACHINE_ARN');
const input = object({ appId: string().check(regex(/^[a-z0-9][a-z0-9-]{2,47}$/)) });

const logger = new Logger();
const events = eventPublishingFromEnv();
const webhooks = webhookStartingFromEnv();

/** What the sweep's actions repair, as "Rotor App Repaired" names it. */
const REPAIR_OF: Partial<Record<SweepAppOutput['action'], (typeof REPAIRS)[number]>> = {
  finished: 'finished',
  expired: 'expired',
  'rolled-back': 'rolled-back',
  'workflow-started': 'workflow-started',
  'workflow-stopped': 'workflow-stopped',
};

/**
 * Tells other systems that the app was stuck (as `rotor apps show` lists it) and what the sweep did about
 * it, after the repair: at most
 * once per day (stuck) and per rotation and repair (repaired). An event bus or webhook that fails never
 * fails the sweep of the app; it is logged, and the audit log has the repair.
 */
async function tellOthers(app: AppRecord, stuck: StuckWork[], outcome: SweepAppOutput, now: Date) {
  const at = now.toISOString();
  const repair =
    REPAIR_OF[outcome.action] ?? (stuck.length > 0 && outcome.deliver ? ('delivered' as const) : undefined);
  const deps = { registry, ...(events ? { events } : {}), ...(webhooks ? { webhooks } : {}) };
  await announceAfterChange(
    deps,
    [
      {
        app,
        event: 'APP_STUCK',
        occasion: `stuck-${at.slice(0, 10)}`,
        detail: stuckDetail(app, stuck, at),
        ...(app.activeRotation ? { rotationId: app.activeRotation.rotationId } : {}),
      },
      ...(repair
        ? [
            {
              app,
              event: 'APP_REPAIRED' as const,
              occasion: `repaired-${outcome.rotationId ?? at.slice(0, 10)}-${repair}`,
              detail: repairedDetail(app, repair, outcome.rotationId, at),
              ...(outcome.rotationId ? { rotationId: outcome.rotationId } : {}),
            },
          ]
        : []),
    ],
    logger,
  );
}

/** Sweep task: repairs, rotates or reminds one due app, and tells other systems of what it repaired. */
export const handler = async (event: unknown): Promise<SweepAppOutput> => {
  const { appId } = parseTaskInput('SweepApp', input, event);
  const app = await registry.apps.findApp(appId);
  if (!app) return { appId, action: 'nothing', deliver: false };
  const now = new Date();
  const stuck = stuckWorkOf(app, now);
  const outcome = await sweepApp(
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
  // Only what `rotor apps show` calls stuck: an expiry the sweep does at the moment the grace period
  // ends, before the workflow wakes for it, is no repair.
  if (stuck.length > 0) await tellOthers(app, stuck, outcome, now);
  return outcome;
};
