import {
  type DescribeSecretCommandOutput,
  GetSecretValueCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-secrets-manager';
import { APP_TAG } from '../contract/appSettings.ts';
import { RotationStepError } from '../contract/errors.ts';
import { hashToken, parseSecret } from '../domain/tokens.ts';
import { conflictError } from '../store/conflictError.ts';
import type { ActiveRotation, AppRecord } from '../store/model.ts';
import type { Registry } from '../store/Registry.ts';
import type { RotationStep, StepContext } from './stepContext.ts';

// The preconditions every step checks, and the trial testSecret that writes nothing.

/** The app registered for the secret (by its tag), or a RotationStepError that says how to register it. */
export async function appOf(
  secret: DescribeSecretCommandOutput,
  step: RotationStep,
  secretArn: string,
  registry: Registry,
): Promise<AppRecord> {
  const appId = secret.Tags?.find((tag) => tag.Key === APP_TAG)?.Value;
  if (!appId) {
    throw new RotationStepError(
      step,
      secretArn,
      `the secret has no ${APP_TAG} tag; register it with "rotor apps add"`,
    );
  }
  const app = await registry.apps.findApp(appId);
  if (!app) throw new RotationStepError(step, secretArn, `no app "${appId}" is registered with Rotor`);
  if (app.secretArn !== secretArn) {
    throw new RotationStepError(
      step,
      secretArn,
      `app "${appId}" is registered for another secret (${app.secretArn})`,
    );
  }
  return app;
}

/** The secret's AWSCURRENT version id. */
export function currentVersionOf(context: StepContext): string {
  const current = Object.entries(context.stages).find(([, labels]) => labels.includes('AWSCURRENT'))?.[0];
  if (!current)
    throw new RotationStepError(context.step, context.secretArn, 'the secret has no AWSCURRENT version');
  return current;
}

/** Whether the app is rotating towards this version and nobody is ending that rotation. */
export function isRotatingTo(app: AppRecord, versionId: string): boolean {
  const rotation = app.activeRotation;
  return app.state === 'ROTATING' && rotation?.newVersionId === versionId && !rotation.ending;
}

/** The app must be rotating towards this version; anything else means the rotation was ended. */
export function requireRotationOf(context: StepContext): ActiveRotation {
  const { app, versionId } = context;
  const rotation = app.activeRotation;
  if (!isRotatingTo(app, versionId) || !rotation) {
    throw new RotationStepError(context.step, context.secretArn, conflictError(app).message);
  }
  return rotation;
}

/**
 * The trial testSecret of RotateSecret with `RotateImmediately: false`: checks that the hook can do a
 * rotation of this secret (the app is registered for it, AWSCURRENT holds the token Rotor knows as
 * current) and writes nothing, so no rotation starts and nothing is left behind.
 */
export async function testRotationConfiguration(context: StepContext): Promise<void> {
  const { app, deps, secretArn, versionId } = context;
  const fail = (problem: string): never => {
    throw new RotationStepError('testSecret', secretArn, `trial of the rotation configuration: ${problem}`);
  };
  const currentVersionId = currentVersionOf(context);
  if (currentVersionId !== app.currentVersionId) {
    fail(
      `AWSCURRENT is version ${currentVersionId} but Rotor's current token is version ${app.currentVersionId}; ` +
        'the secret was changed outside Rotor',
    );
  }
  const current = await deps.secretsManager.send(
    new GetSecretValueCommand({
      SecretId: secretArn,
      VersionId: currentVersionId,
      VersionStage: 'AWSCURRENT',
    }),
  );
  let token: string;
  try {
    token = parseSecret(current.SecretString).token;
  } catch (error) {
    return fail((error as Error).message);
  }
  const registered = await deps.registry.tokens.findTokenByHash(hashToken(token));
  if (
    registered?.appId !== app.appId ||
    registered.versionId !== currentVersionId ||
    registered.status !== 'current'
  ) {
    fail(
      `the AWSCURRENT token of version ${currentVersionId} is not Rotor's current token of app "${app.appId}"`,
    );
  }
  deps.logger.info(
    `testSecret: trial of the rotation configuration with version ${versionId} passed; nothing was created`,
    { secretArn, appId: app.appId },
  );
}

/** The token of the AWSPENDING version being rotated to, or `undefined` while it has no value. */
export async function readPendingToken(context: StepContext): Promise<string | undefined> {
  try {
    const pending = await context.deps.secretsManager.send(
      new GetSecretValueCommand({
        SecretId: context.secretArn,
        VersionId: context.versionId,
        VersionStage: 'AWSPENDING',
      }),
    );
    return parseSecret(pending.SecretString).token;
  } catch (error) {
    if (error instanceof ResourceNotFoundException || (error as Error).name === 'ResourceNotFoundException') {
      return undefined;
    }
    if (error instanceof Error && error.message.startsWith('the secret value')) {
      throw new RotationStepError(context.step, context.secretArn, error.message);
    }
    throw error;
  }
}

/** {@link readPendingToken}, failing the step when the version has no value yet. */
export async function requirePendingToken(context: StepContext): Promise<string> {
  const token = await readPendingToken(context);
  if (token === undefined) {
    throw new RotationStepError(
      context.step,
      context.secretArn,
      `version ${context.versionId} has no value yet`,
    );
  }
  return token;
}
