import { createHash, randomUUID } from 'node:crypto';
import type { APIGatewayProxyResult } from 'aws-lambda';
import type { Locale } from '../contract/appSettings.ts';
import { LINK_ACTIONS, type LinkAction } from '../contract/console.ts';
import { IDEMPOTENCY_KEY_PATTERN } from '../contract/routes.ts';
import type { AppView, AuditEventView, RotationView } from '../contract/views.ts';
import { type ActionLinkRecord, isConsoleSecret } from '../store/ConsoleStore.ts';
import type { AppRecord } from '../store/model.ts';
import { CONSOLE_COPY, type LinkProblem } from './copy.ts';
import { appsOf, callOperator, isAdminOf, ownApp } from './operator.ts';
import { actionsFor, appListBody, appPageBody, confirmBody, messageBody, resultBody } from './pages.ts';
import { type ConsoleRequest, csrfHolds, localeOf, respond } from './request.ts';
import { forbidden, signInPage } from './signIn.ts';

export function isLinkAction(value: string | undefined): value is LinkAction {
  return (LINK_ACTIONS as readonly string[]).includes(value ?? '');
}

/** The one answer for a page that does not exist and for one that is not the admin's (no hint which). */
export async function notFound(request: ConsoleRequest): Promise<APIGatewayProxyResult> {
  const locale = await localeOf(request);
  const copy = CONSOLE_COPY[locale];
  return respond(request, {
    status: 404,
    locale,
    title: copy.refused,
    body: messageBody(copy.refused, copy.notFound, 'error', {
      href: `${request.base}/`,
      label: copy.app.back,
    }),
  });
}

/** GET /: the signed-in admin's apps. */
export async function appList(request: ConsoleRequest): Promise<APIGatewayProxyResult> {
  const email = request.session?.email;
  if (!email) return signInPage(request);
  const views: AppView[] = [];
  for (const app of await appsOf(request, email)) {
    const answer = await callOperator<{ app: AppView }>(request, email, {
      method: 'GET',
      path: `/apps/${app.appId}`,
    });
    if (answer.status === 200) views.push(answer.body.app);
  }
  const locale = await localeOf(request);
  return respond(request, {
    status: 200,
    locale,
    title: CONSOLE_COPY[locale].list.heading,
    body: appListBody(views, request.base, request.now, locale),
  });
}

/** GET /apps/{appId}: settings, running rotation, history and audit of one of the admin's apps. */
export async function appPage(request: ConsoleRequest, appId: string): Promise<APIGatewayProxyResult> {
  if (!request.session) return signInPage(request);
  const app = await ownApp(request, appId);
  if (!app) return notFound(request);
  const email = request.session.email;
  const [shown, history, audit] = await Promise.all([
    callOperator<{ app: AppView }>(request, email, { method: 'GET', path: `/apps/${appId}` }),
    callOperator<{ rotations: RotationView[] }>(request, email, {
      method: 'GET',
      path: `/apps/${appId}/rotations`,
    }),
    callOperator<{ events: AuditEventView[] }>(request, email, {
      method: 'GET',
      path: '/audit',
      query: { since: '7d', app: appId },
    }),
  ]);
  if (shown.status !== 200) return notFound(request);
  const locale = await localeOf(request);
  return respond(request, {
    status: 200,
    locale,
    title: appId,
    body: appPageBody(
      shown.body.app,
      history.body.rotations ?? [],
      audit.body.events ?? [],
      request.base,
      request.now,
      locale,
    ),
  });
}

/** The operator API call an action makes, from the confirm form's fields. */
function operatorCall(app: AppRecord, action: LinkAction, form: URLSearchParams, key?: string) {
  const path = `/apps/${app.appId}`;
  switch (action) {
    case 'expire-now':
      return { method: 'POST' as const, path: `${path}/expire-now`, body: {}, ...(key ? { key } : {}) };
    case 'cancel':
      return { method: 'POST' as const, path: `${path}/cancel`, body: {}, ...(key ? { key } : {}) };
    case 'submit':
      // No idempotency key: its record would keep a hash of the body, and the body is the token.
      return { method: 'POST' as const, path: `${path}/submit`, body: { token: form.get('token') ?? '' } };
    case 'rotate': {
      const grace = (form.get('grace') ?? '').trim();
      const reason = (form.get('reason') ?? '').trim();
      return {
        method: 'POST' as const,
        path: `${path}/rotations`,
        body: { mode: form.get('mode') ?? '', ...(grace ? { grace } : {}), ...(reason ? { reason } : {}) },
        ...(key ? { key } : {}),
      };
    }
  }
}

async function act(
  request: ConsoleRequest,
  email: string,
  app: AppRecord,
  action: LinkAction,
  key: string | undefined,
  locale: Locale,
): Promise<{ result: APIGatewayProxyResult; ok: boolean }> {
  const answer = await callOperator(request, email, operatorCall(app, action, request.form, key));
  const ok = answer.status < 400;
  const message = String(answer.body.message ?? '');
  return {
    ok,
    result: respond(request, {
      status: ok ? 200 : answer.status,
      locale,
      title: ok ? CONSOLE_COPY[locale].done : CONSOLE_COPY[locale].refused,
      body: resultBody(ok, message, `${request.base}/apps/${app.appId}`, locale),
    }),
  };
}

/** GET and POST /apps/{appId}/{action}: the signed-in admin's confirm page, and its action. */
export async function sessionAction(
  request: ConsoleRequest,
  appId: string,
  action: LinkAction,
): Promise<APIGatewayProxyResult> {
  if (!request.session) return signInPage(request);
  const app = await ownApp(request, appId);
  if (!app) return notFound(request);
  const locale = await localeOf(request);
  if (request.method !== 'POST') {
    return respond(request, {
      status: 200,
      locale,
      title: CONSOLE_COPY[locale].actions[action],
      body: confirmBody(
        {
          action,
          appId,
          target: `${request.base}/apps/${appId}/${action}`,
          csrf: request.session.csrf,
          requestKey: `console-${randomUUID()}`,
          defaultMode: app.defaultMode,
          back: `${request.base}/apps/${appId}`,
        },
        locale,
      ),
    });
  }
  if (!csrfHolds(request, request.session.csrf)) return forbidden(request);
  const key = request.form.get('request') ?? '';
  return (
    await act(
      request,
      request.session.email,
      app,
      action,
      IDEMPOTENCY_KEY_PATTERN.test(key) ? key : undefined,
      locale,
    )
  ).result;
}

/** Why an email's button cannot be used now, or nothing when it can. */
async function linkProblem(
  request: ConsoleRequest,
  link: ActionLinkRecord | undefined,
  app: AppRecord | undefined,
): Promise<LinkProblem | undefined> {
  if (!link) return 'unknown';
  if (link.usedAt) return 'used';
  if (link.expiresAt <= request.now.toISOString()) return 'expired';
  if (!isAdminOf(app, link.email)) return 'not-admin';
  if (link.action === 'rotate') return undefined;
  if (app.activeRotation?.rotationId !== link.rotationId) return 'ended';
  return undefined;
}

/**
 * GET and POST /link/{secret}: an email's button. The GET shows what the button would do (or why it no
 * longer works) and changes nothing; only the POST of that page acts, once.
 */
export async function linkAction(request: ConsoleRequest, secret: string): Promise<APIGatewayProxyResult> {
  const { deps } = request;
  const link = isConsoleSecret(secret) ? await deps.registry.console.findActionLink(secret) : undefined;
  const app = link ? await deps.registry.apps.findApp(link.appId) : undefined;
  const locale = await localeOf(request, link?.email);
  const copy = CONSOLE_COPY[locale];
  const problem = await linkProblem(request, link, app);
  if (problem || !link || !app) {
    const why = problem ?? 'unknown';
    return respond(request, {
      status: why === 'unknown' ? 404 : why === 'not-admin' ? 403 : 410,
      locale,
      title: copy.refused,
      body: messageBody(
        copy.refused,
        copy.linkProblems[why],
        'warn',
        link
          ? { href: `${request.base}/apps/${link.appId}`, label: copy.openApp }
          : { href: `${request.base}/`, label: copy.app.back },
      ),
    });
  }
  if (request.method !== 'POST') {
    return respond(request, {
      status: 200,
      locale,
      title: copy.actions[link.action],
      body: confirmBody(
        {
          action: link.action,
          appId: app.appId,
          target: `${request.base}/link/${secret}`,
          csrf: request.anonymousCsrf,
          defaultMode: app.defaultMode,
          recipient: link.email,
          back: `${request.base}/apps/${app.appId}`,
        },
        locale,
      ),
    });
  }
  if (request.newAnonymousCsrf || !csrfHolds(request, request.anonymousCsrf)) return forbidden(request);
  // The key follows from the link: a POST repeated after a failure answers as the first did.
  const key = `console-link-${createHash('sha256').update(secret).digest('hex').slice(0, 40)}`;
  const { result, ok } = await act(
    request,
    link.email,
    app,
    link.action,
    link.action === 'submit' ? undefined : key,
    locale,
  );
  if (ok) await deps.registry.console.useActionLink(secret, request.now.toISOString());
  return result;
}

export { actionsFor };
