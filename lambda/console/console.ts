import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { appList, appPage, isLinkAction, linkAction, notFound, sessionAction } from './actions.ts';
import { CONSOLE_CSS, CONSOLE_JS, escapeHtml } from './html.ts';
import { type ConsoleDependencies, type ConsoleRequest, parseRequest, SECURITY_HEADERS } from './request.ts';
import { completeSignIn, requestSignIn, signInConfirmPage, signInPage, signOut } from './signIn.ts';

export type { ConsoleDependencies } from './request.ts';

const ASSETS: Readonly<Record<string, { type: string; body: string }>> = {
  'console.css': { type: 'text/css; charset=utf-8', body: CONSOLE_CSS },
  'console.js': { type: 'text/javascript; charset=utf-8', body: CONSOLE_JS },
};

async function route(request: ConsoleRequest): Promise<APIGatewayProxyResult> {
  const { method, segments } = request;
  const [first, second, third, ...rest] = segments;
  const reads = method === 'GET' || method === 'HEAD';
  if (!reads && method !== 'POST') return methodNotAllowed(request);
  if (rest.length > 0) return notFound(request);
  if (first === undefined) return reads ? appList(request) : methodNotAllowed(request);
  if (first === 'assets' && reads && second && !third && ASSETS[second]) {
    const asset = ASSETS[second];
    return {
      statusCode: 200,
      headers: { ...SECURITY_HEADERS, 'content-type': asset.type, 'cache-control': 'max-age=300' },
      body: method === 'HEAD' ? '' : asset.body,
    };
  }
  if (first === 'sign-in' && !third) {
    if (!second) return reads ? signInPage(request) : requestSignIn(request);
    return reads ? signInConfirmPage(request, second) : completeSignIn(request, second);
  }
  if (first === 'sign-out' && !second) return reads ? signInPage(request) : signOut(request);
  if (first === 'link' && second && !third) return linkAction(request, second);
  if (first === 'apps' && second) {
    if (!third) return reads ? appPage(request, second) : methodNotAllowed(request);
    if (isLinkAction(third)) return sessionAction(request, second, third);
  }
  return notFound(request);
}

async function methodNotAllowed(request: ConsoleRequest): Promise<APIGatewayProxyResult> {
  const answer = await notFound(request);
  return { ...answer, statusCode: 405, headers: { ...answer.headers, allow: 'GET, HEAD, POST' } };
}

/**
 * Answers one request to the Rotor Console (an API Gateway REST proxy event): the admins' sign-in by
 * emailed link, their apps, and their actions through the operator API. GET and HEAD change nothing.
 * Never throws: an unexpected failure is a page that names the request id, and the log line says why.
 */
export async function handleConsoleRequest(
  event: APIGatewayProxyEvent,
  deps: ConsoleDependencies,
): Promise<APIGatewayProxyResult> {
  const started = Date.now();
  let request: ConsoleRequest | undefined;
  let result: APIGatewayProxyResult;
  try {
    request = await parseRequest(event, deps);
    result = await route(request);
  } catch (error) {
    const requestId = event.requestContext?.requestId ?? 'unknown';
    deps.logger.error('console request failed', { requestId, errorName: (error as Error).name });
    result = {
      statusCode: 500,
      headers: { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8' },
      body: `<!DOCTYPE html><html><body><p>Rotor could not answer this request because of an internal error; it is logged under request id ${escapeHtml(requestId)}.</p></body></html>`,
    };
  }
  // The path may hold a link's secret: the log names only the route's first segment.
  deps.logger.info(`${event.httpMethod} /${request?.segments[0] ?? ''} ${result.statusCode}`, {
    requestId: event.requestContext?.requestId,
    status: result.statusCode,
    ms: Date.now() - started,
  });
  return result;
}
