import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  inferWebhookKind,
  signWebhook,
  verifyWebhookSignature,
  webhookUrlProblem,
} from '../../lambda/contract/webhooks.ts';
import { slackMessage, teamsMessage } from '../../lambda/notifications/renderChat.ts';
import { notificationContent } from '../../lambda/notifications/renderEmail.ts';
import { verifyDeliveries, type WebhookDelivery } from '../../local/webhooks/receiver.ts';

const SECRET = 'whsec_unit-test-signing-secret-0000000000000000';
const AT = 1_796_000_000;
const BODY = '{"id":"0123456789abcdef0123456789abcdef","detail-type":"Rotor Rotation Initiated","detail":{}}';

function delivery(overrides: Partial<WebhookDelivery> = {}): WebhookDelivery {
  return {
    hook: 'ops',
    receivedAt: new Date(AT * 1000).toISOString(),
    deliveryId: '0123456789abcdef0123456789abcdef',
    signature: signWebhook(SECRET, AT, BODY),
    body: BODY,
    status: 200,
    ...overrides,
  };
}

describe('Webhook signatures (Rotor-Signature: t=...,v1=...)', () => {
  it('a receiver accepts a fresh delivery signed with its secret', () => {
    expect(verifyDeliveries([delivery()], SECRET)).toEqual([{ accepted: true }]);
  });

  it('refuses a tampered body, another secret, and a malformed header', () => {
    const tampered = delivery({ body: BODY.replace('Initiated', 'Cancelled') });
    expect(verifyDeliveries([tampered], SECRET)).toEqual([{ accepted: false, reason: 'mismatch' }]);
    expect(verifyDeliveries([delivery()], `${SECRET}x`)).toEqual([{ accepted: false, reason: 'mismatch' }]);
    for (const header of [undefined, '', 't=abc,v1=00', `v1=${'0'.repeat(64)}`, `t=${AT}`]) {
      expect(verifyWebhookSignature({ header, body: BODY, signingSecret: SECRET, nowSeconds: AT })).toEqual({
        ok: false,
        reason: 'malformed',
      });
    }
  });

  it('refuses a replay: the same delivery again, or an old one after the 5-minute window', () => {
    const original = delivery();
    expect(verifyDeliveries([original, original], SECRET)).toEqual([
      { accepted: true },
      { accepted: false, reason: 'replayed' },
    ]);
    const later = delivery({ receivedAt: new Date((AT + 301) * 1000).toISOString() });
    expect(verifyDeliveries([later], SECRET)).toEqual([{ accepted: false, reason: 'stale' }]);
    // Re-signing needs the secret: a replayer who moves the timestamp breaks the signature.
    const moved = delivery({ signature: original.signature?.replace(`t=${AT}`, `t=${AT + 301}`) });
    expect(verifyDeliveries([moved], SECRET, AT + 301)).toEqual([{ accepted: false, reason: 'mismatch' }]);
  });
});

describe("The README's receiver check", () => {
  it('accepts a delivery of Rotor, refuses a changed body, another secret, a repeat and an old one', async () => {
    // Prepare: the code block under <!-- receiver-check --> in the README, as a module.
    const readme = readFileSync(path.join(import.meta.dirname, '../../README.md'), 'utf8');
    const block = /<!-- receiver-check -->\n```js\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(block.trim().split('\n').length).toBeLessThanOrEqual(10);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'rotor-receiver-')), 'check.mjs');
    writeFileSync(file, block);
    const { isFromRotor } = (await import(pathToFileURL(file).href)) as {
      isFromRotor: (headers: Record<string, string>, body: string, secret: string, now?: number) => boolean;
    };
    const headers = (signature: string, id = 'delivery-1') => ({
      'rotor-signature': signature,
      'rotor-delivery': id,
    });
    const signature = signWebhook(SECRET, AT, BODY);

    // Act and assess
    expect(isFromRotor(headers(signature), BODY.replace('Initiated', 'Cancelled'), SECRET, AT)).toBe(false);
    expect(isFromRotor(headers(signature), BODY, `${SECRET}x`, AT)).toBe(false);
    expect(isFromRotor(headers(signature), BODY, SECRET, AT + 301)).toBe(false);
    expect(isFromRotor({}, BODY, SECRET, AT)).toBe(false);
    expect(isFromRotor(headers(signature), BODY, SECRET, AT + 10)).toBe(true);
    expect(isFromRotor(headers(signature), BODY, SECRET, AT + 20)).toBe(false);
  });
});

describe('Webhook URLs', () => {
  it('allows https, and http only to this machine', () => {
    expect(webhookUrlProblem('https://hooks.slack.com/services/T0/B0/x')).toBeUndefined();
    expect(webhookUrlProblem('http://127.0.0.1:8080/hooks/ops')).toBeUndefined();
    expect(webhookUrlProblem('http://example.com/hook')).toMatch(/^uses http; it must be an https:\/\//);
    expect(webhookUrlProblem('https://user:pw@example.com/')).toMatch(/^has a user name or password/);
    expect(webhookUrlProblem('not a url')).toMatch(/^is not a URL/);
    expect(webhookUrlProblem(`https://example.com/${'a'.repeat(2000)}`)).toMatch(/^is longer than 2000/);
  });

  it('takes the kind from a Slack or Microsoft host, else the signed JSON', () => {
    expect(inferWebhookKind('https://hooks.slack.com/services/T0/B0/x')).toBe('slack');
    expect(inferWebhookKind('https://contoso.webhook.office.com/webhookb2/x')).toBe('teams');
    expect(inferWebhookKind('https://prod-01.westeurope.logic.azure.com/workflows/x')).toBe('teams');
    expect(inferWebhookKind('https://ops.example.com/rotor')).toBe('json');
  });
});

describe('Chat messages', () => {
  const context = {
    event: 'ROTATION_INITIATED' as const,
    audience: 'admin' as const,
    appId: 'billing-api',
    timeZone: 'Europe/Berlin',
    occurredAt: '2026-12-05T13:30:00Z',
    expiresAt: '2026-12-12T13:30:00Z',
    rotationId: 'r-1',
    mode: 'expire-later' as const,
    trigger: 'operator' as const,
    startedBy: 'arn:aws:iam::123456789012:user/alice',
    reason: 'a <script> & more',
    graceSeconds: 7 * 86_400,
  };

  it('Slack: the headline in the app language, the next commands, escaped text, the console button', () => {
    const german = slackMessage({
      content: notificationContent({ ...context, locale: 'de' }),
      openLabel: 'In Rotor öffnen',
      openUrl: 'https://console.example/apps/billing-api',
    });
    const text = JSON.stringify(german);
    expect(german.text).toBe('[Rotor] billing-api: Eine Token-Rotation wurde initiiert');
    expect(text).toContain('`rotor expire-now billing-api`');
    expect(text).toContain('`rotor cancel billing-api`');
    expect(text).toContain('a &lt;script&gt; &amp; more');
    expect(text).not.toContain('<script>');
    expect(text).toContain('"url":"https://console.example/apps/billing-api"');
    const english = slackMessage({
      content: notificationContent({ ...context, locale: 'en' }),
      openLabel: 'Open',
    });
    expect(JSON.stringify(english)).not.toContain('"type":"actions"');
    expect(english.text).toMatch(/^\[Rotor\] billing-api: /);
    expect(english.text).not.toBe(german.text);
  });

  it('Teams: an Adaptive Card with the same words, the commands monospaced, the facts as a fact set', () => {
    const card = teamsMessage({
      content: notificationContent({ ...context, locale: 'en' }),
      openLabel: 'Open in Rotor',
      openUrl: 'https://console.example/apps/billing-api',
    });
    const text = JSON.stringify(card);
    expect(text).toContain('"contentType":"application/vnd.microsoft.card.adaptive"');
    expect(text).toContain(
      '{"type":"TextBlock","text":"rotor cancel billing-api","wrap":true,"fontType":"Monospace"}',
    );
    expect(text).toContain('"type":"FactSet"');
    expect(text).toContain('"type":"Action.OpenUrl","title":"Open in Rotor"');
  });
});
