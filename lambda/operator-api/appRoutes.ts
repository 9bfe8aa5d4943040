import { CancelRotateSecretCommand, UntagResourceCommand } from '@aws-sdk/client-secrets-manager';
import { APP_TAG, type Locale } from '../contract/appSettings.ts';
import { formatDuration, formatTimeBefore, parseDuration } from '../contract/duration.ts';
import { ValidationError } from '../contract/errors.ts';
import { HUBSPOT_GRACE_SECONDS } from '../contract/hubspotApi.ts';
import {
  ALLOWED,
  noticeBeforeProblem,
  parseRemindBefore,
  remindBeforeProblem,
} from '../contract/requestRules.ts';
import { enrollHubSpotApp, enrollManagedApp } from '../domain/enrollApp.ts';
import { submitHubSpotToken } from '../domain/hubspotRotation.ts';
import { registeredDetail, removedDetail } from '../notifications/announce.ts';
import type { AppSettingsChange } from '../store/AppItems.ts';
import type { AppRecord } from '../store/model.ts';
import { type Answer, appIdOf, audit, type RequestContext, sentence } from './requestContext.ts';
import { addAppBody, parseRequestPart, shapeKeys, submitTokenBody, updateAppBody } from './requests.ts';
import { appView } from './views.ts';
import { deleteWebhookSecretsOf, WEBHOOK_SECRET_RECOVERY_DAYS } from './webhookRoutes.ts';

/**
 * The reminder settings of a request in seconds, each checked against the app it is for: every before-due
 * reminder shorter than the interval (so it falls after the token was issued), the notice time shorter
 * than the grace period (a rotation whose own grace period is not longer than it has no notice).
 */
function reminderSettings(
  input: { remindBefore?: readonly string[]; noticeBefore?: string },
  app: Pick<AppRecord, 'intervalSeconds' | 'graceSeconds'>,
): AppSettingsChange {
  let change: AppSettingsChange = {};
  if (input.remindBefore !== undefined) {
    const seconds = parseRemindBefore(input.remindBefore) as number[];
    const problem = remindBeforeProblem(seconds, app.intervalSeconds);
    if (problem) throw new ValidationError(`Field remindBefore must be ${ALLOWED.remindBefore}: ${problem}`);
    change = { ...change, remindBeforeSeconds: seconds };
  }
  if (input.noticeBefore !== undefined) {
    const seconds = parseDuration(input.noticeBefore) as number;
    const problem = noticeBeforeProblem(seconds, app.graceSeconds);
    if (problem) throw new ValidationError(`Field noticeBefore must be ${ALLOWED.noticeBefore}: ${problem}`);
    change = { ...change, noticeBeforeSeconds: seconds };
  }
  return change;
}

/** What a settings change says, e.g. `reminders 30d, 7d before the due date`. */
function describeChange(change: AppSettingsChange): string {
  const parts: string[] = [];
  if (change.remindBeforeSeconds) {
    parts.push(
      change.remindBeforeSeconds.length === 0
        ? 'no reminders before the due date'
        : `reminders ${change.remindBeforeSeconds.map(formatDuration).join(', ')} before the due date`,
    );
  }
  if (change.noticeBeforeSeconds !== undefined) {
    parts.push(
      `the pre-expiry notice ${formatTimeBefore(change.noticeBeforeSeconds)} before a grace period ends, from the next rotation on`,
    );
  }
  return parts.join('; ');
}

/** `rotor apps add`: registers a managed app (its secret made or adopted) or a HubSpot app (its token checked with HubSpot). */
export async function addApp(context: RequestContext, raw: unknown): Promise<Answer> {
  const input = parseRequestPart('body', addAppBody, raw);
  const { deps } = context;
  const defaults = deps.appDefaults;
  const admins: { email: string; locale?: Locale }[] =
    input.admins ?? defaults.admins.map((email) => ({ email }));
  if (admins.length === 0) {
    throw new ValidationError(
      'Field admins is missing; it must be a list of 1 to 20 admins, and this deployment has no default admins',
    );
  }
  const hubspot = input.issuer === 'hubspot';
  const hubspotField = (['hubId', 'scopes', 'hubspotApiUrl', 'handoffTimeout'] as const).find(
    (field) => input[field] !== undefined,
  );
  if (!hubspot && hubspotField) {
    throw new ValidationError(`Field ${hubspotField} is only for issuer hubspot`);
  }
  if (hubspot && input.hubId === undefined) {
    throw new ValidationError(
      'Field hubId is missing; a hubspot app needs its HubSpot portal id, such as 4711',
    );
  }
  context.appId = input.appId;
  const seconds = (text: string | undefined, fallback: number) =>
    text === undefined ? fallback : (parseDuration(text) as number);
  const settings = {
    appId: input.appId,
    secret: input.secret,
    admins: admins.map((admin) => ({
      email: admin.email,
      ...(admin.locale ? { locale: admin.locale } : {}),
    })),
    customers: input.customers ?? [],
    locale: input.locale ?? defaults.locale,
    timeZone: input.timeZone ?? defaults.timeZone,
    intervalSeconds: seconds(input.interval, defaults.intervalSeconds),
    graceSeconds: seconds(input.grace, defaults.graceSeconds),
    reminderRepeatSeconds: seconds(input.reminderRepeat, defaults.reminderRepeatSeconds),
    policy: input.policy ?? 'remind',
    defaultMode: input.defaultMode ?? 'expire-later',
  };
  const reminders = reminderSettings(input, {
    intervalSeconds: settings.intervalSeconds,
    graceSeconds: hubspot && input.grace === undefined ? HUBSPOT_GRACE_SECONDS : settings.graceSeconds,
  });
  const app = hubspot
    ? await enrollHubSpotApp(
        {
          ...settings,
          ...reminders,
          // HubSpot's "Rotate and expire later" keeps the old token 7 days; a hubspot app mirrors it.
          graceSeconds: input.grace === undefined ? HUBSPOT_GRACE_SECONDS : settings.graceSeconds,
          hubId: input.hubId as number,
          ...(input.scopes ? { requiredScopes: input.scopes } : {}),
          ...(input.hubspotApiUrl ? { apiUrl: input.hubspotApiUrl } : {}),
          ...(input.handoffTimeout
            ? { handoffTimeoutSeconds: parseDuration(input.handoffTimeout) as number }
            : {}),
        },
        deps,
      )
    : await enrollManagedApp({ ...settings, ...reminders }, deps);
  const adopted = Date.parse(app.tokenIssuedAt) < Date.parse(app.createdAt);
  await audit(context, 'succeeded', `registered with secret ${app.secretArn}`);
  await deps.announce?.({
    app,
    event: 'APP_REGISTERED',
    occasion: `registered-${app.createdAt}`,
    detail: registeredDetail(app, context.caller),
  });
  return {
    status: 201,
    body: {
      app: appView(app, deps.clock()),
      message: sentence(
        hubspot
          ? `Registered HubSpot app "${app.appId}" (portal ${app.hubspot?.hubId}) with secret ${app.secretArn}; HubSpot accepted its current token, which Rotor adopted. A rotation emails the admins what to click in HubSpot and waits for "rotor submit ${app.appId} --token-stdin"`
          : `Registered app "${app.appId}" with secret ${app.secretArn}; rotation through Rotor's hook is on${
              adopted ? ", and the secret's current token was adopted" : ''
            }`,
      ),
    },
  };
}

/**
 * `rotor apps update`: changes an app's settings (the before-due reminders, the pre-expiry notice time).
 * At least one field; unknown ones are refused; bad input changes nothing. A running rotation keeps the
 * notice time it started with.
 */
export async function updateApp(context: RequestContext, raw: unknown): Promise<Answer> {
  const { deps } = context;
  const appId = appIdOf(context);
  const input = parseRequestPart('body', updateAppBody, raw);
  if (Object.keys(input).length === 0) {
    throw new ValidationError(
      `The request body must name at least one setting to change: ${shapeKeys(updateAppBody).join(', ')}`,
    );
  }
  const change = reminderSettings(input, await deps.registry.apps.getApp(appId));
  context.appId = appId;
  const now = deps.clock();
  const app = await deps.registry.apps.updateSettings(appId, change, now.toISOString());
  const message = sentence(`Updated app "${appId}": ${describeChange(change)}`);
  await audit(context, 'succeeded', message);
  return { status: 200, body: { app: appView(app, now), message } };
}

/** `rotor submit`: a HubSpot app's new token, handed over for the rotation that waits for it. */
export async function submitToken(context: RequestContext, raw: unknown): Promise<Answer> {
  const { deps } = context;
  const appId = appIdOf(context);
  const { token } = parseRequestPart('body', submitTokenBody, raw);
  context.appId = appId;
  const accepted = await submitHubSpotToken(deps, appId, token, context.caller);
  context.audited = true;
  context.rotationId = accepted.rotationId;
  const changes = [
    accepted.scopesAdded.length > 0 ? `scopes added: ${accepted.scopesAdded.join(', ')}` : '',
    accepted.scopesRemoved.length > 0 ? `scopes removed: ${accepted.scopesRemoved.join(', ')}` : '',
  ].filter(Boolean);
  return {
    status: 202,
    body: {
      appId,
      rotationId: accepted.rotationId,
      versionId: accepted.versionId,
      scopesAdded: accepted.scopesAdded,
      scopesRemoved: accepted.scopesRemoved,
      message: sentence(
        `HubSpot accepted the token for app "${appId}"; it is pending as version ${accepted.versionId} and becomes current in a moment, the old token stays valid for HubSpot's 7 days (${
          changes.length > 0 ? changes.join('; ') : 'same scopes as before'
        }); follow it with "rotor apps show ${appId}"`,
      ),
    },
  };
}

/** `rotor apps remove`: the app leaves Rotor; its secret and its current token stay. */
export async function removeApp(context: RequestContext): Promise<Answer> {
  const { deps } = context;
  const appId = appIdOf(context);
  context.appId = appId;
  const app = await deps.registry.apps.removeApp(appId);
  // The secret stays (services may still read it); Secrets Manager stops calling Rotor's hook for it.
  let secretNote = "Secrets Manager rotation with Rotor's hook was turned off";
  try {
    await deps.secretsManager.send(new CancelRotateSecretCommand({ SecretId: app.secretArn }));
    await deps.secretsManager.send(new UntagResourceCommand({ SecretId: app.secretArn, TagKeys: [APP_TAG] }));
  } catch (error) {
    secretNote = `turning off its rotation failed (${(error as Error).name}), so turn it off in Secrets Manager`;
  }
  const webhooks = Object.values(app.webhooks ?? {});
  const left = await deleteWebhookSecretsOf(context, webhooks);
  const webhookNote =
    webhooks.length === 0
      ? ''
      : left.length === 0
        ? `; the secrets of its ${webhooks.length} webhook(s) are deleted after ${WEBHOOK_SECRET_RECOVERY_DAYS} days`
        : `; delete the secrets of its webhooks ${left.map((webhook) => webhook.secretArn).join(', ')} in Secrets Manager, which refused`;
  const message = sentence(
    `Removed app "${appId}" from Rotor; its secret ${app.secretArn} was not deleted and its current token stays valid, ${secretNote}${webhookNote}`,
  );
  await audit(context, 'succeeded', message);
  await deps.announce?.({
    app,
    event: 'APP_REMOVED',
    occasion: `removed-${app.createdAt}`,
    detail: removedDetail(app, context.caller, deps.clock().toISOString()),
    // Its webhooks' secrets go with it.
    toWebhooks: false,
  });
  return {
    status: 200,
    body: { appId, removed: true, secretArn: app.secretArn, secretDeleted: false, message },
  };
}
