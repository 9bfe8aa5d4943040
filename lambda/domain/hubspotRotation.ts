import { GetSecretValueCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import {
  HandoffAlreadySubmittedError,
  RotationConflictError,
  RotationFailedError,
  RotorError,
  TokenRejectedError,
  ValidationError,
} from '../contract/errors.ts';
import type { HandoffReminderOutput, HandoffResult } from '../contract/workflows.ts';
import { compareScopes, type HubSpotClientOptions, lookUpHubSpotToken } from '../integrations/hubspot.ts';
import { stagesOf } from '../integrations/secretLabels.ts';
import { conflictError } from '../store/conflictError.ts';
import type { AppRecord, HubSpotCheck, HubSpotSettings } from '../store/model.ts';
import { finishPromotion, type LifecycleDependencies } from './endings.ts';
import { hashToken, parseSecret, serializeSecret } from './tokens.ts';

/**
 * The HubSpot side of a rotation. HubSpot has no API to rotate a private-app token: an admin clicks
 * "Rotate" in HubSpot and hands the new token to Rotor (`rotor submit`), which checks it with HubSpot,
 * puts it into the secret as AWSPENDING and wakes the waiting workflow with the version id only.
 */
export interface HubSpotRotationDependencies extends LifecycleDependencies {
  readonly sfn: SFNClient;
  /** For tests: the backoff's sleep and the timeout of HubSpot calls; the API: their time budget. */
  readonly hubspotClient?: Pick<HubSpotClientOptions, 'sleep' | 'timeoutMs' | 'signal'>;
}

function hubspotOf(app: AppRecord): HubSpotSettings {
  if (app.issuer !== 'hubspot' || !app.hubspot) {
    throw new ValidationError(
      `app "${app.appId}" has issuer ${app.issuer}: Rotor mints its tokens itself, so there is nothing to submit`,
    );
  }
  return app.hubspot;
}

/** Whether a string can be a HubSpot token at all; checked before HubSpot is asked. */
function isPlausibleToken(token: string): boolean {
  return token.length >= 10 && token.length <= 512 && /^[\x21-\x7e]+$/.test(token);
}

async function wakeWorkflow(sfn: SFNClient, taskToken: string | undefined, result: HandoffResult) {
  if (!taskToken) return;
  try {
    await sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(result) }));
  } catch (error) {
    // Between two waits (a reminder) the token is closed; the next wait finds the handoff itself.
    if (!['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken'].includes((error as Error).name)) throw error;
  }
}

/**
 * `rotor submit`: checks a new HubSpot token with HubSpot (it must be accepted, belong to the app's
 * portal and have the required scopes), writes it into the secret as AWSPENDING under the rotation's
 * version id, records its scopes (never the token; its hash as a pending version) and wakes the
 * waiting workflow, which promotes it. A refused token changes nothing: the TokenRejectedError says why.
 * Handing the same token over again is harmless.
 */
export async function submitHubSpotToken(
  deps: HubSpotRotationDependencies,
  appId: string,
  token: string,
  actor: string,
): Promise<{ rotationId: string; versionId: string; scopesAdded: string[]; scopesRemoved: string[] }> {
  const app = await deps.registry.apps.getApp(appId);
  const hubspot = hubspotOf(app);
  const rotation = app.activeRotation;
  if (app.state !== 'ROTATING' || !rotation?.newVersionId || rotation.ending) {
    throw new RotationConflictError(
      `no rotation of app "${appId}" is waiting for a token; start one with "rotor rotate ${appId} --expire later", rotate in HubSpot when the email asks, then submit`,
    );
  }
  if (!isPlausibleToken(token)) {
    throw new ValidationError(
      'the token must be one line of 10 to 512 printable characters without spaces, as HubSpot shows it',
    );
  }
  const versionId = rotation.newVersionId;
  const tokenHash = hashToken(token);
  const handed = await deps.registry.tokens.findTokenVersion(appId, versionId);
  if (rotation.handoff || handed) {
    if (handed?.tokenHash === tokenHash) {
      await wakeWorkflow(deps.sfn, rotation.handoffTaskToken, { versionId });
      const { added, removed } = compareScopes(hubspot.scopes, rotation.handoff?.scopes ?? hubspot.scopes);
      return { rotationId: rotation.rotationId, versionId, scopesAdded: added, scopesRemoved: removed };
    }
    throw new RotationConflictError(
      `another token was already handed over for rotation ${rotation.rotationId} of app "${appId}"; it is being promoted`,
    );
  }
  const current = await deps.registry.tokens.findTokenVersion(appId, app.currentVersionId);
  if (current?.tokenHash === tokenHash) {
    throw new TokenRejectedError(
      `this is the current token of app "${appId}", not a new one; rotate it in HubSpot first (Development > Legacy apps > the app > Auth > Rotate > "Rotate and expire later") and submit the token HubSpot shows then`,
    );
  }
  const verdict = await lookUpHubSpotToken(token, { apiUrl: hubspot.apiUrl, ...deps.hubspotClient });
  if (!verdict.accepted) {
    throw new TokenRejectedError(
      `HubSpot refuses this token (HTTP ${verdict.status}): it is unknown, expired or revoked; copy the new token from the app's Auth page in HubSpot and submit it again`,
    );
  }
  if (verdict.info.hubId !== hubspot.hubId) {
    throw new TokenRejectedError(
      `the token belongs to HubSpot portal ${verdict.info.hubId}, but app "${appId}" is registered for portal ${hubspot.hubId}; submit the token of the app in portal ${hubspot.hubId}`,
    );
  }
  const missing = hubspot.requiredScopes.filter((scope) => !verdict.info.scopes.includes(scope));
  if (missing.length > 0) {
    throw new TokenRejectedError(
      `the token lacks the required scope(s) ${missing.join(', ')}; add them to the app in HubSpot, rotate again and submit the new token`,
    );
  }
  const now = deps.clock().toISOString();
  const { added, removed } = compareScopes(hubspot.scopes, verdict.info.scopes);
  await deps.registry.tokens.registerTokenVersion({
    appId,
    versionId,
    tokenHash,
    status: 'pending',
    createdAt: now,
  });
  await deps.secretsManager.send(
    new PutSecretValueCommand({
      SecretId: app.secretArn,
      ClientRequestToken: versionId,
      SecretString: serializeSecret({ token, issuedAt: now }),
      VersionStages: ['AWSPENDING'],
    }),
  );
  await deps.registry.apps.recordHandoff(appId, rotation.rotationId, {
    submittedBy: actor,
    submittedAt: now,
    scopes: verdict.info.scopes,
    scopesAdded: added,
    scopesRemoved: removed,
  });
  await deps.registry.audit.appendAudit({
    at: now,
    eventId: `${rotation.rotationId}:submitted`,
    appId,
    action: 'rotation.submit',
    actor,
    outcome: 'succeeded',
    rotationId: rotation.rotationId,
    detail: `HubSpot token for portal ${hubspot.hubId} handed over as version ${versionId}${
      added.length + removed.length > 0
        ? ` (scopes added: ${added.join(', ') || 'none'}; removed: ${removed.join(', ') || 'none'})`
        : ''
    }`,
  });
  const latest = await deps.registry.apps.getApp(appId);
  await wakeWorkflow(deps.sfn, latest.activeRotation?.handoffTaskToken, { versionId });
  return { rotationId: rotation.rotationId, versionId, scopesAdded: added, scopesRemoved: removed };
}

/**
 * The workflow waits for the handoff (a `.waitForTaskToken` task): keep its task token for `rotor
 * submit`. If the token was handed over already (while the workflow was between two waits), fail with
 * HandoffAlreadySubmittedError, which the workflow catches to promote it at once.
 */
export async function awaitHandoff(
  deps: HubSpotRotationDependencies,
  appId: string,
  rotationId: string,
  taskToken: string,
): Promise<{ waiting: boolean }> {
  const app = await deps.registry.apps.recordHandoffTaskToken(appId, rotationId, taskToken);
  const rotation = app?.activeRotation;
  if (!rotation) {
    throw new RotationFailedError('Handoff', `rotation ${rotationId} of app "${appId}" is no longer running`);
  }
  if (rotation.handoff) {
    throw new HandoffAlreadySubmittedError(
      `the new token of rotation ${rotationId} was handed over already; promoting it`,
    );
  }
  return { waiting: true };
}

/**
 * A day passed without a handoff: count a reminder, or give up (RotationFailedError, so the workflow
 * rolls back and sends ROTATION_FAILED) once the app's handoff time is over.
 */
export async function remindOrGiveUp(
  deps: HubSpotRotationDependencies,
  appId: string,
  rotationId: string,
): Promise<HandoffReminderOutput> {
  const app = await deps.registry.apps.getApp(appId);
  const rotation = app.activeRotation;
  if (app.state !== 'ROTATING' || rotation?.rotationId !== rotationId) {
    throw new RotationFailedError('Handoff', `rotation ${rotationId} of app "${appId}" is no longer running`);
  }
  const timeoutSeconds = hubspotOf(app).handoffTimeoutSeconds;
  if (deps.clock().getTime() >= Date.parse(rotation.startedAt) + timeoutSeconds * 1000) {
    const days = Math.round(timeoutSeconds / 86_400);
    throw new RotationFailedError(
      'Handoff',
      `no new token was handed over within ${days} day${days === 1 ? '' : 's'}; the old token is unchanged and still current`,
    );
  }
  // One reminder per day of waiting: a retried task finds that day's reminder queued already.
  const day = Math.max(1, Math.floor((deps.clock().getTime() - Date.parse(rotation.startedAt)) / 86_400_000));
  await deps.registry.apps.queueHandoffReminder(appId, rotationId, day, deps.clock().toISOString());
  return { reminder: day };
}

/**
 * Makes the handed-over token current: commits the rotation (one conditional write, refused once the
 * rotation is being ended), then finishes the promotion as for a managed token (the token is accepted,
 * AWSCURRENT moves to it, the old one enters HubSpot's 7-day grace period, the app is GRACE). Calling it
 * again changes nothing.
 */
export async function promoteHandoff(
  deps: HubSpotRotationDependencies,
  appId: string,
  rotationId: string,
): Promise<void> {
  const app = await deps.registry.apps.getApp(appId);
  if (app.state !== 'ROTATING' && app.lastRotation?.rotationId === rotationId) return;
  const rotation = app.activeRotation;
  const versionId = rotation?.newVersionId;
  if (app.state !== 'ROTATING' || rotation?.rotationId !== rotationId || !versionId || !rotation.handoff) {
    throw new RotationFailedError('PromoteHandoff', conflictError(app).message);
  }
  const labels = (await stagesOf(deps.secretsManager, app.secretArn))[versionId] ?? [];
  if (!labels.includes('AWSCURRENT') && !labels.includes('AWSPENDING')) {
    throw new RotationFailedError('PromoteHandoff', `version ${versionId} holds no handed-over token`);
  }
  const committed = await deps.registry.apps.commitPromotion(appId, rotationId, deps.clock().toISOString());
  if (!committed) {
    throw new RotationFailedError(
      'PromoteHandoff',
      conflictError(await deps.registry.apps.getApp(appId)).message,
    );
  }
  await finishPromotion(deps, committed);
}

/**
 * Asks HubSpot whether it still accepts the token of a version: `refused` (HubSpot agrees it has
 * ended), `accepted`, or `unknown` when HubSpot did not answer or the version holds no token any more.
 */
export async function checkTokenAtHubSpot(
  deps: Pick<HubSpotRotationDependencies, 'secretsManager' | 'clock' | 'hubspotClient'>,
  app: AppRecord,
  versionId: string,
  which: HubSpotCheck['token'],
): Promise<HubSpotCheck> {
  const hubspot = hubspotOf(app);
  const at = () => deps.clock().toISOString();
  let token: string;
  try {
    const value = await deps.secretsManager.send(
      new GetSecretValueCommand({ SecretId: app.secretArn, VersionId: versionId }),
    );
    token = parseSecret(value.SecretString).token;
  } catch {
    return { token: which, verdict: 'unknown', at: at() };
  }
  try {
    const verdict = await lookUpHubSpotToken(token, { apiUrl: hubspot.apiUrl, ...deps.hubspotClient });
    return { token: which, verdict: verdict.accepted ? 'accepted' : 'refused', at: at() };
  } catch (error) {
    if (error instanceof RotorError) return { token: which, verdict: 'unknown', at: at() };
    throw error;
  }
}
