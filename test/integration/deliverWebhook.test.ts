import { CreateSecretCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { ROTOR_METRICS } from '../../lambda/contract/metrics.ts';
import {
  newSigningSecret,
  verifyWebhookSignature,
  type WebhookDeliveryInput,
} from '../../lambda/contract/webhooks.ts';
import { deliverWebhook, giveUpWebhook } from '../../lambda/notifications/deliverWebhook.ts';
import { deliveryIdOf, webhookLedgerKey } from '../../lambda/notifications/webhookDeliveries.ts';
import { enrollTestApp, registry, secretsManager } from '../support/aws.ts';
import { emfLinesOf, testMetrics } from '../support/metrics.ts';

/** An app with one json webhook whose secret holds `url`, and one delivery of its first rotation's start. */
async function appWithWebhook() {
  const app = await enrollTestApp();
  const webhookId = `wh-${app.appId.slice(-8).padStart(10, '0')}`;
  const signingSecret = newSigningSecret();
  const url = `https://hooks.example.com/rotor/${app.appId}`;
  const created = await secretsManager.send(
    new CreateSecretCommand({
      Name: `rotor/webhooks/${app.appId}/${webhookId}`,
      SecretString: JSON.stringify({ url, signingSecret }),
    }),
  );
  await registry.apps.addWebhook(app.appId, {
    webhookId,
    kind: 'json',
    host: 'hooks.example.com',
    secretArn: created.ARN as string,
    addedAt: new Date().toISOString(),
    addedBy: 'arn:aws:iam::123456789012:user/alice',
  });
  const ledgerKey = webhookLedgerKey('r-1', 'ROTATION_FAILED', webhookId);
  const input: WebhookDeliveryInput = {
    appId: app.appId,
    webhookId,
    deliveryId: deliveryIdOf(app.appId, ledgerKey),
    ledgerKey,
    event: 'ROTATION_FAILED',
    rotationId: 'r-1',
    occurredAt: new Date().toISOString(),
    detailType: 'Rotor Rotation Failed',
    detail: {
      version: '1',
      appId: app.appId,
      issuer: 'managed',
      occurredAt: new Date().toISOString(),
      event: 'ROTATION_FAILED',
      rotationId: 'r-1',
      mode: 'expire-later',
      trigger: 'operator',
      startedBy: 'arn:aws:iam::123456789012:user/alice',
      startedAt: new Date().toISOString(),
      graceSeconds: 604_800,
      failedStep: 'testSecret',
    },
  };
  return { app, url, signingSecret, input };
}

/** A receiver that answers each POST with the next status, and keeps what it got. */
function receiver(...statuses: number[]) {
  const requests: { url: string; headers: Record<string, string>; body: string }[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    requests.push({ url, headers: init.headers as Record<string, string>, body: String(init.body) });
    return new Response('ok', { status: statuses.shift() ?? 200 });
  }) as unknown as typeof globalThis.fetch;
  return { fetch, requests };
}

const webhookCounts = (emf: readonly Record<string, unknown>[]) =>
  emf.map((line) =>
    [ROTOR_METRICS.names.webhooksDelivered, ROTOR_METRICS.names.webhooksFailed]
      .filter((name) => name in line)
      .join(),
  );

describe('Function: deliverWebhook', () => {
  it('delivers once, signed, and a repeated attempt after the delivery sends nothing and counts nothing', async () => {
    // Prepare
    const { url, signingSecret, input } = await appWithWebhook();
    const { fetch, requests } = receiver(200);
    const metrics = testMetrics();
    const deps = { registry, secretsManager, clock: () => new Date(), fetch, metrics };

    // Act
    const { result, emf } = await emfLinesOf(async () => [
      await deliverWebhook(deps, input),
      await deliverWebhook(deps, input),
    ]);

    // Assess
    expect(result).toEqual([{ status: 'delivered', httpStatus: 200 }, { status: 'delivered-before' }]);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.url).toBe(url);
    expect(requests[0]?.headers['Rotor-Delivery']).toBe(input.deliveryId);
    const verdict = verifyWebhookSignature({
      header: requests[0]?.headers['Rotor-Signature'],
      body: requests[0]?.body ?? '',
      signingSecret,
      nowSeconds: Math.floor(Date.now() / 1000),
    });
    expect(verdict.ok).toBe(true);
    expect(JSON.parse(requests[0]?.body ?? '{}')).toMatchObject({
      id: input.deliveryId,
      detail: input.detail,
    });
    expect(webhookCounts(emf)).toEqual([ROTOR_METRICS.names.webhooksDelivered]);
  });

  it('gives a 503 back for a retry, records a 410 as refused for good, and a give-up is counted once', async () => {
    // Prepare
    const { app, input } = await appWithWebhook();
    const { fetch, requests } = receiver(503, 410);
    const metrics = testMetrics();
    const deps = { registry, secretsManager, clock: () => new Date(), fetch, metrics };

    // Act
    const { result, emf } = await emfLinesOf(async () => {
      const first = await deliverWebhook(deps, input).catch((error: Error) => error.name);
      const second = await deliverWebhook(deps, input);
      const gaveUp = [await giveUpWebhook(deps, input, 'x'), await giveUpWebhook(deps, input, 'x')];
      return { first, second, gaveUp };
    });

    // Assess
    expect(result).toEqual({
      first: 'WebhookNotDelivered',
      second: { status: 'refused' },
      gaveUp: [{ recorded: false }, { recorded: false }],
    });
    expect(requests).toHaveLength(2);
    const undelivered = await registry.notifications.undelivered(app.appId);
    expect(undelivered.map((entry) => `${entry.recipient} ${entry.reason}`)).toEqual([
      `webhook:${input.webhookId} the receiver answered 410`,
    ]);
    expect(webhookCounts(emf)).toEqual([ROTOR_METRICS.names.webhooksFailed]);
  });

  it('posts nowhere when the URL in the secret was changed outside Rotor to one it would refuse', async () => {
    // Prepare
    const { app, input } = await appWithWebhook();
    const secretArn = (await registry.apps.getApp(app.appId)).webhooks?.[input.webhookId]?.secretArn;
    await secretsManager.send(
      new PutSecretValueCommand({
        SecretId: secretArn,
        SecretString: JSON.stringify({ url: 'http://internal.example/steal', signingSecret: 'whsec_x' }),
      }),
    );
    const { fetch, requests } = receiver(200);
    const deps = { registry, secretsManager, clock: () => new Date(), fetch, metrics: testMetrics() };

    // Act
    const failure = await deliverWebhook(deps, input).then(
      () => undefined,
      (error: Error) => error.message,
    );

    // Assess: no request; the error names the webhook, not the URL; the claim is free for the give-up.
    expect(requests).toEqual([]);
    expect(failure).toMatch(/^webhook wh-\w+'s secret is not the JSON Rotor wrote/);
    expect(failure).not.toContain('internal.example');
    expect(await giveUpWebhook(deps, input, 'Error: bad secret')).toEqual({ recorded: true });
  });
});
