import { CreateSecretCommand, DeleteSecretCommand } from '@aws-sdk/client-secrets-manager';
import { AppNotFoundError, RotationConflictError } from '../contract/errors.ts';
import {
  inferWebhookKind,
  MAX_WEBHOOKS_PER_APP,
  newSigningSecret,
  newWebhookId,
  webhookSecretName,
} from '../contract/webhooks.ts';
import type { WebhookRef } from '../store/model.ts';
import { type Answer, appIdOf, audit, type RequestContext, sentence } from './requestContext.ts';
import { addWebhookBody, parseRequestPart, pathSchemas } from './requests.ts';
import { webhookView } from './views.ts';

/** Days Secrets Manager keeps a removed webhook's secret before it deletes it for good. */
export const WEBHOOK_SECRET_RECOVERY_DAYS = 7;

/**
 * `rotor apps add|update --webhook`: adds a webhook to an app. Its URL (and, for `json`, a new signing
 * secret) go into a secret of their own under `<prefix>webhooks/<app>/<id>`, and the registry keeps only
 * the kind, the host and the secret's ARN. The answer never has the URL or the signing secret: it names
 * the secret that holds them, which the receiver's owner reads with their own AWS access. A crash between
 * the two writes leaves a secret no app names, which nothing reads.
 */
export async function addWebhook(context: RequestContext, raw: unknown): Promise<Answer> {
  const { deps } = context;
  const appId = appIdOf(context);
  const { url, kind: askedKind } = parseRequestPart('body', addWebhookBody, raw);
  context.appId = appId;
  const app = await deps.registry.apps.getApp(appId);
  const tooMany = () =>
    new RotationConflictError(
      `app "${appId}" has ${MAX_WEBHOOKS_PER_APP} webhooks, the most an app may have; remove one first with "rotor apps update ${appId} --remove-webhook <id>"`,
    );
  if (Object.keys(app.webhooks ?? {}).length >= MAX_WEBHOOKS_PER_APP) throw tooMany();
  const kind = askedKind ?? inferWebhookKind(url);
  const webhookId = newWebhookId();
  const signingSecret = kind === 'json' ? newSigningSecret() : undefined;
  const created = await deps.secretsManager.send(
    new CreateSecretCommand({
      Name: webhookSecretName(deps.secretNamePrefix, appId, webhookId),
      Description: `Rotor ${kind} webhook ${webhookId} of app ${appId}: its URL${signingSecret ? ' and signing secret' : ''}`,
      SecretString: JSON.stringify({ url, ...(signingSecret ? { signingSecret } : {}) }),
    }),
  );
  const webhook: WebhookRef = {
    webhookId,
    kind,
    host: new URL(url).host,
    secretArn: created.ARN as string,
    addedAt: deps.clock().toISOString(),
    addedBy: context.caller,
  };
  if (!(await deps.registry.apps.addWebhook(appId, webhook))) {
    await deleteWebhookSecret(context, webhook);
    throw tooMany();
  }
  await audit(
    context,
    'succeeded',
    `added ${kind} webhook ${webhookId} (${webhook.host}) with secret ${webhook.secretArn}`,
  );
  const signing = signingSecret
    ? `; its deliveries are signed in the Rotor-Signature header with the "signingSecret" field of that secret, which the receiver reads from Secrets Manager`
    : '';
  return {
    status: 201,
    body: {
      appId,
      webhook: webhookView(webhook),
      message: sentence(
        `Added ${kind} webhook ${webhookId} (${webhook.host}) to app "${appId}": every event of the app goes to it from now on, and its URL is kept in secret ${webhook.secretArn}${signing}`,
      ),
    },
  };
}

/** Deletes a webhook's secret after its recovery window; false when Secrets Manager would not. */
async function deleteWebhookSecret(context: RequestContext, webhook: WebhookRef): Promise<boolean> {
  try {
    await context.deps.secretsManager.send(
      new DeleteSecretCommand({
        SecretId: webhook.secretArn,
        RecoveryWindowInDays: WEBHOOK_SECRET_RECOVERY_DAYS,
      }),
    );
    return true;
  } catch {
    return false;
  }
}

/**
 * `rotor apps update --remove-webhook`: the app stops sending to the webhook at once (deliveries already
 * started find it gone and stop), then its secret is scheduled for deletion.
 */
export async function removeWebhook(context: RequestContext): Promise<Answer> {
  const { deps } = context;
  const appId = appIdOf(context);
  const webhookId = parseRequestPart(
    'path parameter',
    pathSchemas.webhookId,
    context.pathParameters.webhookId,
    'webhookId',
  );
  context.appId = appId;
  await deps.registry.apps.getApp(appId);
  const webhook = await deps.registry.apps.removeWebhook(appId, webhookId);
  if (!webhook) {
    throw new AppNotFoundError(
      `app "${appId}" has no webhook ${webhookId}; "rotor apps show ${appId}" lists its webhooks`,
    );
  }
  const deleted = await deleteWebhookSecret(context, webhook);
  const secretNote = deleted
    ? `its secret ${webhook.secretArn} is deleted after ${WEBHOOK_SECRET_RECOVERY_DAYS} days`
    : `deleting its secret ${webhook.secretArn} failed, so delete it in Secrets Manager`;
  const message = sentence(
    `Removed webhook ${webhookId} (${webhook.host}) from app "${appId}"; ${secretNote}`,
  );
  await audit(context, 'succeeded', message);
  return { status: 200, body: { appId, webhookId, removed: true, message } };
}

/** `rotor apps remove`: the removed app's webhook secrets go too. Returns those that could not be deleted. */
export async function deleteWebhookSecretsOf(
  context: RequestContext,
  webhooks: readonly WebhookRef[],
): Promise<WebhookRef[]> {
  const left: WebhookRef[] = [];
  for (const webhook of webhooks) {
    if (!(await deleteWebhookSecret(context, webhook))) left.push(webhook);
  }
  return left;
}
