import { CancelRotateSecretCommand, UntagResourceCommand } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { APP_TAG, type AppDefaults, type Locale } from '../contract/appSettings.ts';
import { parseDuration } from '../contract/duration.ts';
import {
  AppNotFoundError,
  IdempotencyKeyReusedError,
  ValidationError,
  WorkflowNotStartedError,
} from '../contract/errors.ts';
import { HUBSPOT_GRACE_SECONDS } from '../contract/hubspotApi.ts';
import { newRotationId, requestIdForKey, rotationIdForKey } from '../contract/ids.ts';
import { DURATION_LIMITS } from '../contract/requestRules.ts';
import {
  IDEMPOTENCY_HEADER,
  matchRoute,
  ROUTES,
  type Route,
  type RouteMatch,
  type RouteName,
} from '../contract/routes.ts';
import { type EnrollDependencies, enrollHubSpotApp, enrollManagedApp } from '../domain/enrollApp.ts';
import { submitHubSpotToken } from '../domain/hubspotRotation.ts';
import { lockRotation, rollbackRotation } from '../domain/lifecycle.ts';
import { cancelRotation, expireNow, type OperatorDependencies } from '../domain/operatorActions.ts';
import { executionArnFor, startRotationWorkflow } from '../integrations/workflows.ts';
import type { AuditEvent } from '../store/model.ts';
import { type IdempotencyStore, idempotencyKeyOf } from './idempotency.ts';
import {
  addAppBody,
  auditQuery,
  emptyBody,
  noQuery,
  parseJsonBody,
  parseRequestPart,
  pathSchemas,
  startRotationBody,
  submitTokenBody,
} from './requests.ts';
import { appSummaryView, appView, auditView, rotationView, tokenVersionView } from './views.ts';

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
   * How long expire-now and cancel may ask HubSpot about a token, all attempts together, before they go
   * on with verdict `unknown`: well under API Gateway's 29 s. @default 10_000
   */
  readonly hubspotCheckBudgetMs?: number;
}

/** The time budget of the HubSpot checks of expire-now and cancel. */
export const HUBSPOT_CHECK_BUDGET_MS = 10_000;

/** An answer of the API: a status and a JSON body. */
interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

interface RequestContext {
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

const ERROR_STATUS: Record<string, number> = {
  ValidationError: 400,
  AppNotFoundError: 404,
  RotationConflictError: 409,
  TokenRejectedError: 422,
  HubSpotUnavailableError: 502,
  IdempotencyKeyReusedError: 409,
  IdempotencyKeyInProgressError: 409,
  WorkflowNotStartedError: 503,
};

/** One sentence: a capital first letter and a full stop, on one line. */
export function sentence(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  const capitalised = line.charAt(0).toUpperCase() + line.slice(1);
  return /[.!?]$/.test(capitalised) ? capitalised : `${capitalised}.`;
}

function json(status: number, body: unknown, requestId: string): APIGatewayProxyResult {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json', 'x-rotor-request-id': requestId },
    body: JSON.stringify(body),
  };
}

/** The caller's IAM ARN, as API Gateway's IAM authorization puts it into the request context. */
function callerOf(event: APIGatewayProxyEvent): string | undefined {
  const identity = event.requestContext?.identity;
  const arn = identity?.userArn ?? identity?.caller;
  return typeof arn === 'string' && arn.length > 0 ? arn : undefined;
}

/** The path below the stage: API Gateway gives it as `path` (and the matched template as `resource`). */
function pathOf(event: APIGatewayProxyEvent): string {
  return typeof event.path === 'string' ? event.path : '/';
}

function definedValues(
  record: Record<string, string | undefined> | null | undefined,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(record ?? {}).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}

/**
 * The route of a request: API Gateway names the matched resource template and gives the decoded path
 * parameters; without a known resource (a proxy in front, a test) the path is matched.
 */
function matchEvent(event: APIGatewayProxyEvent, method: string, path: string): RouteMatch {
  const routes = ROUTES.filter((route) => route.resource === event.resource);
  if (routes.length === 0) return matchRoute(method, path);
  return {
    route: routes.find((route) => route.method === method),
    resource: event.resource,
    pathParameters: definedValues(event.pathParameters),
    allowedMethods: routes.map((route) => route.method),
  };
}

const ACTIONS: Partial<Record<RouteName, string>> = {
  addApp: 'app.add',
  removeApp: 'app.remove',
  startRotation: 'rotation.start',
  expireNow: 'rotation.expire-now',
  cancelRotation: 'rotation.cancel',
  submitToken: 'rotation.submit',
};

/**
 * Answers one operator API request (an API Gateway REST proxy event). Never throws: malformed input
 * is a 400 whose message names the field and what is allowed, an unknown app a 404, a conflict a 409
 * that names the running rotation and what would end it, anything else a 500 with the request id.
 * Every change request for an app, granted or refused, leaves an audit event with the caller's ARN.
 * A change request with an `Idempotency-Key` header runs once per caller and key: its replays get the
 * first answer (see {@link IdempotencyStore}); `lambdaContext` says how long the first may still run.
 */
export async function handleOperatorRequest(
  event: APIGatewayProxyEvent,
  deps: OperatorApiDependencies,
  lambdaContext?: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<APIGatewayProxyResult> {
  const requestId = event.requestContext?.requestId ?? `local-${Date.now()}`;
  const method = event.httpMethod ?? 'GET';
  const path = pathOf(event);
  const caller = callerOf(event);
  const started = Date.now();
  let answer: Answer;
  let context: RequestContext | undefined;
  let replayed = false;
  try {
    if (!caller) {
      answer = {
        status: 403,
        body: { message: 'The request carries no IAM caller; sign it with AWS Signature Version 4.' },
      };
    } else {
      const match = matchEvent(event, method, path);
      if (!match.resource) {
        answer = {
          status: 404,
          body: {
            message: sentence(
              `There is no operator API resource ${JSON.stringify(path.slice(0, 80))}; see "rotor --help" for what the API offers`,
            ),
            code: 'NotFound',
          },
        };
      } else if (!match.route) {
        answer = {
          status: 405,
          body: {
            message: sentence(
              `The resource ${match.resource} allows ${match.allowedMethods.join(' or ')}, not ${method}`,
            ),
            code: 'MethodNotAllowed',
          },
        };
      } else {
        context = {
          deps,
          route: match.route,
          caller,
          requestId,
          pathParameters: match.pathParameters,
          query: definedValues(event.queryStringParameters),
          body: undefined,
        };
        const changing = context;
        const key = ACTIONS[match.route.name]
          ? idempotencyKeyOf(event.headers, event.multiValueHeaders)
          : undefined;
        if (key === undefined) {
          answer = await dispatch(changing, event);
        } else {
          changing.idempotencyKey = key;
          const once = await deps.idempotency.answerOnce(
            { caller, key, method, path, body: event.body ?? '' },
            () => dispatch(changing, event),
            lambdaContext && (() => lambdaContext.getRemainingTimeInMillis()),
          );
          answer = once.answer;
          replayed = once.replayed;
        }
      }
    }
  } catch (error) {
    answer = await refusal(error as Error, context, requestId, deps);
  }
  deps.logger.info(`${method} ${context?.route.resource ?? path.slice(0, 80)} ${answer.status}`, {
    requestId,
    caller,
    status: answer.status,
    ms: Date.now() - started,
    ...(replayed ? { replayed } : {}),
    ...(typeof answer.body.code === 'string' ? { code: answer.body.code } : {}),
  });
  return json(answer.status, answer.body, requestId);
}

async function refusal(
  error: Error,
  context: RequestContext | undefined,
  requestId: string,
  deps: OperatorApiDependencies,
): Promise<Answer> {
  const status = ERROR_STATUS[error.name] ?? secretsManagerStatus(error);
  const message =
    status === 500
      ? `Rotor could not finish this request because of an internal error; it is logged under request id ${requestId}`
      : error.name in ERROR_STATUS
        ? error.message
        : `Secrets Manager refused: ${error.message}`;
  if (status === 500) {
    deps.logger.error('request failed', { requestId, errorName: error.name, errorMessage: error.message });
  }
  // A malformed request or an unknown app changes nothing and is not an attempt on an app: only
  // refused (409) and failed (5xx) changes of a known app are audited.
  if (context?.appId && ACTIONS[context.route.name] && status !== 400 && status !== 404 && !context.audited) {
    await audit(context, status === 409 || status === 422 ? 'refused' : 'failed', sentence(message)).catch(
      (auditError) =>
        deps.logger.error('could not write the audit event', {
          requestId,
          errorName: (auditError as Error).name,
        }),
    );
  }
  return {
    status,
    body: { message: sentence(message), code: status === 500 ? 'InternalError' : error.name },
  };
}

/** Secrets Manager's own refusals during `apps add` (a secret scheduled for deletion, a bad name). */
function secretsManagerStatus(error: Error): number {
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 500;
  if (status !== 400) return 500;
  if (['InvalidRequestException', 'ResourceExistsException'].includes(error.name)) return 409;
  if (['InvalidParameterException', 'ValidationException'].includes(error.name)) return 400;
  return 500;
}

async function audit(
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

function appIdOf(context: RequestContext): string {
  return parseRequestPart('path parameter', pathSchemas.appId, context.pathParameters.appId, 'appId');
}

async function dispatch(context: RequestContext, event: APIGatewayProxyEvent): Promise<Answer> {
  const { route } = context;
  const query = parseRequestPart(
    'query parameter',
    route.name === 'listAudit' ? auditQuery : noQuery,
    context.query,
  );
  const body = route.method === 'POST' ? parseJsonBody(event.body, event.isBase64Encoded) : undefined;
  if (route.method !== 'POST' && event.body && event.body.trim() !== '') {
    throw new ValidationError(`A ${route.method} request takes no body`);
  }
  const { deps } = context;
  const now = deps.clock();
  switch (route.name) {
    case 'listApps': {
      const apps = await deps.registry.apps.listApps();
      return { status: 200, body: { apps: apps.map((app) => appSummaryView(app, now)) } };
    }
    case 'addApp':
      return addApp(context, body);
    case 'showApp': {
      const app = await deps.registry.apps.getApp(appIdOf(context));
      const rotation = app.activeRotation;
      const oldToken = rotation
        ? await deps.registry.tokens.findTokenVersion(app.appId, rotation.oldVersionId)
        : undefined;
      // The old token's version was read just above: its uses need no second lookup.
      const oldTokenUsage =
        oldToken && app.state === 'GRACE'
          ? await deps.registry.tokens.tokenUsageByHash(
              oldToken.tokenHash,
              new Date(now.getTime() - 24 * 3_600_000).toISOString(),
            )
          : undefined;
      const undelivered = await deps.registry.notifications.undelivered(app.appId);
      return { status: 200, body: { app: appView(app, now, oldToken, oldTokenUsage, undelivered) } };
    }
    case 'removeApp':
      return removeApp(context);
    case 'listRotations': {
      const appId = appIdOf(context);
      await deps.registry.apps.getApp(appId);
      const rotations = await deps.registry.rotations.listRotations(appId, 100);
      rotations.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
      return { status: 200, body: { appId, rotations: rotations.map(rotationView) } };
    }
    case 'showRotation': {
      const appId = appIdOf(context);
      const rotationId = parseRequestPart(
        'path parameter',
        pathSchemas.rotationId,
        context.pathParameters.rotationId,
        'rotationId',
      );
      const record = await deps.registry.rotations.findRotation(appId, rotationId);
      if (!record) {
        await deps.registry.apps.getApp(appId);
        throw new AppNotFoundError(`app "${appId}" has no rotation ${rotationId}`);
      }
      const [oldToken, newToken] = await Promise.all([
        deps.registry.tokens.findTokenVersion(appId, record.oldVersionId),
        record.newVersionId ? deps.registry.tokens.findTokenVersion(appId, record.newVersionId) : undefined,
      ]);
      return {
        status: 200,
        body: {
          rotation: {
            ...rotationView(record),
            ...(oldToken ? { oldToken: tokenVersionView(oldToken) } : {}),
            ...(newToken ? { newToken: tokenVersionView(newToken) } : {}),
          },
        },
      };
    }
    case 'startRotation':
      return startRotation(context, body);
    case 'expireNow':
    case 'cancelRotation':
      return endGracePeriod(context, body);
    case 'submitToken':
      return submitToken(context, body);
    case 'listAudit': {
      const { since, app } = query as { since?: string; app?: string };
      const sinceSeconds = parseDuration(since ?? '7d') ?? DURATION_LIMITS.since.max;
      const from = new Date(now.getTime() - sinceSeconds * 1000).toISOString();
      const { events, truncated } = await deps.registry.audit.listAudit(from, now.toISOString());
      return {
        status: 200,
        body: {
          since: from,
          until: now.toISOString(),
          events: events.filter((event) => !app || event.appId === app).map(auditView),
          truncated,
        },
      };
    }
  }
}

async function addApp(context: RequestContext, raw: unknown): Promise<Answer> {
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
  const app = hubspot
    ? await enrollHubSpotApp(
        {
          ...settings,
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
    : await enrollManagedApp(settings, deps);
  const adopted = Date.parse(app.tokenIssuedAt) < Date.parse(app.createdAt);
  await audit(context, 'succeeded', `registered with secret ${app.secretArn}`);
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

async function submitToken(context: RequestContext, raw: unknown): Promise<Answer> {
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

async function removeApp(context: RequestContext): Promise<Answer> {
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
  const message = sentence(
    `Removed app "${appId}" from Rotor; its secret ${app.secretArn} was not deleted and its current token stays valid, ${secretNote}`,
  );
  await audit(context, 'succeeded', message);
  return {
    status: 200,
    body: { appId, removed: true, secretArn: app.secretArn, secretDeleted: false, message },
  };
}

async function startRotation(context: RequestContext, raw: unknown): Promise<Answer> {
  const { deps } = context;
  const appId = appIdOf(context);
  const input = parseRequestPart('body', startRotationBody, raw);
  context.appId = appId;
  const key = context.idempotencyKey;
  const rotationId = key ? rotationIdForKey(context.caller, appId, key) : newRotationId(deps.clock());
  context.rotationId = rotationId;
  if (key) await refuseEndedRotation(deps, appId, rotationId, key);
  const request = {
    appId,
    rotationId,
    mode: input.mode,
    ...(input.grace ? { graceSeconds: parseDuration(input.grace) as number } : {}),
    trigger: 'operator' as const,
    startedBy: context.caller,
    ...(input.reason ? { reason: input.reason } : {}),
  };
  // The lock first, with one conditional write: of many concurrent requests exactly one gets here.
  const { rotation } = await lockRotation(deps, {
    ...request,
    executionArn: executionArnFor(deps.rotationStateMachineArn, rotationId),
  });
  context.audited = true;
  if (
    key &&
    (rotation.mode !== request.mode ||
      (rotation.reason ?? '') !== (request.reason ?? '') ||
      (request.graceSeconds !== undefined && rotation.graceSeconds !== request.graceSeconds))
  ) {
    throw new IdempotencyKeyReusedError(
      `${IDEMPOTENCY_HEADER} "${key}" already started rotation ${rotationId} of app "${appId}" with another mode, grace or reason; send a fresh key with each new request`,
    );
  }
  try {
    await startRotationWorkflow(deps.sfn, deps.rotationStateMachineArn, {
      ...request,
      graceSeconds: rotation.graceSeconds,
    });
  } catch (error) {
    deps.logger.error('could not start the rotation workflow', {
      requestId: context.requestId,
      rotationId,
      errorName: (error as Error).name,
    });
    context.audited = false;
    // With a key the lock stays: the retry of the same request finds it and starts the execution.
    if (key) {
      throw new WorkflowNotStartedError(
        `rotation ${rotationId} of app "${appId}" holds the lock, but its workflow could not be started (${(error as Error).name}); send the same request again with the same ${IDEMPOTENCY_HEADER} to start it`,
        { cause: error },
      );
    }
    await rollbackRotation(deps, appId, rotationId, {
      step: 'StartWorkflow',
      message: 'the rotation workflow could not be started',
    });
    // The rollback queued ROTATION_FAILED; if it cannot go out now, the sweep sends it.
    await deps.deliver(appId).catch(() => undefined);
    throw new Error('the rotation workflow could not be started; the lock was released');
  }
  return {
    status: 202,
    body: {
      rotation: {
        appId,
        rotationId,
        status: 'rotating',
        mode: rotation.mode,
        graceSeconds: rotation.graceSeconds,
        startedBy: rotation.startedBy,
        startedAt: rotation.startedAt,
        ...(rotation.reason ? { reason: rotation.reason } : {}),
        oldVersionId: rotation.oldVersionId,
        newVersionId: rotation.newVersionId,
        executionArn: rotation.executionArn,
      },
      message: sentence(
        `Started ${rotation.mode} rotation ${rotationId} of app "${appId}"; follow it with "rotor apps show ${appId}"`,
      ),
    },
  };
}

/**
 * A key names one rotation: once that rotation no longer holds the app's lock (it ended, or failed),
 * the key cannot start another (its execution name is taken for 90 days).
 */
async function refuseEndedRotation(
  deps: OperatorApiDependencies,
  appId: string,
  rotationId: string,
  key: string,
): Promise<void> {
  const earlier = await deps.registry.rotations.findRotation(appId, rotationId);
  if (!earlier) return;
  const app = await deps.registry.apps.getApp(appId);
  if (app.activeRotation?.rotationId === rotationId) return;
  throw new IdempotencyKeyReusedError(
    `${IDEMPOTENCY_HEADER} "${key}" already started rotation ${rotationId} of app "${appId}", which is ${earlier.status} now; send a fresh key to start another rotation`,
  );
}

async function endGracePeriod(context: RequestContext, raw: unknown): Promise<Answer> {
  const { deps, route } = context;
  const appId = appIdOf(context);
  parseRequestPart('body', emptyBody, raw);
  context.appId = appId;
  // HubSpot is asked within a budget well under API Gateway's 29 s; past it the verdict is unknown.
  const operator: OperatorDependencies = {
    ...deps,
    hubspotClient: {
      ...deps.hubspotClient,
      signal: AbortSignal.timeout(deps.hubspotCheckBudgetMs ?? HUBSPOT_CHECK_BUDGET_MS),
    },
  };
  const cancel = route.name === 'cancelRotation';
  // A retry of this very request (same caller and key) after a failure past the change finds it done.
  const request = context.idempotencyKey
    ? requestIdForKey(context.caller, appId, context.idempotencyKey)
    : undefined;
  const rotation = cancel
    ? await cancelRotation(operator, appId, context.caller, request)
    : await expireNow(operator, appId, context.caller, request);
  const warnings = rotation.warnings;
  context.rotationId = rotation.rotationId;
  const check = rotation.hubspotCheck;
  const inHubSpot = !check
    ? ''
    : check.verdict === 'refused'
      ? `; HubSpot refuses the ${check.token} token too`
      : `; HubSpot ${check.verdict === 'accepted' ? 'still accepts' : 'could not be asked about'} the ${check.token} token, so click "${
          cancel ? 'Cancel rotation' : 'Expire now'
        }" in HubSpot under Development > Legacy apps > the app > Auth (the admins were emailed the steps)`;
  const message = `${
    cancel
      ? `Cancelled rotation ${rotation.rotationId} of app "${appId}": the old token (version ${rotation.oldVersionId}) is current again and the new one (version ${rotation.newVersionId}) is revoked`
      : `Expired the old token of app "${appId}" now: version ${rotation.oldVersionId} is revoked and version ${rotation.newVersionId} stays current`
  }${inHubSpot}`;
  // cancelGraceRotation audits the cancel with the caller's ARN; expire-now's own event says who asked.
  if (!cancel) await audit(context, 'succeeded', sentence(message));
  return {
    status: 200,
    body: {
      appId,
      rotationId: rotation.rotationId,
      oldVersionId: rotation.oldVersionId,
      newVersionId: rotation.newVersionId,
      message: sentence(message),
      ...(warnings.length > 0 ? { warnings } : {}),
    },
  };
}
