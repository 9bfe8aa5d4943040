import { timingSafeEqual } from 'node:crypto';
import type { SESClient } from '@aws-sdk/client-ses';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { Locale } from '../contract/appSettings.ts';
import { CSRF_COOKIE, SESSION_COOKIE, SESSION_SECONDS } from '../contract/console.ts';
import type { RequestLogger } from '../operator-api/requestContext.ts';
import { isConsoleSecret, newConsoleSecret, type SessionRecord } from '../store/ConsoleStore.ts';
import type { Registry } from '../store/Registry.ts';
import { CONSOLE_COPY, type ConsoleCopy, localeFromHeader } from './copy.ts';
import { CONTENT_SECURITY_POLICY, type Html, page } from './html.ts';

export interface ConsoleDependencies {
  readonly registry: Registry;
  readonly ses: SESClient;
  /** The verified SES identity the sign-in emails come from. */
  readonly senderAddress: string;
  /** The console's own URL (with its stage), for the links it emails. */
  readonly consoleUrl: string;
  readonly clock: () => Date;
  /** The operator API's handler, which the console's actions go through with the admin as the caller. */
  readonly operator: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
  readonly logger: RequestLogger;
}

/** One request to the console, parsed: never a body in a log line. */
export interface ConsoleRequest {
  readonly deps: ConsoleDependencies;
  readonly method: string;
  readonly segments: readonly string[];
  /** The stage's base path (`/console`), which every link of a page starts with. */
  readonly base: string;
  readonly cookies: Readonly<Record<string, string>>;
  readonly form: URLSearchParams;
  readonly clientIp: string;
  readonly requestId: string;
  readonly now: Date;
  readonly acceptLanguage: string | undefined;
  /** The signed-in session, if the cookie names one that lasts. */
  session?: SessionRecord;
  sessionSecret?: string;
  /** The anonymous CSRF token (cookie): set on the response when the request had none. */
  readonly anonymousCsrf: string;
  readonly newAnonymousCsrf: boolean;
}

function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  const found = Object.entries(event.headers ?? {}).find(([key]) => key.toLowerCase() === name);
  return found?.[1] ?? undefined;
}

function cookiesOf(event: APIGatewayProxyEvent): Record<string, string> {
  const lines = [
    header(event, 'cookie'),
    ...Object.entries(event.multiValueHeaders ?? {})
      .filter(([key]) => key.toLowerCase() === 'cookie')
      .flatMap(([, values]) => values ?? []),
  ];
  const cookies: Record<string, string> = {};
  for (const line of lines) {
    for (const part of (line ?? '').split(';')) {
      const at = part.indexOf('=');
      if (at > 0) cookies[part.slice(0, at).trim()] ??= part.slice(at + 1).trim();
    }
  }
  return cookies;
}

function formOf(event: APIGatewayProxyEvent): URLSearchParams {
  if (!event.body || event.httpMethod !== 'POST') return new URLSearchParams();
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  return new URLSearchParams(text.slice(0, 16_384));
}

export async function parseRequest(
  event: APIGatewayProxyEvent,
  deps: ConsoleDependencies,
): Promise<ConsoleRequest> {
  const cookies = cookiesOf(event);
  const stage = event.requestContext?.stage;
  const anonymous = cookies[CSRF_COOKIE];
  const request: ConsoleRequest = {
    deps,
    method: (event.httpMethod ?? 'GET').toUpperCase(),
    segments: (event.path ?? '/').split('/').filter((segment) => segment !== ''),
    base: stage ? `/${stage}` : '',
    cookies,
    form: formOf(event),
    clientIp: event.requestContext?.identity?.sourceIp ?? 'unknown',
    requestId: event.requestContext?.requestId ?? `local-${Date.now()}`,
    now: deps.clock(),
    acceptLanguage: header(event, 'accept-language'),
    anonymousCsrf: isConsoleSecret(anonymous) ? anonymous : newConsoleSecret(),
    newAnonymousCsrf: !isConsoleSecret(anonymous),
  };
  const secret = cookies[SESSION_COOKIE];
  if (isConsoleSecret(secret)) {
    const session = await deps.registry.console.findSession(secret, request.now.toISOString());
    if (session) {
      request.session = session;
      request.sessionSecret = secret;
    }
  }
  return request;
}

/** Whether the form's CSRF token is the expected one (the session's, or the anonymous cookie's). */
export function csrfHolds(request: ConsoleRequest, expected: string | undefined): boolean {
  const sent = request.form.get('csrf') ?? '';
  if (!expected || sent.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(sent), Buffer.from(expected));
}

/** The language of the page: the signed-in admin's, else the browser's preference. */
export async function localeOf(request: ConsoleRequest, email = request.session?.email): Promise<Locale> {
  if (email) {
    for (const appId of await request.deps.registry.console.appIdsOf(email)) {
      const app = await request.deps.registry.apps.findApp(appId);
      const admin = app?.admins.find((entry) => entry.email.toLowerCase() === email.toLowerCase());
      if (app && admin) return admin.locale ?? app.locale;
    }
  }
  return localeFromHeader(request.acceptLanguage);
}

function cookie(name: string, value: string, maxAgeSeconds: number): string {
  return `${name}=${value}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; Secure; SameSite=Strict`;
}

export interface PageAnswer {
  readonly status: number;
  readonly title: string;
  readonly body: Html;
  readonly locale: Locale;
  readonly setCookies?: readonly string[];
}

/** An HTML answer with the console's security headers; HEAD gets the headers only. */
export function respond(request: ConsoleRequest, answer: PageAnswer): APIGatewayProxyResult {
  const copy = CONSOLE_COPY[answer.locale];
  const cookies = [...(answer.setCookies ?? [])];
  if (request.newAnonymousCsrf) cookies.push(cookie(CSRF_COOKIE, request.anonymousCsrf, SESSION_SECONDS));
  const body = page({
    locale: answer.locale,
    title: answer.title,
    base: request.base,
    ...(request.session
      ? {
          signedIn: {
            email: request.session.email,
            csrf: request.session.csrf,
            label: copy.signIn.signedInAs(request.session.email),
            signOut: copy.signIn.signOut,
          },
        }
      : {}),
    body: answer.body,
  });
  return {
    statusCode: answer.status,
    headers: { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8' },
    ...(cookies.length > 0 ? { multiValueHeaders: { 'Set-Cookie': cookies } } : {}),
    body: request.method === 'HEAD' ? '' : body,
  };
}

export const SECURITY_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'strict-transport-security': 'max-age=31536000',
} as const;

/** A redirect after a POST that acted (303: the browser GETs the target). */
export function redirect(
  request: ConsoleRequest,
  to: string,
  setCookies: readonly string[] = [],
): APIGatewayProxyResult {
  return {
    statusCode: 303,
    headers: { ...SECURITY_HEADERS, location: `${request.base}${to}` },
    ...(setCookies.length > 0 ? { multiValueHeaders: { 'Set-Cookie': [...setCookies] } } : {}),
    body: '',
  };
}

export function sessionCookie(secret: string): string {
  return cookie(SESSION_COOKIE, secret, SESSION_SECONDS);
}

export function clearedSessionCookie(): string {
  return cookie(SESSION_COOKIE, '', 0);
}

export type { ConsoleCopy };
