import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppRecord } from '../../lambda/store/model.ts';
import { ConsoleClient, linksInLastEmail } from '../../local/console/client.ts';
import { allEmails } from '../../local/observe.ts';
import {
  accepts,
  emailsAbout,
  enroll,
  eventually,
  labelsOf,
  rotate,
  startTestSystem,
  type TestSystem,
  tokenOf,
} from '../support/localSystem.ts';

/**
 * The Rotor Console through the real local system: its API as API Gateway serves it, its function in
 * its own environment under IAM, the operator API's routes behind it, the SES stand-in's emails.
 */
let system: TestSystem;

beforeAll(async () => {
  system = await startTestSystem({ retryIntervalOverrides: { CheckPromotion: 400 } });
});

afterAll(async () => {
  await system?.close();
});

/** A browser whose first language is `language` (the pages before sign-in speak it). */
const browserIn = (language: string) =>
  new ConsoleClient(system.console.url, { acceptLanguage: `${language},en;q=0.5` });

const adminOf = (app: AppRecord, locale: 'de' | 'en' = 'en') => `${locale}-admin@${app.appId}.example`;

/** Signs a client in as `email` with the link the console emails, as an admin would. */
async function signedIn(email: string): Promise<ConsoleClient> {
  const client = browserIn('en');
  await client.get('/sign-in');
  expect((await client.post('/sign-in', { email })).status).toBe(200);
  const { links } = await linksInLastEmail(system.endpoints.ses, email, /sign-in link|Anmeldelink/);
  const link = links[0] as string;
  await client.get(link);
  const home = await client.post(link);
  expect(home.status).toBe(200);
  expect(home.html).toContain(email);
  return client;
}

/** An app in its grace period (one hour) and the links of its ROTATION_INITIATED email to the English admin. */
async function appInGrace() {
  const app = await enroll(system);
  const oldToken = await tokenOf(system, app.secretArn, app.currentVersionId);
  const { executionArn } = await rotate(system, app, 'expire-later', { graceSeconds: 3600 });
  await eventually(async () => (await system.registry.apps.getApp(app.appId)).state === 'GRACE');
  await eventually(async () => (await emailsAbout(system, app.appId)).length === 2);
  // The workflow takes the sent notice out of the outbox right after: then the app item holds still.
  await eventually(
    async () => Object.keys((await system.registry.apps.getApp(app.appId)).outbox ?? {}).length === 0,
  );
  const mail = await linksInLastEmail(system.endpoints.ses, adminOf(app), /initiated/);
  const [expireNow, cancel, open] = mail.links as [string, string, string];
  return { app, oldToken, executionArn, expireNow, cancel, open };
}

/** What a request could change: the app's item, and the audit events about it or its admins' sign-ins. */
async function stateOf(app: AppRecord) {
  const day = new Date().toISOString().slice(0, 10);
  const admins = app.admins.map((admin) => admin.email);
  return {
    app: await system.registry.apps.getApp(app.appId),
    audit: (await system.registry.audit.listAuditDay(day)).filter(
      (event) => event.appId === app.appId || admins.includes(event.actor),
    ),
  };
}

describe('Console: email links', () => {
  it('puts an expire-now, a cancel and an open button into ROTATION_INITIATED, in the HTML and the text', async () => {
    // Prepare
    const { app, expireNow, cancel, open } = await appInGrace();

    // Act
    const mail = await linksInLastEmail(system.endpoints.ses, adminOf(app), /initiated/);

    // Assess: single-use links for the actions, the app's page, and the CLI commands stay
    expect(expireNow).toMatch(new RegExp(`^${system.console.url}/link/[A-Za-z0-9_-]{43}$`));
    expect(cancel).toMatch(new RegExp(`^${system.console.url}/link/[A-Za-z0-9_-]{43}$`));
    expect(cancel).not.toBe(expireNow);
    expect(open).toBe(`${system.console.url}/apps/${app.appId}`);
    expect(mail.text).toContain('Expire old token now:');
    expect(mail.text).toContain('Cancel rotation:');
    expect(mail.text).toContain(`rotor cancel ${app.appId}`);
    for (const link of [expireNow, cancel, open]) expect(mail.html).toContain(`href="${link}"`);
    // The German admin's email has her own links, in German.
    const german = await linksInLastEmail(system.endpoints.ses, adminOf(app, 'de'), /initiiert/);
    expect(german.text).toContain('Rotation abbrechen:');
    expect(german.links).not.toContain(cancel);
  });

  it('changes nothing on a GET or HEAD of any link in the emails, as mail scanners fetch them', async () => {
    // Prepare: a sign-in link and the buttons of ROTATION_INITIATED
    const { app, oldToken, expireNow, cancel, open } = await appInGrace();
    const email = adminOf(app);
    const anonymous = browserIn('en');
    await anonymous.get('/sign-in');
    await anonymous.post('/sign-in', { email });
    const signIn = (await linksInLastEmail(system.endpoints.ses, email, /sign-in link/)).links[0] as string;
    const before = await stateOf(app);

    // Act: a scanner fetches every link, twice, with GET and HEAD
    const scanner = browserIn('en');
    const answers: number[] = [];
    for (const link of [signIn, expireNow, cancel, open]) {
      for (const method of ['GET', 'HEAD', 'GET'] as const)
        answers.push((await scanner.get(link, method)).status);
    }

    // Assess: the same app, the same audit, the old token still valid, and each link still works
    expect(answers.every((status) => status === 200)).toBe(true);
    expect(await stateOf(app)).toEqual(before);
    expect(await accepts(system, oldToken)).toBe(true);
    const admin = browserIn('en');
    await admin.get(signIn);
    expect((await admin.post(signIn)).html).toContain(`Signed in as ${email}`);
    await admin.get(cancel);
    expect((await admin.post(cancel)).status).toBe(200);
  });

  it('cancels through the "Cancel rotation" button: the old token is current again, audited with the address', async () => {
    // Prepare
    const { app, oldToken, executionArn, cancel } = await appInGrace();
    const client = browserIn('en');
    const confirm = await client.get(cancel);
    expect(confirm.html).toContain(`This button was sent to ${adminOf(app)}.`);

    // Act
    const done = await client.post(cancel);

    // Assess
    expect(done.status).toBe(200);
    expect(done.html).toContain(`Cancelled rotation`);
    expect((await system.stepFunctions.whenStopped(executionArn)).status).toBe('ABORTED');
    expect(await labelsOf(system, app.secretArn)).toEqual({ [app.currentVersionId]: ['AWSCURRENT'] });
    expect(await accepts(system, oldToken)).toBe(true);
    await eventually(async () =>
      (await emailsAbout(system, app.appId)).some((mail) => mail.event === 'ROTATION_CANCELLED'),
    );
    const { audit } = await stateOf(app);
    expect(audit.find((event) => event.action === 'rotation.cancel')).toMatchObject({
      actor: `${adminOf(app)} (console)`,
      outcome: 'succeeded',
    });
  });

  it('refuses a used link, an expired link and the link of a rotation that has ended, each saying why', async () => {
    // Prepare: the cancel button used once; the same email's expire-now button; a button past its time
    const { app, expireNow, cancel } = await appInGrace();
    const client = browserIn('en');
    await client.get(cancel);
    expect((await client.post(cancel)).status).toBe(200);
    const expiredSecret = await system.registry.console.createActionLink({
      email: adminOf(app),
      appId: app.appId,
      action: 'rotate',
      createdAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 300).toISOString(),
    });
    await new Promise((resolve) => setTimeout(resolve, 400));
    const before = await stateOf(app);

    // Act
    const used = await client.get(cancel);
    const usedPost = await client.post(cancel);
    const ended = await client.get(expireNow);
    const endedPost = await client.post(expireNow);
    const expired = await client.get(`/link/${expiredSecret}`);
    const unknown = await client.get(`/link/${'x'.repeat(43)}`);

    // Assess
    expect([used.status, usedPost.status]).toEqual([410, 410]);
    expect(used.html).toContain('This link was already used; each button works once.');
    expect([ended.status, endedPost.status]).toEqual([410, 410]);
    expect(ended.html).toContain('The rotation this button belongs to has already ended');
    expect(expired.status).toBe(410);
    expect(expired.html).toContain('This link has expired.');
    expect(unknown.status).toBe(404);
    expect(unknown.html).toContain('This link is not valid.');
    expect(await stateOf(app)).toEqual(before);
  });

  it('refuses a POST without the CSRF token, and changes nothing', async () => {
    // Prepare
    const { app, oldToken, cancel } = await appInGrace();
    const client = browserIn('en');
    await client.get(cancel);
    const before = await stateOf(app);

    // Act
    const withoutToken = await client.post(cancel, { csrf: '' });
    const wrongToken = await client.post(cancel, { csrf: 'A'.repeat(43) });
    const session = await signedIn(adminOf(app));
    await session.get(`/apps/${app.appId}/cancel`);
    const sessionWithout = await session.post(`/apps/${app.appId}/cancel`, { csrf: '' });
    const signInWithout = await browserIn('en').post('/sign-in', {
      email: adminOf(app),
    });

    // Assess
    for (const page of [withoutToken, wrongToken, sessionWithout, signInWithout]) {
      expect(page.status).toBe(403);
      expect(page.html).toContain('The form was too old or came from elsewhere');
    }
    const after = await stateOf(app);
    expect(after.app).toEqual(before.app);
    // The session's sign-in is audited; nothing about the app is.
    expect(after.audit.filter((event) => event.appId === app.appId)).toEqual(
      before.audit.filter((event) => event.appId === app.appId),
    );
    expect(await accepts(system, oldToken)).toBe(true);
  });
});

describe('Console: sign-in and what an admin sees', () => {
  it('answers a sign-in for an unknown address exactly as for a known one, and sends it nothing', async () => {
    // Prepare
    const app = await enroll(system);
    const client = browserIn('en');
    await client.get('/sign-in');
    const known = adminOf(app);
    const unknown = `nobody@${app.appId}.example`;

    // Act
    const forKnown = await client.post('/sign-in', { email: known });
    await client.get('/sign-in');
    const forUnknown = await client.post('/sign-in', { email: unknown });

    // Assess
    expect(forUnknown.status).toBe(forKnown.status);
    expect(forUnknown.html.replaceAll(unknown, '<address>')).toBe(
      forKnown.html.replaceAll(known, '<address>'),
    );
    const mails = await allEmails(system.endpoints.ses);
    expect(mails.filter((mail) => mail.to === unknown)).toEqual([]);
    expect(mails.filter((mail) => mail.to === known)).toHaveLength(1);
  });

  it('uses a sign-in link once: the second sign-in with it is refused and says why', async () => {
    // Prepare
    const app = await enroll(system);
    const email = adminOf(app);
    await signedIn(email);
    const link = (await linksInLastEmail(system.endpoints.ses, email, /sign-in link/)).links[0] as string;

    // Act
    const other = browserIn('en');
    await other.get(link);
    const again = await other.post(link);

    // Assess
    expect(again.status).toBe(410);
    expect(again.html).toContain('This sign-in link was already used.');
    expect(other.cookie('rotor_session')).toBeUndefined();
  });

  it("shows an admin only their apps, with a grace period's countdown, and 404 for another app's pages and actions", async () => {
    // Prepare: A in its grace period, B another team's app, also in grace
    const { app: mine } = await appInGrace();
    const { app: theirs, oldToken: theirOldToken } = await appInGrace();
    const client = await signedIn(adminOf(mine));
    const before = await stateOf(theirs);

    // Act
    const list = await client.get('/');
    const page = await client.get(`/apps/${mine.appId}`);
    const foreign = [
      await client.get(`/apps/${theirs.appId}`),
      await client.get(`/apps/${theirs.appId}/cancel`),
      await client.get(`/apps/${theirs.appId}/expire-now`),
    ];
    await client.get(`/apps/${mine.appId}/cancel`);
    const csrf = /name="csrf" value="([^"]+)"/.exec(
      (await client.get(`/apps/${mine.appId}/cancel`)).html,
    )?.[1];
    const foreignPost = await client.post(`/apps/${theirs.appId}/cancel`, { csrf: csrf as string });

    // Assess
    expect(list.html).toContain(`/apps/${mine.appId}"`);
    expect(list.html).not.toContain(theirs.appId);
    expect(list.html).toMatch(/old token expires in <span class="countdown" data-expires="[^"]+"/);
    expect(page.html).toContain('Running rotation');
    expect(page.html).toContain('Audit log (7 days)');
    for (const answer of [...foreign, foreignPost]) {
      expect(answer.status).toBe(404);
      expect(answer.html).toContain('There is no such page, or it is not yours to see.');
      expect(answer.html).not.toContain(theirs.appId);
    }
    expect(await stateOf(theirs)).toEqual(before);
    expect(await accepts(system, theirOldToken)).toBe(true);
  });

  it('expires the old token from the app page: confirm, POST, the old token refused, TOKEN_INVALIDATED', async () => {
    // Prepare
    const { app, oldToken, executionArn } = await appInGrace();
    const client = await signedIn(adminOf(app));
    const page = await client.get(`/apps/${app.appId}`);
    expect(page.html).toContain(`href="/console/apps/${app.appId}/expire-now"`);

    // Act
    const confirm = await client.get(`/apps/${app.appId}/expire-now`);
    const done = await client.post(`/apps/${app.appId}/expire-now`);
    // The same form sent again (a double click, a reload that resends it): the same fields.
    const fields = Object.fromEntries(
      [...confirm.html.matchAll(/<input type="hidden" name="(csrf|request)" value="([^"]+)">/g)].map((m) => [
        m[1],
        m[2],
      ]),
    );
    const twice = await client.post(`/apps/${app.appId}/expire-now`, fields);

    // Assess: done once; the form sent again answers as the first did (its request key)
    expect(confirm.html).toContain('The old token stops working at once.');
    expect(done.status).toBe(200);
    expect(done.html).toContain(`Expired the old token of app &quot;${app.appId}&quot; now`);
    expect(twice.status).toBe(200);
    expect(twice.html).toBe(done.html);
    expect((await system.stepFunctions.whenStopped(executionArn)).status).toBe('ABORTED');
    expect(await accepts(system, oldToken)).toBe(false);
    await eventually(async () =>
      (await emailsAbout(system, app.appId)).some((mail) => mail.event === 'TOKEN_INVALIDATED'),
    );
    const { audit } = await stateOf(app);
    expect(
      audit.filter((event) => event.action === 'rotation.expire-now').map((event) => event.actor),
    ).toEqual([`${adminOf(app)} (console)`]);
  });

  it('signs out: the session cookie no longer opens the apps', async () => {
    // Prepare
    const app = await enroll(system);
    const client = await signedIn(adminOf(app));
    const session = client.cookie('rotor_session') as string;

    // Act
    await client.post('/sign-out');
    const replay = browserIn('en');
    const page = await fetch(`${system.console.url}/apps/${app.appId}`, {
      headers: { cookie: `rotor_session=${session}`, connection: 'close' },
    });

    // Assess: the old cookie gets the sign-in page, not the app
    expect(client.cookie('rotor_session')).toBeUndefined();
    const html = await page.text();
    expect(html).toContain('name="email"');
    expect(html).not.toContain('Running rotation');
    expect((await replay.get('/')).html).toContain('name="email"');
  });

  it('sets the session cookie HttpOnly, Secure and SameSite=Strict, and every page a CSP without inline script', async () => {
    // Prepare
    const app = await enroll(system);
    const client = browserIn('en');
    await client.get('/sign-in');
    await client.post('/sign-in', { email: adminOf(app) });
    const link = (await linksInLastEmail(system.endpoints.ses, adminOf(app), /sign-in link/))
      .links[0] as string;
    await client.get(link);
    const csrf = client.cookie('rotor_csrf') as string;

    // Act
    const answer = await fetch(link, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        cookie: `rotor_csrf=${csrf}`,
        'content-type': 'application/x-www-form-urlencoded',
        connection: 'close',
      },
      body: new URLSearchParams({ csrf }).toString(),
    });

    // Assess
    expect(answer.status).toBe(303);
    const cookie = answer.headers.getSetCookie().find((line) => line.startsWith('rotor_session='));
    expect(cookie).toMatch(
      /^rotor_session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=43200; HttpOnly; Secure; SameSite=Strict$/,
    );
    const policy = (await client.get('/sign-in')).headers.get('content-security-policy') ?? '';
    expect(policy).toContain("script-src 'self'");
    expect(policy).not.toContain('unsafe-inline');
  });
});
