import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeApp } from '../../cli/commands/apps.ts';
import type { AppView } from '../../lambda/contract/views.ts';
import { verifyDeliveries } from '../../local/webhooks/receiver.ts';
import {
  emailsAbout,
  enroll,
  eventually,
  historyText,
  registryText,
  rotate,
  tokenOf,
} from '../support/localSystem.ts';
import { type ApiTestSystem, isOneSentence, startApiTestSystem } from '../support/operatorApi.ts';

/**
 * Webhooks on the whole local system: added through the operator API, delivered by their own workflow
 * (whose role may read webhook secrets only), retried with backoff. The grace period's waits take no
 * time here, and a retry of a delivery waits 100 ms instead of 30 s and more.
 */
let env: ApiTestSystem;

beforeAll(async () => {
  env = await startApiTestSystem({
    waitTimeOverrides: { WaitForNotice: 0, WaitForExpiry: 0 },
    retryIntervalOverrides: { CheckPromotion: 50, DeliverWebhook: 100 },
  });
});

afterAll(async () => {
  await env?.close();
});

async function addWebhook(appId: string, hook: string, kind = 'json') {
  const answer = await env.call('POST', `/apps/${appId}/webhooks`, {
    body: { url: env.system.webhooks.hookUrl(hook), kind },
  });
  expect(answer.status, answer.text).toBe(201);
  return answer.body as { webhook: { webhookId: string; secretArn: string }; message: string };
}

const executionsOfWebhooks = () =>
  env.system.stepFunctions
    .executions()
    .filter((execution) => execution.stateMachineArn === env.system.webhookStateMachineArn);

describe('Webhooks', () => {
  it('keeps the URL and signing secret in a secret of their own, never in the registry, the answer or an execution', async () => {
    // Prepare
    const app = await enroll(env.system);
    const hook = `${app.appId}-kept`;

    // Act
    const added = await addWebhook(app.appId, hook);
    const { executionArn } = await rotate(env.system, app, 'expire-now');
    await eventually(async () => env.system.webhooks.deliveries(hook).length === 1);

    // Assess
    expect(isOneSentence(added.message)).toBe(true);
    expect(added.webhook.secretArn).toContain(
      `:secret:rotor/webhooks/${app.appId}/${added.webhook.webhookId}`,
    );
    const secret = await env.system.secretsManager.send(
      new GetSecretValueCommand({ SecretId: added.webhook.secretArn }),
    );
    const { url, signingSecret } = JSON.parse(secret.SecretString ?? '{}') as Record<string, string>;
    expect(url).toBe(env.system.webhooks.hookUrl(hook));
    expect(signingSecret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const shown = (await env.call('GET', `/apps/${app.appId}`)).body as { app: AppView };
    expect(shown.app.webhooks).toEqual([
      expect.objectContaining({ kind: 'json', host: new URL(url as string).host }),
    ]);
    const token = await tokenOf(env.system, app.secretArn, app.currentVersionId);
    const deliveryHistory = await Promise.all(
      executionsOfWebhooks().map((execution) => historyText(env.system, execution.executionArn)),
    );
    for (const text of [
      JSON.stringify(added),
      JSON.stringify(shown),
      await registryText(env.system),
      await historyText(env.system, executionArn),
      ...deliveryHistory,
      ...env.system.webhooks.deliveries(hook).map((delivery) => delivery.body),
    ]) {
      expect(text).not.toContain(url);
      expect(text).not.toContain(signingSecret);
      expect(text).not.toContain(token);
    }
    const [verdict] = verifyDeliveries(env.system.webhooks.deliveries(hook), signingSecret as string);
    expect(verdict).toEqual({ accepted: true });
  });

  it('a webhook that answers 500 forever does not delay the emails or the state; each delivery gives up, recorded and audited', async () => {
    // Prepare: the receiver holds every request unanswered until the test lets it answer 500.
    const app = await enroll(env.system);
    const hook = `${app.appId}-down`;
    env.system.webhooks.answer(hook, 'hang');
    const { webhook } = await addWebhook(app.appId, hook);

    // Act
    const { executionArn } = await rotate(env.system, app, 'expire-later', { graceSeconds: 2 * 86_400 });
    const rotation = await env.system.stepFunctions.whenStopped(executionArn);
    const deliveries = () =>
      executionsOfWebhooks().filter((execution) => execution.input.includes(`"appId":"${app.appId}"`));
    const whileHeld = deliveries().map((execution) => execution.status);
    env.system.webhooks.answer(hook, 500);
    const stopped = await Promise.all(
      deliveries().map((execution) => env.system.stepFunctions.whenStopped(execution.executionArn)),
    );

    // Assess: the rotation ran to its end while the delivery of each of its events was still waiting.
    expect(rotation.status).toBe('SUCCEEDED');
    expect(whileHeld).toEqual(['RUNNING', 'RUNNING', 'RUNNING']);
    expect((await env.system.registry.apps.getApp(app.appId)).state).toBe('ACTIVE');
    expect((await emailsAbout(env.system, app.appId)).map((mail) => mail.event)).toEqual([
      'ROTATION_INITIATED',
      'ROTATION_INITIATED',
      'TOKEN_EXPIRES_IN_24H',
      'TOKEN_EXPIRES_IN_24H',
      'ROTATION_COMPLETED',
      'ROTATION_COMPLETED',
    ]);
    // Then each delivery answered 500 on its first attempt and its seven retries, and gave up.
    for (const delivery of stopped) {
      expect(delivery.status).toBe('FAILED');
      expect(delivery.error).toBe('WebhookUndelivered');
    }
    expect(env.system.webhooks.deliveries(hook).map((delivery) => delivery.status)).toEqual(
      Array(3 * 8).fill(500),
    );
    const shown = (await env.call('GET', `/apps/${app.appId}`)).body as { app: AppView };
    expect(shown.app.undeliveredEmails?.map((entry) => `${entry.event} ${entry.recipient}`).sort()).toEqual(
      ['ROTATION_COMPLETED', 'ROTATION_INITIATED', 'TOKEN_EXPIRES_IN_24H'].map(
        (event) => `${event} webhook:${webhook.webhookId}`,
      ),
    );
    const printed = describeApp(shown.app, new Date(), (_colour, text) => text);
    expect(printed).toMatch(
      new RegExp(`webhooks +${webhook.webhookId} json to 127\\.0\\.0\\.1:\\d+ \\(URL in secret arn:`),
    );
    expect(printed).toMatch(
      /TOKEN_EXPIRES_IN_24H to webhook:wh-\w+, .*: gave up after the workflow's retries/,
    );
    expect(printed).toContain('These were refused for good (a webhook: after its retries)');
    const audit = (await env.call('GET', '/audit', { query: { app: app.appId } })).body as {
      events: { action: string; outcome: string; detail: string }[];
    };
    const failures = audit.events.filter((event) => event.action === 'webhook.deliver');
    expect(failures).toHaveLength(3);
    expect(
      failures.every((event) => event.outcome === 'failed' && event.detail.includes('answered 500')),
    ).toBe(true);
  });

  it('refuses a bad webhook URL with one line that does not echo it, and changes nothing', async () => {
    // Prepare
    const app = await enroll(env.system);
    const bad = 'http://hooks.example.com/services/T000/B000/secretpart';

    // Act
    const answer = await env.call('POST', `/apps/${app.appId}/webhooks`, { body: { url: bad } });

    // Assess
    expect(answer.status).toBe(400);
    expect(isOneSentence(answer.body.message)).toBe(true);
    expect(answer.body.message).toContain('https://');
    expect(answer.text).not.toContain('secretpart');
    expect((await env.system.registry.apps.getApp(app.appId)).webhooks).toBeUndefined();
  });

  it('removes a webhook: later events do not reach it, and its secret is scheduled for deletion', async () => {
    // Prepare
    const app = await enroll(env.system);
    const hook = `${app.appId}-gone`;
    const { webhook } = await addWebhook(app.appId, hook);

    // Act
    const removed = await env.call('DELETE', `/apps/${app.appId}/webhooks/${webhook.webhookId}`);
    const { executionArn } = await rotate(env.system, app, 'expire-now');
    await env.system.stepFunctions.whenStopped(executionArn);

    // Assess
    expect(removed.status).toBe(200);
    expect(removed.body.message).toContain('deleted after 7 days');
    await expect(
      env.system.secretsManager.send(new GetSecretValueCommand({ SecretId: webhook.secretArn })),
    ).rejects.toThrow(/marked for deletion|scheduled for deletion/);
    expect(env.system.webhooks.deliveries(hook)).toEqual([]);
    const again = await env.call('DELETE', `/apps/${app.appId}/webhooks/${webhook.webhookId}`);
    expect(again.status).toBe(404);
  });
});
