/** What every route of the operator API shares: its dependencies, the request's context, its audit event. */
import type { AppDefaults } from '../contract/appSettings.ts';
import type { Route, RouteName } from '../contract/routes.ts';
import type { EnrollDependencies } from '../domain/enrollApp.ts';
import type { OperatorDependencies } from '../domain/operatorActions.ts';
import type { Announcement } from '../notifications/announce.ts';
import type { AuditEvent } from '../store/model.ts';
import type { IdempotencyStore } from './idempotency.ts';
import { parseRequestPart, pathSchemas } from './requests.ts';

/** A line of the request log: no bodies, no token values. */
export interface RequestLogger {
  info(message: string, extra: Record<string, unknown>): void;
  error(message: string, extra: Record<string, unknown>): void;
}

export interface OperatorApiDependencies
  extends OperatorDependencies,
    Omit<EnrollDependencies, 'registry' | 'secretsManager' | 'clock'> {
  readonly appDefaults: AppDefaults;
  readonly logger: RequestLogger;
  /** HubSpot's API for new hubspot apps that name none (`HUBSPOT_API_URL`). */
  readonly hubspotApiUrl: string;
  /** Where the first answers of requests with an `Idempotency-Key` are kept for their replays. */
  readonly idempotency: IdempotencyStore;
  /**
   * Tells other systems of a step no one is emailed about (an app registered or removed), after the change;
   * never throws (a failure is logged). Without it, no one is told.
   */
  readonly announce?: (announcement: Announcement) => Promise<void>;
  /**
   * How long expire-now and cancel may ask HubSpot about a token, all attempts together, before they go
   * on with verdict `unknown`: well under API Gateway's 29 s. @default 10_000
   */
  readonly hubspotCheckBudgetMs?: number;
}

/** The time budget of the HubSpot checks of expire-now and cancel. */
export const HUBSPOT_CHECK_BUDGET_MS = 10_000;

/** An answer of the API: a status and a JSON body. */
export interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

export interface RequestContext {
  readonly deps: OperatorApiDependencies;
  readonly route: Route;
  readonly caller: string;
  readonly requestId: string;
  readonly pathParameters: Record<string, string>;
  readonly query: Record<string, string>;
  readonly body: unknown;
  /** The app the request is about, once known; refused and failed changes are audited under it. */
  appId?: string;
  /** Set when the domain function wrote the audit event of this change itself. */
  audited?: boolean;
  rotationId?: string;
  /** The request's `Idempotency-Key`, if it is a change request that has one. */
  idempotencyKey?: string;
}

/** One sentence: a capital first letter and a full stop, on one line. */
export function sentence(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  const capitalised = line.charAt(0).toUpperCase() + line.slice(1);
  return /[.!?]$/.test(capitalised) ? capitalised : `${capitalised}.`;
}

export const ACTIONS: Partial<Record<RouteName, string>> = {
  addApp: 'app.add',
  updateApp: 'app.update',
  removeApp: 'app.remove',
  startRotation: 'rotation.start',
  expireNow: 'rotation.expire-now',
  cancelRotation: 'rotation.cancel',
  submitToken: 'rotation.submit',
  addWebhook: 'webhook.add',
  removeWebhook: 'webhook.remove',
};

export async function audit(
  context: RequestContext,
  outcome: AuditEvent['outcome'],
  detail: string,
  rotationId = context.rotationId,
) {
  await context.deps.registry.audit.appendAudit({
    at: context.deps.clock().toISOString(),
    eventId: `api-${context.requestId}`,
    appId: context.appId as string,
    action: ACTIONS[context.route.name] as string,
    actor: context.caller,
    outcome,
    ...(rotationId ? { rotationId } : {}),
    detail: detail.slice(0, 500),
  });
}

export function appIdOf(context: RequestContext): string {
  return parseRequestPart('path parameter', pathSchemas.appId, context.pathParameters.appId, 'appId');
}
