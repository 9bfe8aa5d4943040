import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeApp } from '../../cli/commands/apps.ts';
import type { AppView } from '../../lambda/contract/views.ts';
import { eventProblems } from '../../local/eventCheck.ts';
import { verifyDeliveries } from '../../local/webhooks/receiver.ts';
import {
  emailsAbout,
  enroll,
  eventually,
  historyText,
  registryText,
  rotate,
  tokenOf,
  uniqueAppId,
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
    await eventually(async () => env.system.webhooks.deliveries(hook).length === 2);

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
    // The rotation's start and its TOKEN_INVALIDATED.
    expect(verifyDeliveries(env.system.webhooks.deliveries(hook), signingSecret as string)).toEqual([
      { accepted: true },
      { accepted: true },
    ]);
  });

  it("gives a Slack and a Teams webhook the step in the app's language with the next commands, and no token", async () => {
    // Prepare: a German app (its admins' own locales do not matter to a channel).
    const app = await enroll(env.system);
    await addWebhook(app.appId, `${app.appId}-slack`, 'slack');
    await addWebhook(app.appId, `${app.appId}-teams`, 'teams');

    // Act
    const { executionArn } = await rotate(env.system, app, 'expire-now');
    await env.system.stepFunctions.whenStopped(executionArn);
    await eventually(async () => env.system.webhooks.deliveries(`${app.appId}-teams`).length === 2);
    await eventually(async () => env.system.webhooks.deliveries(`${app.appId}-slack`).length === 2);

    // Assess
    const [started, invalidated] = [...env.system.webhooks.deliveries(`${app.appId}-slack`)]
      .sort((a, b) => (a.detailType ?? '').localeCompare(b.detailType ?? ''))
      .map((delivery) => JSON.parse(delivery.body) as { text: string; blocks: unknown[] });
    expect(started?.text).toBe(`[Rotor] ${app.appId}: Eine Rotation hat begonnen`);
    expect(invalidated?.text).toMatch(new RegExp(`^\\[Rotor\\] ${app.appId}: `));
    expect(JSON.stringify(invalidated?.blocks)).toContain(`\`rotor apps show ${app.appId}\``);
    expect(JSON.stringify(invalidated?.blocks)).toContain(`${env.system.env.CONSOLE_URL}/apps/${app.appId}`);
    const teams = env.system.webhooks.deliveries(`${app.appId}-teams`).map((delivery) => delivery.body);
    expect(teams.every((body) => body.includes('application/vnd.microsoft.card.adaptive'))).toBe(true);
    const tokens = await Promise.all(
      [app.currentVersionId, (await env.system.registry.apps.getApp(app.appId)).currentVersionId].map(
        (versionId) => tokenOf(env.system, app.secretArn, versionId).catch(() => 'rtr_gone'),
      ),
    );
    for (const delivery of env.system.webhooks.deliveries().filter((d) => d.hook.startsWith(app.appId))) {
      for (const token of tokens) expect(delivery.body).not.toContain(token);
      expect(delivery.signature).toBeUndefined();
    }
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
    expect(whileHeld).toEqual(['RUNNING', 'RUNNING', 'RUNNING', 'RUNNING']);
    expect((await env.system.registry.apps.getApp(app.appId)).state).toBe('ACTIVE');
    expect((await emailsAbout(env.system, app.appId)).map((mail) => mail.event)).toEqual([
      'ROTATION_INITIATED',
      'ROTATION_INITIATED',
      'TOKEN_EXPIRES_IN_24H',
      'TOKEN_EXPIRES_IN_24H',
      'ROTATION_COMPLETED',
      'ROTATION_COMPLETED',
    ]);
    // Then each delivery (the start, and the three steps) answered 500 on its first attempt and its
    // seven retries, and gave up.
    for (const delivery of stopped) {
      expect(delivery.status).toBe('FAILED');
      expect(delivery.error).toBe('WebhookUndelivered');
    }
    expect(env.system.webhooks.deliveries(hook).map((delivery) => delivery.status)).toEqual(
      Array(4 * 8).fill(500),
    );
    const shown = (await env.call('GET', `/apps/${app.appId}`)).body as { app: AppView };
    expect(shown.app.undeliveredEmails?.map((entry) => `${entry.event} ${entry.recipient}`).sort()).toEqual(
      ['ROTATION_COMPLETED', 'ROTATION_INITIATED', 'ROTATION_STARTED', 'TOKEN_EXPIRES_IN_24H'].map(
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
    expect(failures).toHaveLength(4);
    expect(
      failures.every((event) => event.outcome === 'failed' && event.detail.includes('answered 500')),
    ).toBe(true);
  });

  it('tells other systems when an app is registered, found stuck and repaired by the sweep, and removed', async () => {
    // Prepare: an app registered through the API, with a webhook, whose rotation took its lock two hours
    // ago and never got its workflow (the API died in between).
    const appId = uniqueAppId('told');
    const added = await env.call('POST', '/apps', {
      body: { appId, secret: `rotor/${appId}`, admins: [{ email: `admin@${appId}.example` }] },
    });
    expect(added.status, added.text).toBe(201);
    const hook = `${appId}-hook`;
    await addWebhook(appId, hook);
    const app = await env.system.registry.apps.getApp(appId);
    const startedAt = new Date(Date.now() - 2 * 3_600_000).toISOString();
    await env.system.registry.apps.lockForRotation(
      appId,
      {
        rotationId: 'r-hung',
        mode: 'expire-later',
        graceSeconds: app.graceSeconds,
        trigger: 'operator',
        startedBy: 'arn:aws:iam::123456789012:user/alice',
        startedAt,
        oldVersionId: app.currentVersionId,
        newVersionId: 'b7f1c2de-0000-4000-8000-000000000001',
        oldTokenIssuedAt: app.tokenIssuedAt,
      },
      startedAt,
    );
    const sweepApp = env.system.functions.find((fn) => fn.handler === 'sweep-app');

    // Act
    const swept = (await env.system.invoke(sweepApp?.arn as string, { appId })) as { action: string };
    const execution = env.system.stepFunctions
      .executions()
      .find(
        (candidate) => candidate.input.includes('"rotationId":"r-hung"') && candidate.input.includes(appId),
      );
    expect((await env.system.stepFunctions.whenStopped(execution?.executionArn as string)).status).toBe(
      'SUCCEEDED',
    );
    const removed = await env.call('DELETE', `/apps/${appId}`);

    // Assess: the sweep started the missing workflow, which ran the rotation to its end.
    expect(swept.action).toBe('workflow-started');
    expect(removed.status, removed.text).toBe(200);
    const all = env.system.eventBridge.events().filter((event) => event.detail.appId === appId);
    const events = all.filter((event) => event.detailType.startsWith('Rotor App '));
    expect(events.map((event) => event.detailType)).toEqual([
      'Rotor App Registered',
      'Rotor App Stuck',
      'Rotor App Repaired',
      'Rotor App Removed',
    ]);
    expect(all.at(-1)?.detailType).toBe('Rotor App Removed');
    for (const event of all) expect(eventProblems(event), event.detailType).toEqual([]);
    expect(events[0]?.detail).toMatchObject({ registeredBy: 'arn:aws:iam::123456789012:user/alice' });
    expect(events[1]?.detail).toMatchObject({
      rotationId: 'r-hung',
      problems: [expect.stringContaining('has not made its new token current')],
    });
    expect(events[2]?.detail).toMatchObject({ repair: 'workflow-started', rotationId: 'r-hung' });
    // The webhook heard of everything after it was added but the removal: its secret went with the app.
    await eventually(async () =>
      env.system.webhooks
        .deliveries(hook)
        .some((delivery) => delivery.detailType === 'Rotor Rotation Completed'),
    );
    const heard = env.system.webhooks.deliveries(hook).map((delivery) => delivery.detailType);
    expect(heard).toEqual(
      expect.arrayContaining(['Rotor App Stuck', 'Rotor App Repaired', 'Rotor Rotation Completed']),
    );
    expect(heard).not.toContain('Rotor App Removed');
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
