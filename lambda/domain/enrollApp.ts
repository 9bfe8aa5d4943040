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
import {
  APP_TAG,
  DEFAULT_NOTICE_BEFORE_SECONDS,
  type Locale,
  type RotationMode,
  type RotationPolicy,
} from '../contract/appSettings.ts';
import { checkEmailAddress } from '../contract/emailAddress.ts';
import { RotationConflictError, ValidationError } from '../contract/errors.ts';
import { HUBSPOT_GRACE_SECONDS, isAllowedHubSpotApiUrl } from '../contract/hubspotApi.ts';
import { APP_ID_PATTERN } from '../contract/ids.ts';
import { webhookSecretPrefix } from '../contract/webhooks.ts';
import { type HubSpotClientOptions, lookUpHubSpotToken } from '../integrations/hubspot.ts';
import { remindBeforeOf } from '../store/dueAt.ts';
import type { Admin, AppRecord, HubSpotSettings } from '../store/model.ts';
import type { Registry } from '../store/Registry.ts';
import { hashToken, isWellFormedToken, mintToken, parseSecret, serializeSecret } from './tokens.ts';

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
  /** How long before the token is due the admins are reminded. @default 30 and 7 days, those shorter than the interval */
  readonly remindBeforeSeconds?: readonly number[];
  /** How long before a grace period ends the pre-expiry notice goes out. @default 24 hours */
  readonly noticeBeforeSeconds?: number;
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
  await checkNewApp(input, deps);

  const existing = await describeIfExists(deps.secretsManager, input.secret);
  const now = deps.clock().toISOString();
  const { secretArn, versionId, token, issuedAt } = existing
    ? await adoptSecret(existing, input.appId, deps)
    : await createSecret(input, deps, now);

  await deps.registry.tokens.registerTokenVersion({
    appId: input.appId,
    versionId,
    tokenHash: hashToken(token),
    status: 'current',
    createdAt: now,
  });
  const app = appRecordOf(input, { secretArn, versionId, issuedAt: issuedAt || now, now, issuer: 'managed' });
  // The app is recorded first: Secrets Manager's trial testSecret (RotateImmediately false) asks the
  // hook, which checks the secret's token against the app's. A refused trial registers nothing.
  await deps.registry.apps.createApp(app);
  try {
    await deps.secretsManager.send(
      new RotateSecretCommand({
        SecretId: secretArn,
        RotationLambdaARN: deps.rotationFunctionArn,
        RotationRules: { AutomaticallyAfterDays: SECRETS_MANAGER_BACKSTOP_DAYS },
        RotateImmediately: false,
      }),
    );
  } catch (error) {
    await deps.registry.apps.removeApp(app.appId);
    throw error;
  }
  return app;
}

function appRecordOf(
  input: EnrollManagedAppInput,
  facts: { secretArn: string; versionId: string; issuedAt: string; now: string; issuer: AppRecord['issuer'] },
): AppRecord {
  return {
    appId: input.appId,
    secretArn: facts.secretArn,
    issuer: facts.issuer,
    admins: input.admins,
    customers: input.customers ?? [],
    locale: input.locale,
    timeZone: input.timeZone,
    intervalSeconds: input.intervalSeconds,
    graceSeconds: input.graceSeconds,
    reminderRepeatSeconds: input.reminderRepeatSeconds,
    policy: input.policy,
    defaultMode: input.defaultMode,
    remindBeforeSeconds: remindBeforeOf({
      intervalSeconds: input.intervalSeconds,
      ...(input.remindBeforeSeconds ? { remindBeforeSeconds: input.remindBeforeSeconds } : {}),
    }),
    noticeBeforeSeconds: input.noticeBeforeSeconds ?? DEFAULT_NOTICE_BEFORE_SECONDS,
    state: 'ACTIVE',
    currentVersionId: facts.versionId,
    tokenIssuedAt: facts.issuedAt,
    createdAt: facts.now,
    updatedAt: facts.now,
  };
}

/** How long a HubSpot rotation waits for the new token by default. */
export const DEFAULT_HANDOFF_TIMEOUT_SECONDS = 7 * 86_400;

export interface EnrollHubSpotAppInput extends EnrollManagedAppInput {
  /** The HubSpot portal the app's tokens belong to. */
  readonly hubId: number;
  /** Scopes every token of the app must have. @default none */
  readonly requiredScopes?: readonly string[];
  /** @default the deployment's HubSpot API URL */
  readonly apiUrl?: string;
  /** @default 7 days */
  readonly handoffTimeoutSeconds?: number;
}

export interface EnrollHubSpotDependencies
  extends Omit<EnrollDependencies, 'rotationFunctionArn' | 'tokenPrefix'> {
  /** The HubSpot API URL of apps that name none (`HUBSPOT_API_URL`, default https://api.hubapi.com). */
  readonly hubspotApiUrl: string;
  /** For tests: the backoff's sleep. */
  readonly hubspotClient?: Pick<HubSpotClientOptions, 'sleep' | 'timeoutMs'>;
}

/**
 * Registers a HubSpot app: adopts the token in an existing secret (HubSpot mints tokens, Rotor never
 * does), after HubSpot confirmed it belongs to the app's portal and has the required scopes. Rotor
 * keeps the token's hash and scopes, never the token; Secrets Manager rotation stays off, because a
 * HubSpot rotation needs an admin to click in HubSpot and hand the new token over (`rotor submit`).
 *
 * @example
 * await enrollHubSpotApp({ appId: 'crm-sync', secret: 'rotor/crm-sync', hubId: 4711, ... }, deps);
 */
export async function enrollHubSpotApp(
  input: EnrollHubSpotAppInput,
  deps: EnrollHubSpotDependencies,
): Promise<AppRecord> {
  await checkNewApp(input, deps);
  if (!Number.isSafeInteger(input.hubId) || input.hubId <= 0) {
    throw new ValidationError(
      `hub id must be the HubSpot portal's number, such as 4711 (got ${input.hubId})`,
    );
  }
  const apiUrl = input.apiUrl ?? deps.hubspotApiUrl;
  if (!isAllowedHubSpotApiUrl(apiUrl)) {
    throw new ValidationError(
      `the HubSpot API URL must be https:// (or http:// on 127.0.0.1 for a local fake), got "${apiUrl.slice(0, 80)}"`,
    );
  }
  if (input.graceSeconds !== HUBSPOT_GRACE_SECONDS) {
    throw new ValidationError(
      'a hubspot app\'s grace period is HubSpot\'s 7 days ("Rotate and expire later"); leave grace out or give 7d',
    );
  }
  const existing = await describeIfExists(deps.secretsManager, input.secret);
  if (!existing) {
    throw new ValidationError(
      `secret "${input.secret}" does not exist; put the app's current HubSpot token into it first, as {"token": "pat-...", "issuedAt": "<ISO-8601>"}`,
    );
  }
  const { secretArn, versionId, token, issuedAt } = await adoptSecret(existing, input.appId, deps, false);
  const verdict = await lookUpHubSpotToken(token, { apiUrl, ...deps.hubspotClient });
  if (!verdict.accepted) {
    throw new ValidationError(
      `HubSpot refuses the token in secret ${secretArn} (HTTP ${verdict.status}); put the app's current token into the secret first`,
    );
  }
  if (verdict.info.hubId !== input.hubId) {
    throw new ValidationError(
      `the token in secret ${secretArn} belongs to HubSpot portal ${verdict.info.hubId}, not to portal ${input.hubId}`,
    );
  }
  const requiredScopes = [...new Set(input.requiredScopes ?? [])].sort();
  const missing = requiredScopes.filter((scope) => !verdict.info.scopes.includes(scope));
  if (missing.length > 0) {
    throw new ValidationError(
      `the token in secret ${secretArn} lacks the required scope(s) ${missing.join(', ')}`,
    );
  }
  const now = deps.clock().toISOString();
  await deps.registry.tokens.registerTokenVersion({
    appId: input.appId,
    versionId,
    tokenHash: hashToken(token),
    status: 'current',
    createdAt: now,
  });
  const hubspot: HubSpotSettings = {
    hubId: input.hubId,
    requiredScopes,
    apiUrl,
    scopes: verdict.info.scopes,
    handoffTimeoutSeconds: input.handoffTimeoutSeconds ?? DEFAULT_HANDOFF_TIMEOUT_SECONDS,
  };
  const app: AppRecord = {
    ...appRecordOf(
      { ...input, defaultMode: 'expire-later' },
      { secretArn, versionId, issuedAt: issuedAt || now, now, issuer: 'hubspot' },
    ),
    hubspot,
  };
  await deps.registry.apps.createApp(app);
  return app;
}

/** What every new app must satisfy before anything is written. */
async function checkNewApp(
  input: EnrollManagedAppInput,
  deps: Pick<EnrollDependencies, 'registry' | 'secretNamePrefix'>,
): Promise<void> {
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
  if (secretNameOf(input.secret).startsWith(webhookSecretPrefix(deps.secretNamePrefix))) {
    throw new ValidationError(
      `secret "${input.secret}" is in "${webhookSecretPrefix(deps.secretNamePrefix)}", where Rotor keeps webhook URLs; put the token's secret elsewhere under "${deps.secretNamePrefix}"`,
    );
  }
  if (input.admins.length === 0) throw new ValidationError('an app needs at least one admin email');
  for (const admin of input.admins) checkEmailAddress(admin.email, 'admin email address');
  for (const customer of input.customers ?? []) checkEmailAddress(customer, 'customer email address');
  if (await deps.registry.apps.findApp(input.appId)) {
    throw new RotationConflictError(`app "${input.appId}" is already registered`);
  }
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

async function adoptSecret(
  secret: DescribeSecretCommandOutput,
  appId: string,
  deps: Pick<EnrollDependencies, 'secretsManager'> & { tokenPrefix?: string },
  managed = true,
) {
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
  if (managed && !isWellFormedToken(payload.token, deps.tokenPrefix)) {
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
