/**
 * The operator API's routes: the one list that the handler dispatches on, the CDK construct builds the
 * REST API's resources and methods from, and the local API server matches requests against. Plain
 * data, no AWS SDK, so all three can import it.
 */

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/**
 * The request header that makes a change request idempotent: its replays by the same caller get the
 * first answer for 24 hours, and the same key with another request is refused (409).
 */
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

/** What an idempotency key may be: 1 to 128 letters, digits, "_", "-", ":" or "." (a UUID fits). */
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_\-:.]{1,128}$/;

export type RouteName =
  | 'listApps'
  | 'addApp'
  | 'showApp'
  | 'updateApp'
  | 'removeApp'
  | 'startRotation'
  | 'listRotations'
  | 'showRotation'
  | 'expireNow'
  | 'cancelRotation'
  | 'submitToken'
  | 'addWebhook'
  | 'removeWebhook'
  | 'listAudit';

export interface Route {
  readonly name: RouteName;
  readonly method: HttpMethod;
  /** The API Gateway resource path, with `{parameter}` segments. */
  readonly resource: string;
  /** Whether the route changes anything; those are audited, and the read-only policy leaves them out. */
  readonly changes: boolean;
}

export const ROUTES: readonly Route[] = [
  { name: 'listApps', method: 'GET', resource: '/apps', changes: false },
  { name: 'addApp', method: 'POST', resource: '/apps', changes: true },
  { name: 'showApp', method: 'GET', resource: '/apps/{appId}', changes: false },
  { name: 'updateApp', method: 'PATCH', resource: '/apps/{appId}', changes: true },
  { name: 'removeApp', method: 'DELETE', resource: '/apps/{appId}', changes: true },
  { name: 'listRotations', method: 'GET', resource: '/apps/{appId}/rotations', changes: false },
  { name: 'startRotation', method: 'POST', resource: '/apps/{appId}/rotations', changes: true },
  { name: 'showRotation', method: 'GET', resource: '/apps/{appId}/rotations/{rotationId}', changes: false },
  { name: 'expireNow', method: 'POST', resource: '/apps/{appId}/expire-now', changes: true },
  { name: 'cancelRotation', method: 'POST', resource: '/apps/{appId}/cancel', changes: true },
  { name: 'submitToken', method: 'POST', resource: '/apps/{appId}/submit', changes: true },
  { name: 'addWebhook', method: 'POST', resource: '/apps/{appId}/webhooks', changes: true },
  {
    name: 'removeWebhook',
    method: 'DELETE',
    resource: '/apps/{appId}/webhooks/{webhookId}',
    changes: true,
  },
  { name: 'listAudit', method: 'GET', resource: '/audit', changes: false },
];

/** The stage the API is deployed to; its URL ends in it. */
export const API_STAGE = 'v1';

/** The names of the stack outputs the CLI reads (CloudFormation DescribeStacks). */
export const STACK_OUTPUTS = {
  apiUrl: 'OperatorApiUrl',
  operatorPolicy: 'OperatorPolicyArn',
  readOnlyPolicy: 'ReadOnlyPolicyArn',
  consoleUrl: 'ConsoleUrl',
  alarmTopicArn: 'AlarmTopicArn',
} as const;

export interface RouteMatch {
  readonly route?: Route;
  /** The resource template that matched the path (regardless of method), if any. */
  readonly resource?: string;
  readonly pathParameters: Record<string, string>;
  /** The methods the matched resource has. */
  readonly allowedMethods: readonly HttpMethod[];
}

/**
 * Finds the route of a request path (without the stage) and method. Path segments are matched
 * literally or as one `{parameter}` each, URL-decoded; a segment that does not decode matches nothing.
 *
 * @example
 * matchRoute('POST', '/apps/billing-api/rotations').route?.name; // 'startRotation'
 */
export function matchRoute(method: string, path: string): RouteMatch {
  const segments = path.split('/').filter((segment) => segment !== '');
  for (const resource of new Set(ROUTES.map((route) => route.resource))) {
    const pattern = resource.split('/').filter((segment) => segment !== '');
    if (pattern.length !== segments.length) continue;
    const pathParameters: Record<string, string> = {};
    const matches = pattern.every((part, i) => {
      const segment = segments[i] as string;
      if (!part.startsWith('{')) return part === segment;
      try {
        pathParameters[part.slice(1, -1)] = decodeURIComponent(segment);
        return true;
      } catch {
        return false;
      }
    });
    if (!matches) continue;
    const routes = ROUTES.filter((route) => route.resource === resource);
    return {
      route: routes.find((route) => route.method === method),
      resource,
      pathParameters,
      allowedMethods: routes.map((route) => route.method),
    };
  }
  return { pathParameters: {}, allowedMethods: [] };
}
