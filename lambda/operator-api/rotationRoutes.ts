import { parseDuration } from '../contract/duration.ts';
import { IdempotencyKeyReusedError, WorkflowNotStartedError } from '../contract/errors.ts';
import { newRotationId, requestIdForKey, rotationIdForKey } from '../contract/ids.ts';
import { IDEMPOTENCY_HEADER } from '../contract/routes.ts';
import { lockRotation, rollbackRotation } from '../domain/lifecycle.ts';
import { cancelRotation, expireNow, type OperatorDependencies } from '../domain/operatorActions.ts';
import { executionArnFor, startRotationWorkflow } from '../integrations/workflows.ts';
import {
  type Answer,
  appIdOf,
  audit,
  HUBSPOT_CHECK_BUDGET_MS,
  type OperatorApiDependencies,
  type RequestContext,
  sentence,
} from './requestContext.ts';
import { emptyBody, parseRequestPart, startRotationBody } from './requests.ts';

/**
 * `rotor rotate`: takes the lock with one conditional write (of many concurrent requests exactly one
 * wins), then starts the rotation's execution. With an Idempotency-Key the rotation id follows from the
 * key, so a retry after any failure finds its own lock.
 */
export async function startRotation(context: RequestContext, raw: unknown): Promise<Answer> {
  const { deps } = context;
  const appId = appIdOf(context);
  const input = parseRequestPart('body', startRotationBody, raw);
  context.appId = appId;
  const key = context.idempotencyKey;
  const rotationId = key ? rotationIdForKey(context.caller, appId, key) : newRotationId(deps.clock());
  context.rotationId = rotationId;
  if (key) await refuseEndedRotation(deps, appId, rotationId, key);
  const request = {
    appId,
    rotationId,
    mode: input.mode,
    ...(input.grace ? { graceSeconds: parseDuration(input.grace) as number } : {}),
    trigger: 'operator' as const,
    startedBy: context.caller,
    ...(input.reason ? { reason: input.reason } : {}),
  };
  // The lock first, with one conditional write: of many concurrent requests exactly one gets here.
  const { rotation } = await lockRotation(deps, {
    ...request,
    executionArn: executionArnFor(deps.rotationStateMachineArn, rotationId),
  });
  context.audited = true;
  if (
    key &&
    (rotation.mode !== request.mode ||
      (rotation.reason ?? '') !== (request.reason ?? '') ||
      (request.graceSeconds !== undefined && rotation.graceSeconds !== request.graceSeconds))
  ) {
    throw new IdempotencyKeyReusedError(
      `${IDEMPOTENCY_HEADER} "${key}" already started rotation ${rotationId} of app "${appId}" with another mode, grace or reason; send a fresh key with each new request`,
    );
  }
  try {
    await startRotationWorkflow(deps.sfn, deps.rotationStateMachineArn, {
      ...request,
      graceSeconds: rotation.graceSeconds,
    });
  } catch (error) {
    deps.logger.error('could not start the rotation workflow', {
      requestId: context.requestId,
      rotationId,
      errorName: (error as Error).name,
    });
    context.audited = false;
    // With a key the lock stays: the retry of the same request finds it and starts the execution.
    if (key) {
      throw new WorkflowNotStartedError(
        `rotation ${rotationId} of app "${appId}" holds the lock, but its workflow could not be started (${(error as Error).name}); send the same request again with the same ${IDEMPOTENCY_HEADER} to start it`,
        { cause: error },
      );
    }
    await rollbackRotation(deps, appId, rotationId, {
      step: 'StartWorkflow',
      message: 'the rotation workflow could not be started',
    });
    // The rollback queued ROTATION_FAILED; if it cannot go out now, the sweep sends it.
    await deps.deliver(appId).catch(() => undefined);
    throw new Error('the rotation workflow could not be started; the lock was released');
  }
  return {
    status: 202,
    body: {
      rotation: {
        appId,
        rotationId,
        status: 'rotating',
        mode: rotation.mode,
        graceSeconds: rotation.graceSeconds,
        startedBy: rotation.startedBy,
        startedAt: rotation.startedAt,
        ...(rotation.reason ? { reason: rotation.reason } : {}),
        oldVersionId: rotation.oldVersionId,
        newVersionId: rotation.newVersionId,
        executionArn: rotation.executionArn,
      },
      message: sentence(
        `Started ${rotation.mode} rotation ${rotationId} of app "${appId}"; follow it with "rotor apps show ${appId}"`,
      ),
    },
  };
}

/**
 * A key names one rotation: once that rotation no longer holds the app's lock (it ended, or failed),
 * the key cannot start another (its execution name is taken for 90 days).
 */
async function refuseEndedRotation(
  deps: OperatorApiDependencies,
  appId: string,
  rotationId: string,
  key: string,
): Promise<void> {
  const earlier = await deps.registry.rotations.findRotation(appId, rotationId);
  if (!earlier) return;
  const app = await deps.registry.apps.getApp(appId);
  if (app.activeRotation?.rotationId === rotationId) return;
  throw new IdempotencyKeyReusedError(
    `${IDEMPOTENCY_HEADER} "${key}" already started rotation ${rotationId} of app "${appId}", which is ${earlier.status} now; send a fresh key to start another rotation`,
  );
}

/** `rotor expire-now` and `rotor cancel`: end the grace period one way or the other, and say what HubSpot thinks. */
export async function endGracePeriod(context: RequestContext, raw: unknown): Promise<Answer> {
  const { deps, route } = context;
  const appId = appIdOf(context);
  parseRequestPart('body', emptyBody, raw);
  context.appId = appId;
  // HubSpot is asked within a budget well under API Gateway's 29 s; past it the verdict is unknown.
  const operator: OperatorDependencies = {
    ...deps,
    hubspotClient: {
      ...deps.hubspotClient,
      signal: AbortSignal.timeout(deps.hubspotCheckBudgetMs ?? HUBSPOT_CHECK_BUDGET_MS),
    },
  };
  const cancel = route.name === 'cancelRotation';
  // A retry of this very request (same caller and key) after a failure past the change finds it done.
  const request = context.idempotencyKey
    ? requestIdForKey(context.caller, appId, context.idempotencyKey)
    : undefined;
  const rotation = cancel
    ? await cancelRotation(operator, appId, context.caller, request)
    : await expireNow(operator, appId, context.caller, request);
  const warnings = rotation.warnings;
  context.rotationId = rotation.rotationId;
  const check = rotation.hubspotCheck;
  const inHubSpot = !check
    ? ''
    : check.verdict === 'refused'
      ? `; HubSpot refuses the ${check.token} token too`
      : `; HubSpot ${check.verdict === 'accepted' ? 'still accepts' : 'could not be asked about'} the ${check.token} token, so click "${
          cancel ? 'Cancel rotation' : 'Expire now'
        }" in HubSpot under Development > Legacy apps > the app > Auth (the admins were emailed the steps)`;
  const message = `${
    cancel
      ? `Cancelled rotation ${rotation.rotationId} of app "${appId}": the old token (version ${rotation.oldVersionId}) is current again and the new one (version ${rotation.newVersionId}) is revoked`
      : `Expired the old token of app "${appId}" now: version ${rotation.oldVersionId} is revoked and version ${rotation.newVersionId} stays current`
  }${inHubSpot}`;
  // cancelGraceRotation audits the cancel with the caller's ARN; expire-now's own event says who asked.
  if (!cancel) await audit(context, 'succeeded', sentence(message));
  return {
    status: 200,
    body: {
      appId,
      rotationId: rotation.rotationId,
      oldVersionId: rotation.oldVersionId,
      newVersionId: rotation.newVersionId,
      message: sentence(message),
      ...(warnings.length > 0 ? { warnings } : {}),
    },
  };
}
