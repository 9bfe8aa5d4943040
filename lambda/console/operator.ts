import type { APIGatewayProxyEvent } from 'aws-lambda';
import { consoleActor } from '../contract/console.ts';
import { APP_ID_PATTERN } from '../contract/ids.ts';
import { IDEMPOTENCY_HEADER } from '../contract/routes.ts';
import type { AppRecord } from '../store/model.ts';
import type { ConsoleRequest } from './request.ts';

/** The operator API's answer to one of the console's calls. */
export interface OperatorAnswer<T = Record<string, unknown>> {
  readonly status: number;
  readonly body: T & { readonly message?: string };
}

/**
 * Calls the operator API's handler in this process, as the admin (`anna@example.com (console)`): the
 * console's reads and actions are the operator API's, with its validation, its one-sentence errors
 * and its audit events. An idempotency key makes a repeated POST answer as the first did.
 */
export async function callOperator<T = Record<string, unknown>>(
  request: ConsoleRequest,
  email: string,
  call: {
    method: 'GET' | 'POST';
    path: string;
    body?: unknown;
    query?: Record<string, string>;
    key?: string;
  },
): Promise<OperatorAnswer<T>> {
  const actor = consoleActor(email);
  const event = {
    httpMethod: call.method,
    path: call.path,
    resource: null,
    headers: call.key ? { [IDEMPOTENCY_HEADER]: call.key } : {},
    multiValueHeaders: {},
    queryStringParameters: call.query ?? null,
    pathParameters: null,
    body: call.body === undefined ? null : JSON.stringify(call.body),
    isBase64Encoded: false,
    requestContext: { requestId: request.requestId, identity: { caller: actor, userArn: actor } },
  } as unknown as APIGatewayProxyEvent;
  const result = await request.deps.operator(event);
  return { status: result.statusCode, body: JSON.parse(result.body || '{}') as OperatorAnswer<T>['body'] };
}

/** Whether an address is one of the app's admins (addresses compare without case). */
export function isAdminOf(app: AppRecord | undefined, email: string): app is AppRecord {
  return Boolean(app?.admins.some((admin) => admin.email.toLowerCase() === email.toLowerCase()));
}

/** The apps an address administers: the recorded ones whose own admin list still names it. */
export async function appsOf(request: ConsoleRequest, email: string): Promise<AppRecord[]> {
  const apps: AppRecord[] = [];
  for (const appId of await request.deps.registry.console.appIdsOf(email)) {
    const app = await request.deps.registry.apps.findApp(appId);
    if (isAdminOf(app, email)) apps.push(app);
  }
  return apps;
}

/** The signed-in admin's app, or undefined when it does not exist or is not theirs (both a 404). */
export async function ownApp(request: ConsoleRequest, appId: string): Promise<AppRecord | undefined> {
  const email = request.session?.email;
  if (!email || !APP_ID_PATTERN.test(appId)) return undefined;
  const app = await request.deps.registry.apps.findApp(appId);
  return isAdminOf(app, email) ? app : undefined;
}
