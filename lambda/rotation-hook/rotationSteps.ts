import {
  DescribeSecretCommand,
  PutSecretValueCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { RotationConflictError, RotationStepError, ValidationError } from '../contract/errors.ts';
import { newRotationId } from '../contract/ids.ts';
import { finishPromotion } from '../domain/endings.ts';
import { hashToken, isWellFormedToken, mintToken, serializeSecret } from '../domain/tokens.ts';
import { removeLabel } from '../integrations/secretLabels.ts';
import { countRotation } from '../notifications/rotorMetrics.ts';
import { conflictError } from '../store/conflictError.ts';
import { NOTICE_BEFORE_EXPIRY_SECONDS } from '../store/dueAt.ts';
import type { ActiveRotation } from '../store/model.ts';
import {
  appOf,
  currentVersionOf,
  isRotatingTo,
  readPendingToken,
  requirePendingToken,
  requireRotationOf,
  testRotationConfiguration,
} from './preconditions.ts';
import {
  ROTATION_STEPS,
  type RotationHookDependencies,
  type RotationStep,
  rotationEventSchema,
  type StepContext,
} from './stepContext.ts';

/**
 * Runs one step of a Secrets Manager rotation for a managed app, after AWS's own precondition
 * checks: rotation is enabled, the version is known, a version that is already AWSCURRENT needs
 * nothing more, and any other version must be AWSPENDING. Every step first checks whether its work
 * is already done, so Secrets Manager may call it again at any time.
 *
 * @example
 * await runRotationStep({ SecretId, ClientRequestToken, Step: 'createSecret' }, dependencies);
 */
export async function runRotationStep(input: unknown, deps: RotationHookDependencies): Promise<void> {
  const parsed = rotationEventSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ValidationError(
      `rotation event field ${issue?.path.join('.') || '(root)'} is invalid: ${issue?.message}; ` +
        `expected {SecretId, ClientRequestToken, Step: ${ROTATION_STEPS.join('|')}}`,
    );
  }
  const { SecretId, ClientRequestToken: versionId, Step: step } = parsed.data;
  const secret = await deps.secretsManager.send(new DescribeSecretCommand({ SecretId }));
  const secretArn = secret.ARN ?? SecretId;
  const fail = (problem: string): never => {
    throw new RotationStepError(step, secretArn, problem);
  };
  // Absent on a secret never configured for rotation, false after CancelRotateSecret.
  if (secret.RotationEnabled !== true) fail('rotation is not enabled for this secret');
  const stages = secret.VersionIdsToStages ?? {};
  const versionStages = stages[versionId];
  if (!versionStages) fail(`version ${versionId} has no stage for rotation of this secret`);
  const app = await appOf(secret, step, secretArn, deps.registry);
  const context: StepContext = { step, secretArn, versionId, stages, app, deps };

  if (versionStages?.includes('AWSCURRENT')) {
    deps.logger.info(`${step}: version ${versionId} is already AWSCURRENT`, { secretArn, appId: app.appId });
    // A finishSecret that stopped after moving the label still owes Rotor's bookkeeping.
    if (step === 'finishSecret') await settleFinishedRotation(context);
    return;
  }
  if (!versionStages?.includes('AWSPENDING')) fail(`version ${versionId} is not AWSPENDING`);
  if (app.issuer !== 'managed') {
    fail(
      `app "${app.appId}" has issuer ${app.issuer}; its new token is handed over with "rotor submit ${app.appId}"`,
    );
  }
  if (step === 'testSecret' && !isRotatingTo(app, versionId) && !(await readPendingToken(context))) {
    // RotateSecret with RotateImmediately: false tests the configuration with testSecret on an
    // AWSPENDING version that no createSecret filled and that Secrets Manager removes afterwards.
    await testRotationConfiguration(context);
    return;
  }
  try {
    await STEPS[step](context);
  } catch (error) {
    await recordFailure(context, error as Error);
    throw error;
  }
}

/** Tells the rotation this version belongs to which step failed, so its workflow rolls back. */
async function recordFailure(context: StepContext, error: Error): Promise<void> {
  const app = await context.deps.registry.apps.findApp(context.app.appId);
  const rotation = app?.activeRotation;
  if (app?.state !== 'ROTATING' || rotation?.newVersionId !== context.versionId) return;
  await context.deps.registry.apps.recordStepFailure(app.appId, rotation.rotationId, {
    step: context.step,
    message: error.message,
    at: context.deps.clock().toISOString(),
  });
}

const STEPS: Record<RotationStep, (context: StepContext) => Promise<void>> = {
  createSecret,
  setSecret,
  testSecret,
  finishSecret,
};
/**
 * Takes the rotation lock (or joins the rotation a Rotor workflow started), then mints a token
 * and puts it as AWSPENDING, unless this version already has one.
 */
async function createSecret(context: StepContext): Promise<void> {
  const { app, deps, versionId, secretArn } = context;
  const currentVersionId = currentVersionOf(context);
  const now = deps.clock();
  try {
    if (currentVersionId !== app.currentVersionId) {
      throw new RotationConflictError(
        `AWSCURRENT is version ${currentVersionId} but Rotor's current token is version ${app.currentVersionId}; ` +
          'the secret was changed outside Rotor',
      );
    }
    await joinOrStartRotation(context, currentVersionId, now);
  } catch (error) {
    if (!(error instanceof RotationConflictError)) throw error;
    await releaseEmptyPendingVersion(context);
    throw new RotationStepError('createSecret', secretArn, error.message, { cause: error });
  }

  if ((await readPendingToken(context)) !== undefined) {
    deps.logger.info(`createSecret: version ${versionId} already has a pending token`, { secretArn });
    return;
  }
  await deps.secretsManager.send(
    new PutSecretValueCommand({
      SecretId: secretArn,
      ClientRequestToken: versionId,
      SecretString: serializeSecret({ token: mintToken(deps.tokenPrefix), issuedAt: now.toISOString() }),
      VersionStages: ['AWSPENDING'],
    }),
  );
  deps.logger.info(`createSecret: put a new token as AWSPENDING in version ${versionId}`, { secretArn });
}

/**
 * Takes the rotation lock for a rotation Secrets Manager started by itself (with the app's default
 * mode), or joins the rotation a Rotor workflow started. Any other rotation in progress is a conflict.
 */
async function joinOrStartRotation(context: StepContext, currentVersionId: string, now: Date): Promise<void> {
  const { app, deps, versionId, secretArn } = context;
  if (app.activeRotation?.ending) throw conflictError(app);
  if (app.state === 'ROTATING' && app.activeRotation) {
    await deps.registry.apps.attachNewVersion(app.appId, app.activeRotation.rotationId, versionId);
    if (app.activeRotation.trigger === 'secrets-manager') {
      await deps.startWorkflow({ appId: app.appId, rotationId: app.activeRotation.rotationId, adopt: true });
    }
    return;
  }
  if (app.state !== 'ACTIVE') throw conflictError(app);
  // Secrets Manager retries a failed rotation with the same version: one that Rotor already rolled
  // back must not start a rotation again.
  const ended = (await deps.registry.rotations.listRotations(app.appId, 10)).find(
    (record) => record.newVersionId === versionId,
  );
  if (ended || (await deps.registry.tokens.findTokenVersion(app.appId, versionId))) {
    throw new RotationConflictError(
      `version ${versionId} belongs to rotation ${ended?.rotationId ?? 'that ended'}${ended ? ` (${ended.status})` : ''}; ` +
        `start a new one with "rotor rotate ${app.appId} --expire now|later"`,
    );
  }
  const rotation: ActiveRotation = {
    rotationId: newRotationId(now),
    mode: app.defaultMode,
    graceSeconds: app.graceSeconds,
    noticeSeconds: app.noticeBeforeSeconds ?? NOTICE_BEFORE_EXPIRY_SECONDS,
    trigger: 'secrets-manager',
    startedBy: 'secretsmanager.amazonaws.com',
    startedAt: now.toISOString(),
    oldVersionId: currentVersionId,
    newVersionId: versionId,
    oldTokenIssuedAt: app.tokenIssuedAt,
  };
  // Other systems hear that the rotation started, with the rotation's first notification.
  const { taken } = await deps.registry.apps.lockForRotation(app.appId, rotation, now.toISOString(), {
    event: 'ROTATION_STARTED',
    rotationId: rotation.rotationId,
    at: now.toISOString(),
  });
  if (taken) countRotation('started', { appId: app.appId, rotationId: rotation.rotationId }, deps.metrics);
  await deps.registry.audit.appendAudit({
    at: now.toISOString(),
    eventId: `${rotation.rotationId}:started`,
    appId: app.appId,
    action: 'rotation.start',
    actor: rotation.startedBy,
    outcome: 'succeeded',
    rotationId: rotation.rotationId,
    detail: `${rotation.mode} rotation started by Secrets Manager`,
  });
  await deps.startWorkflow({ appId: app.appId, rotationId: rotation.rotationId, adopt: true });
  deps.logger.info(
    `createSecret: started rotation ${rotation.rotationId} (${rotation.mode}) and its workflow`,
    {
      secretArn,
      appId: app.appId,
    },
  );
}

/**
 * A refused rotation leaves no AWSPENDING behind: Secrets Manager would otherwise refuse every later
 * rotation as "still in progress". Only an empty version is released; one with a value is left alone.
 */
async function releaseEmptyPendingVersion(context: StepContext): Promise<void> {
  if ((await readPendingToken(context)) !== undefined) return;
  await context.deps.secretsManager.send(
    new UpdateSecretVersionStageCommand({
      SecretId: context.secretArn,
      VersionStage: 'AWSPENDING',
      RemoveFromVersionId: context.versionId,
    }),
  );
  context.deps.logger.warn(`createSecret: released AWSPENDING from version ${context.versionId}`, {
    secretArn: context.secretArn,
  });
}

/** Registers the pending token's hash, so the verifier knows it once it becomes current. */
async function setSecret(context: StepContext): Promise<void> {
  const { app, deps, versionId, secretArn } = context;
  requireRotationOf(context);
  const token = await requirePendingToken(context);
  await deps.registry.tokens.registerTokenVersion({
    appId: app.appId,
    versionId,
    tokenHash: hashToken(token),
    status: 'pending',
    createdAt: deps.clock().toISOString(),
  });
  deps.logger.info(`setSecret: registered the token of version ${versionId} as pending`, { secretArn });
}

/** Checks that the pending token is well formed and registered for exactly this version. */
async function testSecret(context: StepContext): Promise<void> {
  const { app, deps, versionId, secretArn } = context;
  requireRotationOf(context);
  const token = await requirePendingToken(context);
  if (!isWellFormedToken(token, deps.tokenPrefix)) {
    throw new RotationStepError(
      'testSecret',
      secretArn,
      `the pending token of version ${versionId} is malformed`,
    );
  }
  const registered = await deps.registry.tokens.findTokenByHash(hashToken(token));
  if (
    registered?.appId !== app.appId ||
    registered.versionId !== versionId ||
    registered.status !== 'pending'
  ) {
    throw new RotationStepError(
      'testSecret',
      secretArn,
      `the pending token of version ${versionId} is not registered as pending for app "${app.appId}"`,
    );
  }
  deps.logger.info(`testSecret: the token of version ${versionId} is registered and well formed`, {
    secretArn,
  });
}

/**
 * Commits the rotation to the new version with one conditional write (refused once a rollback claimed the
 * rotation: then AWSCURRENT never moves), then finishes the promotion: the new token is accepted before
 * AWSCURRENT moves to it, so no consumer ever reads a token the verifier does not know as current.
 */
async function finishSecret(context: StepContext): Promise<void> {
  const { deps, versionId, secretArn, app } = context;
  const rotation = requireRotationOf(context);
  const committed = await deps.registry.apps.commitPromotion(
    app.appId,
    rotation.rotationId,
    deps.clock().toISOString(),
  );
  if (!committed) {
    throw new RotationStepError(
      'finishSecret',
      secretArn,
      conflictError(await deps.registry.apps.getApp(app.appId)).message,
    );
  }
  const promoted = await finishPromotion(deps, committed);
  deps.logger.info(
    `finishSecret: rotation ${rotation.rotationId} promoted version ${versionId}; app is ${promoted.state}`,
    {
      secretArn,
      appId: app.appId,
    },
  );
}

/**
 * A finishSecret called again after AWSCURRENT moved (Secrets Manager retries, or the first call stopped
 * half-way): AWSPENDING goes, and a committed rotation of this version is finished.
 */
async function settleFinishedRotation(context: StepContext): Promise<void> {
  const { deps, versionId, secretArn } = context;
  await removeLabel(deps.secretsManager, secretArn, 'AWSPENDING', versionId);
  const app = await deps.registry.apps.getApp(context.app.appId);
  const rotation = app.activeRotation;
  if (app.state !== 'ROTATING' || rotation?.newVersionId !== versionId || !rotation.committedAt) return;
  await finishPromotion(deps, app);
}
