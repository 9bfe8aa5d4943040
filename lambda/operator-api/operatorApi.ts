import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { parseDuration } from '../contract/duration.ts';
import { AppNotFoundError, ValidationError } from '../contract/errors.ts';
import { DURATION_LIMITS } from '../contract/requestRules.ts';
import { matchRoute, ROUTES, type RouteMatch } from '../contract/routes.ts';
import { addApp, removeApp, submitToken, updateApp } from './appRoutes.ts';
import { type IdempotencyStore, idempotencyKeyOf } from './idempotency.ts';
import {
  ACTIONS,
  type Answer,
  appIdOf,
  audit,
  type OperatorApiDependencies,
  type RequestContext,
  sentence,
} from './requestContext.ts';
import { auditQuery, noQuery, parseJsonBody, parseRequestPart, pathSchemas } from './requests.ts';
import { endGracePeriod, startRotation } from './rotationRoutes.ts';
import { appSummaryView, appView, auditView, rotationView, tokenVersionView } from './views.ts';
import { addWebhook, removeWebhook } from './webhookRoutes.ts';

export {
  HUBSPOT_CHECK_BUDGET_MS,
  type OperatorApiDependencies,
  type RequestLogger,
  sentence,
} from './requestContext.ts';

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

async function dispatch(context: RequestContext, event: APIGatewayProxyEvent): Promise<Answer> {
  const { route } = context;
  const query = parseRequestPart(
    'query parameter',
    route.name === 'listAudit' ? auditQuery : noQuery,
    context.query,
  );
  const takesBody = route.method === 'POST' || route.method === 'PATCH';
  const body = takesBody ? parseJsonBody(event.body, event.isBase64Encoded) : undefined;
  if (!takesBody && event.body && event.body.trim() !== '') {
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
    case 'updateApp':
      return updateApp(context, body);
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
    case 'addWebhook':
      return addWebhook(context, body);
    case 'removeWebhook':
      return removeWebhook(context);
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
