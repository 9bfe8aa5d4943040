/**
 * Rotor's webhooks: what an app's webhook may be, where its URL and signing secret live (a Secrets
 * Manager secret under the deployment's prefix, never DynamoDB), and the signature of a `json`
 * delivery (`Rotor-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`), with the check a
 * receiver makes. Plain data and node:crypto, no AWS SDK: the CLI, the API, the deliverer and the
 * local receiver all import it.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  type infer as Infer,
  iso,
  maxLength,
  object,
  optional,
  record,
  regex,
  string,
  unknown,
  enum as zEnum,
} from 'zod/mini';
import { APP_ID_PATTERN, ROTATION_ID_PATTERN } from './ids.ts';
import { ROTOR_EVENTS } from './notificationEvents.ts';
import type { RotorEventDetail } from './rotorEvents.ts';

/** How a webhook wants its message: Slack's incoming webhook, a Teams workflow, or the signed event. */
export const WEBHOOK_KINDS = ['json', 'slack', 'teams'] as const;
export type WebhookKind = (typeof WEBHOOK_KINDS)[number];

/** At most this many webhooks per app. */
export const MAX_WEBHOOKS_PER_APP = 5;

/** The header with a `json` delivery's signature. */
export const SIGNATURE_HEADER = 'Rotor-Signature';
/** The header with the delivery's id: the same on every attempt, so a receiver can drop a repeat. */
export const DELIVERY_HEADER = 'Rotor-Delivery';
/** The header with the event's detail-type. */
export const EVENT_HEADER = 'Rotor-Event';

/** How old a signature's timestamp a receiver accepts by default (Rotor signs each attempt anew). */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** Where a deployment keeps its webhooks' secrets: `<secretNamePrefix>webhooks/<app>/<webhook id>`. */
export const WEBHOOK_SECRET_FOLDER = 'webhooks/';

export function webhookSecretPrefix(secretNamePrefix: string): string {
  return `${secretNamePrefix}${WEBHOOK_SECRET_FOLDER}`;
}

export function webhookSecretName(secretNamePrefix: string, appId: string, webhookId: string): string {
  return `${webhookSecretPrefix(secretNamePrefix)}${appId}/${webhookId}`;
}

/** What a webhook's secret holds (its SecretString, as JSON). */
export interface WebhookSecret {
  readonly url: string;
  /** `json` webhooks: the key of their signatures, `whsec_` and 32 random bytes in base64url. */
  readonly signingSecret?: string;
}

export function newWebhookId(): string {
  return `wh-${randomBytes(5).toString('hex')}`;
}

export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Why a webhook URL is refused, or undefined when it may be used: an absolute https:// URL of at most
 * 2,000 characters without credentials (http:// only to this machine, for local mode's receiver).
 */
export function webhookUrlProblem(url: string): string | undefined {
  const allowed = 'an https:// URL of at most 2000 characters (http:// only to 127.0.0.1 or localhost)';
  if (url.length > 2000) return `is longer than 2000 characters; it must be ${allowed}`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `is not a URL; it must be ${allowed}`;
  }
  if (parsed.username || parsed.password) return `has a user name or password in it; it must be ${allowed}`;
  if (parsed.protocol === 'https:') return undefined;
  if (parsed.protocol === 'http:' && LOOPBACK_HOSTS.has(parsed.hostname)) return undefined;
  return `uses ${parsed.protocol.replace(':', '')}; it must be ${allowed}`;
}

/** The kind a URL's host suggests: Slack's and Microsoft's webhook hosts, else the signed event. */
export function inferWebhookKind(url: string): WebhookKind {
  const host = new URL(url).hostname;
  if (host === 'hooks.slack.com') return 'slack';
  if (/(^|\.)webhook\.office\.com$|(^|\.)logic\.azure\.com$|(^|\.)powerplatform\.com$/.test(host)) {
    return 'teams';
  }
  return 'json';
}

function signatureOf(signingSecret: string, timestamp: number, body: string): string {
  return createHmac('sha256', signingSecret).update(`${timestamp}.${body}`).digest('hex');
}

/**
 * The `Rotor-Signature` header of a delivery made at `timestamp` (unix seconds).
 *
 * @example
 * signWebhook('whsec_…', 1764680000, '{"id":"…"}'); // 't=1764680000,v1=5f0c…'
 */
export function signWebhook(signingSecret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${signatureOf(signingSecret, timestamp, body)}`;
}

export type SignatureVerdict =
  | { readonly ok: true; readonly timestamp: number }
  | { readonly ok: false; readonly reason: 'malformed' | 'stale' | 'mismatch' };

/**
 * A receiver's check of a delivery: the header parses, its timestamp is within `toleranceSeconds` of
 * `nowSeconds` (a replay of an old delivery is refused), and one of its `v1` signatures is the HMAC of
 * the timestamp and the raw body, compared in constant time (a changed body is refused).
 */
export function verifyWebhookSignature(input: {
  readonly header: string | undefined;
  readonly body: string;
  readonly signingSecret: string;
  readonly nowSeconds: number;
  readonly toleranceSeconds?: number;
}): SignatureVerdict {
  const parts = (input.header ?? '').split(',').map((part) => part.trim().split('='));
  const timestamp = Number(parts.find(([key]) => key === 't')?.[1]);
  const signatures = parts.filter(([key, value]) => key === 'v1' && /^[0-9a-f]{64}$/.test(value ?? ''));
  if (!Number.isSafeInteger(timestamp) || signatures.length === 0) return { ok: false, reason: 'malformed' };
  if (Math.abs(input.nowSeconds - timestamp) > (input.toleranceSeconds ?? SIGNATURE_TOLERANCE_SECONDS)) {
    return { ok: false, reason: 'stale' };
  }
  const expected = Buffer.from(signatureOf(input.signingSecret, timestamp, input.body), 'hex');
  const matches = signatures.some(([, value]) =>
    timingSafeEqual(Buffer.from(value as string, 'hex'), expected),
  );
  return matches ? { ok: true, timestamp } : { ok: false, reason: 'mismatch' };
}

/**
 * The input of one delivery execution (and of each of its attempts): ids, times and the event's detail
 * as EventBridge got it. Never the URL or the signing secret, which stay in Secrets Manager.
 */
export const webhookDeliveryInput = object({
  appId: string().check(regex(APP_ID_PATTERN)),
  webhookId: string().check(regex(/^wh-[0-9a-f]{10}$/)),
  deliveryId: string().check(regex(/^[0-9a-f]{32}$/)),
  ledgerKey: string().check(maxLength(400)),
  event: zEnum(ROTOR_EVENTS),
  rotationId: optional(string().check(regex(ROTATION_ID_PATTERN))),
  occurredAt: iso.datetime(),
  detailType: string().check(maxLength(100)),
  detail: record(string(), unknown()),
});

export type WebhookDeliveryInput = Omit<Infer<typeof webhookDeliveryInput>, 'detail'> & {
  readonly detail: RotorEventDetail;
};
