import {
  CreateSecretCommand,
  DescribeSecretCommand,
  type DescribeSecretCommandOutput,
  GetSecretValueCommand,
  ResourceNotFoundException,
  RotateSecretCommand,
  type SecretsManagerClient,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { RotationConflictError, ValidationError } from './errors.ts';
import {
  type Admin,
  APP_TAG,
  type AppRecord,
  type Locale,
  type RotationMode,
  type RotationPolicy,
} from './model.ts';
import type { Registry } from './Registry.ts';
import { hashToken, isWellFormedToken, mintToken, parseSecret, serializeSecret } from './tokens.ts';

/** What an app id may look like: a lowercase slug. */
export const APP_ID_PATTERN = /^[a-z0-9][a-z0-9-]{2,47}$/;
/**
 * Rotor's daily sweep decides when a token is due. Secrets Manager needs a schedule to enable
 * rotation, so it gets its longest one, a dormant backstop that every rotation pushes back.
 */
export const SECRETS_MANAGER_BACKSTOP_DAYS = 1000;

export interface EnrollManagedAppInput {
  readonly appId: string;
  /** The secret's name (under the deployment's secret name prefix) or its ARN. */
  readonly secret: string;
  readonly admins: readonly Admin[];
  readonly customers?: readonly string[];
  readonly locale: Locale;
  readonly timeZone: string;
  readonly intervalSeconds: number;
  readonly graceSeconds: number;
  readonly reminderRepeatSeconds: number;
  readonly policy: RotationPolicy;
  readonly defaultMode: RotationMode;
}

export interface EnrollDependencies {
  readonly secretsManager: SecretsManagerClient;
  readonly registry: Registry;
  readonly tokenPrefix: string;
  readonly secretNamePrefix: string;
  /** The ARN of the rotation hook that Secrets Manager will call. */
  readonly rotationFunctionArn: string;
  readonly clock: () => Date;
}

async function describeIfExists(client: SecretsManagerClient, secretId: string) {
  try {
    return await client.send(new DescribeSecretCommand({ SecretId: secretId }));
  } catch (error) {
    if (error instanceof ResourceNotFoundException || (error as Error).name === 'ResourceNotFoundException') {
      return undefined;
    }
    throw error;
  }
}

function secretNameOf(secret: string): string {
  // arn:aws:secretsmanager:region:account:secret:name-AbCdEf
  return secret.startsWith('arn:')
    ? secret
        .split(':')
        .slice(6)
        .join(':')
        .replace(/-[A-Za-z0-9]{6}$/, '')
    : secret;
}

/**
 * Registers a managed app: creates its secret with a freshly minted token (or adopts the current
 * value of an existing secret), tags the secret for the rotation hook, records the token's hash
 * and the app, and enables rotation with the hook. Everything is checked before anything is written.
 *
 * @example
 * const app = await enrollManagedApp({ appId: 'billing-api', secret: 'rotor/billing-api', ... }, deps);
 */
export async function enrollManagedApp(
  input: EnrollManagedAppInput,
  deps: EnrollDependencies,
): Promise<AppRecord> {
  if (!APP_ID_PATTERN.test(input.appId)) {
    throw new ValidationError(
      `app id "${input.appId}" is not allowed: use 3-48 lowercase letters, digits and "-", starting with a letter or digit`,
    );
  }
  if (!secretNameOf(input.secret).startsWith(deps.secretNamePrefix)) {
    throw new ValidationError(
      `secret "${input.secret}" is outside this deployment's secret name prefix "${deps.secretNamePrefix}"; Rotor may only manage secrets under it`,
    );
  }
  if (input.admins.length === 0) throw new ValidationError('an app needs at least one admin email');
  if (await deps.registry.findApp(input.appId)) {
    throw new RotationConflictError(`app "${input.appId}" is already registered`);
  }

  const existing = await describeIfExists(deps.secretsManager, input.secret);
  const now = deps.clock().toISOString();
  const { secretArn, versionId, token, issuedAt } = existing
    ? await adoptSecret(existing, input.appId, deps)
    : await createSecret(input, deps, now);

  await deps.registry.registerTokenVersion({
    appId: input.appId,
    versionId,
    tokenHash: hashToken(token),
    status: 'current',
    createdAt: now,
  });
  const app: AppRecord = {
    appId: input.appId,
    secretArn,
    issuer: 'managed',
    admins: input.admins,
    customers: input.customers ?? [],
    locale: input.locale,
    timeZone: input.timeZone,
    intervalSeconds: input.intervalSeconds,
    graceSeconds: input.graceSeconds,
    reminderRepeatSeconds: input.reminderRepeatSeconds,
    policy: input.policy,
    defaultMode: input.defaultMode,
    state: 'ACTIVE',
    currentVersionId: versionId,
    tokenIssuedAt: issuedAt || now,
    createdAt: now,
    updatedAt: now,
  };
  await deps.registry.createApp(app);
  await deps.secretsManager.send(
    new RotateSecretCommand({
      SecretId: secretArn,
      RotationLambdaARN: deps.rotationFunctionArn,
      RotationRules: { AutomaticallyAfterDays: SECRETS_MANAGER_BACKSTOP_DAYS },
      RotateImmediately: false,
    }),
  );
  return app;
}

async function createSecret(input: EnrollManagedAppInput, deps: EnrollDependencies, now: string) {
  const token = mintToken(deps.tokenPrefix);
  const created = await deps.secretsManager.send(
    new CreateSecretCommand({
      Name: input.secret,
      Description: `Rotor managed token of app ${input.appId}`,
      SecretString: serializeSecret({ token, issuedAt: now }),
      Tags: [{ Key: APP_TAG, Value: input.appId }],
    }),
  );
  if (!created.ARN || !created.VersionId)
    throw new Error(`CreateSecret for ${input.secret} returned no ARN or version`);
  return { secretArn: created.ARN, versionId: created.VersionId, token, issuedAt: now };
}

async function adoptSecret(secret: DescribeSecretCommandOutput, appId: string, deps: EnrollDependencies) {
  const owner = secret.Tags?.find((tag) => tag.Key === APP_TAG)?.Value;
  if (owner && owner !== appId) {
    throw new RotationConflictError(`secret ${secret.ARN} already belongs to app "${owner}"`);
  }
  const current = await deps.secretsManager.send(new GetSecretValueCommand({ SecretId: secret.ARN }));
  let payload: ReturnType<typeof parseSecret>;
  try {
    payload = parseSecret(current.SecretString);
  } catch (error) {
    throw new ValidationError(`secret ${secret.ARN} cannot be adopted: ${(error as Error).message}`);
  }
  if (!isWellFormedToken(payload.token, deps.tokenPrefix)) {
    throw new ValidationError(
      `secret ${secret.ARN} cannot be adopted as a managed app: its token is not a "${deps.tokenPrefix}" token minted by Rotor`,
    );
  }
  if (!secret.ARN || !current.VersionId)
    throw new Error(`DescribeSecret for ${secret.Name} returned no ARN or version`);
  if (!owner) {
    await deps.secretsManager.send(
      new TagResourceCommand({ SecretId: secret.ARN, Tags: [{ Key: APP_TAG, Value: appId }] }),
    );
  }
  return {
    secretArn: secret.ARN,
    versionId: current.VersionId,
    token: payload.token,
    issuedAt: payload.issuedAt,
  };
}
