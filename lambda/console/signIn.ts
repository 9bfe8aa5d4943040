import { SendEmailCommand } from '@aws-sdk/client-ses';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { SESSION_SECONDS, SIGN_IN_LIMITS, SIGN_IN_LINK_SECONDS } from '../contract/console.ts';
import { emailAddressProblem, emailAddressRefusal } from '../contract/emailAddress.ts';
import { isConsoleSecret } from '../store/ConsoleStore.ts';
import { CONSOLE_COPY } from './copy.ts';
import { html } from './html.ts';
import { appsOf } from './operator.ts';
import { messageBody, signInBody } from './pages.ts';
import {
  type ConsoleRequest,
  clearedSessionCookie,
  csrfHolds,
  localeOf,
  redirect,
  respond,
  sessionCookie,
} from './request.ts';

/** Sign-in events have no app: the audit log keeps them under this name. */
const CONSOLE_AUDIT_APP = '(console)';

async function auditSignIn(
  request: ConsoleRequest,
  action: string,
  actor: string,
  outcome: 'succeeded' | 'refused',
  detail: string,
): Promise<void> {
  await request.deps.registry.audit.appendAudit({
    at: request.now.toISOString(),
    eventId: `console-${request.requestId}-${action}`,
    appId: CONSOLE_AUDIT_APP,
    action,
    actor: actor.slice(0, 254),
    outcome,
    detail: `${detail} (client ${request.clientIp})`.slice(0, 500),
  });
}

export async function signInPage(request: ConsoleRequest, status = 200): Promise<APIGatewayProxyResult> {
  const locale = await localeOf(request);
  return respond(request, {
    status,
    locale,
    title: CONSOLE_COPY[locale].signIn.heading,
    body: signInBody(request.base, request.anonymousCsrf, locale),
  });
}

/**
 * POST /sign-in: emails a sign-in link when the address administers an app. The page answers the same
 * for a known and an unknown address (and for one past its limit); only the client IP's limit is said.
 */
export async function requestSignIn(request: ConsoleRequest): Promise<APIGatewayProxyResult> {
  const locale = await localeOf(request, undefined);
  const copy = CONSOLE_COPY[locale].signIn;
  if (!csrfHolds(request, request.anonymousCsrf) || request.newAnonymousCsrf) return forbidden(request);
  const email = (request.form.get('email') ?? '').trim();
  const problem = emailAddressProblem(email);
  if (problem) {
    return respond(request, {
      status: 400,
      locale,
      title: copy.heading,
      body: signInBody(
        request.base,
        request.anonymousCsrf,
        locale,
        html`<div class="error">${emailAddressRefusal(email, problem)}</div>`,
      ),
    });
  }
  const { deps } = request;
  const now = request.now.toISOString();
  const fromIp = await deps.registry.console.countSignInRequest(
    'ip',
    request.clientIp,
    now,
    SIGN_IN_LIMITS.windowSeconds,
  );
  if (fromIp > SIGN_IN_LIMITS.perClientIp) {
    await auditSignIn(
      request,
      'console.sign-in-request',
      email,
      'refused',
      'too many sign-in requests from the client IP',
    );
    return respond(request, {
      status: 429,
      locale,
      title: copy.heading,
      body: messageBody(copy.heading, copy.tooMany, 'error'),
    });
  }
  const forAddress = await deps.registry.console.countSignInRequest(
    'address',
    email,
    now,
    SIGN_IN_LIMITS.windowSeconds,
  );
  const apps = forAddress > SIGN_IN_LIMITS.perAddress ? [] : await appsOf(request, email);
  if (apps.length > 0) {
    const secret = await deps.registry.console.createSignInLink(
      email,
      new Date(request.now.getTime() + SIGN_IN_LINK_SECONDS * 1000).toISOString(),
    );
    const first = apps[0];
    const admin = first?.admins.find((entry) => entry.email.toLowerCase() === email.toLowerCase());
    const mailCopy = CONSOLE_COPY[admin?.locale ?? first?.locale ?? locale].signIn;
    const url = `${deps.consoleUrl.replace(/\/+$/, '')}/sign-in/${secret}`;
    const text = mailCopy.mailText(url, SIGN_IN_LINK_SECONDS / 60);
    await deps.ses.send(
      new SendEmailCommand({
        Source: deps.senderAddress,
        Destination: { ToAddresses: [email] },
        Message: {
          Subject: { Data: mailCopy.mailSubject, Charset: 'UTF-8' },
          Body: {
            Text: { Data: text, Charset: 'UTF-8' },
            Html: {
              Data: html`<!DOCTYPE html><html><body><p>${text.split('\n')[0]}</p><p><a href="${url}">${mailCopy.confirm}</a></p><p>${text.trim().split('\n').at(-1)}</p></body></html>`
                .text,
              Charset: 'UTF-8',
            },
          },
        },
      }),
    );
    await auditSignIn(request, 'console.sign-in-request', email, 'succeeded', 'a sign-in link was emailed');
  } else {
    await auditSignIn(
      request,
      'console.sign-in-request',
      email,
      'refused',
      forAddress > SIGN_IN_LIMITS.perAddress
        ? 'too many sign-in requests for the address'
        : 'the address administers no app',
    );
  }
  return respond(request, {
    status: 200,
    locale,
    title: copy.heading,
    body: messageBody(copy.heading, copy.sent(email), 'ok', undefined),
  });
}

/** GET /sign-in/{secret}: a page with a button; the GET itself uses nothing (mail scanners fetch links). */
export async function signInConfirmPage(
  request: ConsoleRequest,
  secret: string,
): Promise<APIGatewayProxyResult> {
  const link = isConsoleSecret(secret)
    ? await request.deps.registry.console.findSignInLink(secret)
    : undefined;
  const locale = await localeOf(request, link?.email);
  const copy = CONSOLE_COPY[locale].signIn;
  return respond(request, {
    status: 200,
    locale,
    title: copy.confirmHeading,
    body: html`<h1>${copy.confirmHeading}</h1><p>${copy.confirmIntro}</p>
<form method="post" action="${request.base}/sign-in/${secret}"><input type="hidden" name="csrf" value="${request.anonymousCsrf}"><button type="submit">${copy.confirm}</button></form>`,
  });
}

/** POST /sign-in/{secret}: uses the link once and starts a 12-hour session. */
export async function completeSignIn(
  request: ConsoleRequest,
  secret: string,
): Promise<APIGatewayProxyResult> {
  const locale = await localeOf(request, undefined);
  const copy = CONSOLE_COPY[locale].signIn;
  if (!csrfHolds(request, request.anonymousCsrf) || request.newAnonymousCsrf) return forbidden(request);
  const used = isConsoleSecret(secret)
    ? await request.deps.registry.console.useSignInLink(secret, request.now.toISOString())
    : { taken: false as const, why: 'unknown' as const };
  if (!used.taken || (await appsOf(request, used.record.email)).length === 0) {
    const why = used.taken ? 'unknown' : used.why;
    return respond(request, {
      status: why === 'unknown' ? 404 : 410,
      locale,
      title: copy.heading,
      body: messageBody(copy.heading, copy.linkRefused[why], 'error', {
        href: `${request.base}/sign-in`,
        label: copy.again,
      }),
    });
  }
  const { email } = used.record;
  const { secret: sessionSecret } = await request.deps.registry.console.createSession(
    email,
    request.now.toISOString(),
    new Date(request.now.getTime() + SESSION_SECONDS * 1000).toISOString(),
  );
  await auditSignIn(request, 'console.sign-in', email, 'succeeded', 'signed in with an emailed link');
  return redirect(request, '/', [sessionCookie(sessionSecret)]);
}

/** POST /sign-out: ends the session. */
export async function signOut(request: ConsoleRequest): Promise<APIGatewayProxyResult> {
  const { session, sessionSecret } = request;
  if (!session || !sessionSecret || !csrfHolds(request, session.csrf)) return forbidden(request);
  await request.deps.registry.console.endSession(sessionSecret);
  await auditSignIn(request, 'console.sign-out', session.email, 'succeeded', 'signed out');
  const locale = await localeOf(request);
  request.session = undefined;
  const copy = CONSOLE_COPY[locale].signIn;
  return respond(request, {
    status: 200,
    locale,
    title: copy.signOut,
    setCookies: [clearedSessionCookie()],
    body: messageBody(copy.signOut, copy.signedOut, 'ok', {
      href: `${request.base}/sign-in`,
      label: copy.heading,
    }),
  });
}

/** A POST whose CSRF token is missing or wrong: refused, nothing changed. */
export async function forbidden(request: ConsoleRequest): Promise<APIGatewayProxyResult> {
  const locale = await localeOf(request);
  const copy = CONSOLE_COPY[locale];
  return respond(request, {
    status: 403,
    locale,
    title: copy.refused,
    body: messageBody(copy.refused, copy.forbidden, 'error'),
  });
}
