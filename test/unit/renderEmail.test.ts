import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { LOCALES } from '../../lambda/contract/appSettings.ts';
import { NOTIFICATION_EVENTS, type NotificationEvent } from '../../lambda/contract/notificationEvents.ts';
import { CUSTOMER_EVENTS, type NotificationContext } from '../../lambda/notifications/events.ts';
import { nextActions, renderEmail } from '../../lambda/notifications/renderEmail.ts';
import { sampleContext, writeAllEmails } from '../../local/renderEmails.ts';

const DAY = 86_400;
const APP = 'billing-sync';

/** A context with everything an email can show, at 2026-12-05 13:30 UTC in Europe/Berlin. */
function contextFor(
  event: NotificationEvent,
  overrides: Partial<NotificationContext> = {},
): NotificationContext {
  return {
    event,
    locale: 'en',
    audience: 'admin',
    appId: APP,
    timeZone: 'Europe/Berlin',
    occurredAt: '2026-12-05T13:30:00Z',
    rotationId: 'r-20261205T133000Z-3fa9c1',
    mode: event === 'TOKEN_INVALIDATED' ? 'expire-now' : 'expire-later',
    trigger: 'operator',
    startedBy: 'arn:aws:iam::123456789012:user/alice',
    graceSeconds: 7 * DAY,
    expiresAt: '2026-12-12T13:30:00Z',
    tokenIssuedAt: '2026-05-07T08:00:00Z',
    intervalSeconds: 180 * DAY,
    ...(event === 'ROTATION_FAILED' ? { failedStep: 'testSecret', failure: 'issuer answered HTTP 401' } : {}),
    ...overrides,
  };
}

/** Every `rotor …` command in a text. */
function commandsIn(text: string): string[] {
  return [...text.matchAll(/^ {4}(rotor .+)$/gm)].map((match) => match[1] ?? '');
}

describe('Function: renderEmail', () => {
  describe('every event, language and audience', () => {
    const cases = NOTIFICATION_EVENTS.flatMap((event) =>
      LOCALES.flatMap((locale) =>
        (['admin', 'customer'] as const).map((audience) => ({ event, locale, audience })),
      ),
    );

    it.each(cases)(
      '$event in $locale for $audience: subject, app, times and next steps',
      ({ event, locale, audience }) => {
        // Act
        const email = renderEmail(contextFor(event, { locale, audience }));

        // Assess
        expect(email.subject.startsWith(`[Rotor] ${APP}: `)).toBe(true);
        expect(email.subject).not.toMatch(/undefined|NaN/);
        for (const body of [email.text, email.html]) {
          expect(body).toContain(APP);
          expect(body).toContain('2026-12-05 13:30 UTC');
          expect(body).not.toMatch(/undefined|NaN|\[object /);
        }
        expect(email.html).toMatch(/^<!DOCTYPE html>\n<html lang="(de|en)">/);
        expect(email.html).toContain(`<html lang="${locale}">`);
        expect(email.html.trimEnd().endsWith('</html>')).toBe(true);
        expect(email.text).not.toMatch(/<[a-z/!]/i);
        if (audience === 'admin') {
          const commands = nextActions(contextFor(event, { locale, audience }));
          expect(commands.length).toBeGreaterThan(0);
          for (const command of commands) {
            expect(email.text).toContain(`    ${command}\n`);
            expect(email.html).toContain(`<code style="`);
            expect(email.html).toContain(`>${command}</code>`);
          }
        } else {
          expect(email.text).not.toContain('rotor ');
          expect(email.html).not.toContain('rotor ');
          expect(email.html).not.toContain('<code');
        }
      },
    );
  });

  it('writes German and English in their own words', () => {
    // Act
    const german = renderEmail(contextFor('ROTATION_INITIATED', { locale: 'de' }));
    const english = renderEmail(contextFor('ROTATION_INITIATED', { locale: 'en' }));

    // Assess
    expect(german.subject).toBe('[Rotor] billing-sync: Eine Token-Rotation wurde initiiert');
    expect(english.subject).toBe('[Rotor] billing-sync: A token rotation was initiated');
    expect(german.text).toContain('Nächste Schritte');
    expect(german.text).toContain('gültig');
    expect(german.text).not.toContain('What you can do next');
    expect(english.text).toContain('What you can do next');
    expect(english.text).not.toContain('gültig');
    expect(german.html).toContain('<html lang="de">');
    expect(english.html).toContain('<html lang="en">');
  });

  it('bases the German subjects on the seed, with the real grace period and interval', () => {
    const subject = (event: NotificationEvent, overrides: Partial<NotificationContext> = {}) =>
      renderEmail(contextFor(event, { locale: 'de', ...overrides })).subject;

    expect(subject('ROTATION_CANCELLED')).toContain('Eine ausstehende Rotation wurde abgebrochen');
    expect(subject('TOKEN_INVALIDATED')).toContain('Ein Token wurde sofort für ungültig erklärt');
    expect(subject('TOKEN_EXPIRES_IN_24H')).toContain('läuft in 24 Stunden ab');
    expect(subject('ROTATION_COMPLETED')).toContain('erfolgreich rotiert');
    expect(subject('ROTATION_COMPLETED')).toContain('nach 7 Tagen abgelaufen');
    expect(subject('ROTATION_COMPLETED', { graceSeconds: 3 * DAY })).toContain('nach 3 Tagen abgelaufen');
    expect(subject('ROTATION_COMPLETED', { graceSeconds: 36 * 3600 })).toContain(
      'nach 36 Stunden abgelaufen',
    );
    expect(subject('ROTATION_REMINDER')).toContain('seit mehr als 180 Tagen nicht rotiert');
    expect(subject('ROTATION_REMINDER', { intervalSeconds: 90 * DAY })).toContain('seit mehr als 90 Tagen');
    expect(renderEmail(contextFor('ROTATION_COMPLETED', { graceSeconds: 3 * DAY })).subject).toContain(
      'expired after 3 days',
    );
  });

  it("says how long the old token has left by the rotation's notice time, or the time really left when the notice is late", () => {
    const subject = (locale: 'de' | 'en', overrides: Partial<NotificationContext>) =>
      renderEmail(contextFor('TOKEN_EXPIRES_IN_24H', { locale, ...overrides })).subject;
    // Sent by the workflow at its time: the notice time, whatever the clock says to the millisecond.
    const onTime = { occurredAt: '2026-12-09T13:30:00.040Z', expiresAt: '2026-12-12T13:30:00Z' };

    expect(subject('de', { ...onTime, noticeSeconds: 3 * DAY })).toBe(
      '[Rotor] billing-sync: Das alte Token läuft in 3 Tagen ab',
    );
    expect(subject('en', { ...onTime, noticeSeconds: 3 * DAY })).toBe(
      '[Rotor] billing-sync: The old token expires in 3 days',
    );
    expect(subject('de', { ...onTime, noticeSeconds: 36 * 3600 })).toContain('läuft in 36 Stunden ab');
    expect(subject('en', { noticeSeconds: 24 * 3600 })).toContain('expires in 24 hours');
    // The sweep sent a missed 24-hour notice 5 hours late.
    expect(subject('en', { occurredAt: '2026-12-11T18:30:00Z', noticeSeconds: 24 * 3600 })).toContain(
      'expires in 19 hours',
    );
    expect(subject('de', { occurredAt: '2026-12-12T13:10:00Z' })).toContain('läuft in 20 Minuten ab');
  });

  describe('ROTATION_DUE_SOON', () => {
    const dueSoon = (overrides: Partial<NotificationContext>) =>
      renderEmail(
        contextFor('ROTATION_DUE_SOON', {
          rotationId: undefined,
          mode: undefined,
          trigger: undefined,
          startedBy: undefined,
          expiresAt: undefined,
          // The first sweep (06:00 Berlin) after the 30-day reminder's time, 08:00 UTC the day before.
          occurredAt: '2026-10-05T04:00:00Z',
          tokenIssuedAt: '2026-05-07T08:00:00Z',
          dueAt: '2026-11-03T08:00:00Z',
          policy: 'remind',
          ...overrides,
        }),
      );

    it('names the days left and the due date, and asks the admins of a remind app to rotate', () => {
      // Act
      const german = dueSoon({ locale: 'de' });
      const english = dueSoon({ locale: 'en' });

      // Assess
      expect(german.subject).toBe('[Rotor] billing-sync: Token-Rotation in 30 Tagen fällig');
      expect(english.subject).toBe('[Rotor] billing-sync: Token rotation due in 30 days');
      expect(german.text).toContain('Bitte rotieren Sie das Token bis dahin.');
      expect(german.text).toContain('03.11.2026, 09:00 MEZ (2026-11-03 08:00 UTC)');
      expect(english.text).toContain('Please rotate the token before then.');
      expect(english.text).toContain('Due on');
      for (const email of [german, english]) {
        expect(commandsIn(email.text)).toEqual([
          'rotor rotate billing-sync --expire later',
          'rotor rotate billing-sync --expire now',
        ]);
      }
      expect(dueSoon({ occurredAt: '2026-10-28T05:00:00Z' }).subject).toContain('due in 7 days');
      expect(dueSoon({ occurredAt: '2026-11-02T09:00:00Z', locale: 'de' }).subject).toContain(
        'in 1 Tag fällig',
      );
    });

    it('tells the admins of an auto app that Rotor starts an expire-later rotation on the due date', () => {
      // Act
      const german = dueSoon({ locale: 'de', policy: 'auto', graceSeconds: 7 * DAY });
      const english = dueSoon({ locale: 'en', policy: 'auto', graceSeconds: 7 * DAY });

      // Assess
      expect(german.text).toContain(
        'An diesem Tag startet Rotor selbst eine Rotation mit „später ablaufen lassen“',
      );
      expect(german.text).toContain('das alte bleibt noch 7 Tage gültig');
      expect(english.text).toContain('On that day Rotor starts an "expire later" rotation by itself');
      expect(english.text).toContain('the old one stays valid for 7 days');
      expect(english.text).not.toContain('Please rotate');
    });
  });

  it("shows every time in the app's zone, with its abbreviation, and in UTC", () => {
    // Prepare
    const at = { occurredAt: '2026-12-05T13:30:00Z' };

    // Act
    const berlinDe = renderEmail(contextFor('TOKEN_INVALIDATED', { ...at, locale: 'de' }));
    const berlinEn = renderEmail(contextFor('TOKEN_INVALIDATED', { ...at, locale: 'en' }));
    const newYorkDe = renderEmail(
      contextFor('TOKEN_INVALIDATED', { ...at, locale: 'de', timeZone: 'America/New_York' }),
    );
    const newYorkEn = renderEmail(contextFor('TOKEN_INVALIDATED', { ...at, timeZone: 'America/New_York' }));

    // Assess
    for (const body of [berlinDe.text, berlinDe.html]) {
      expect(body).toContain('05.12.2026, 14:30 MEZ (2026-12-05 13:30 UTC)');
    }
    expect(berlinEn.text).toContain('Dec 5, 2026, 2:30 PM CET (2026-12-05 13:30 UTC)');
    expect(newYorkDe.text).toContain('05.12.2026, 08:30');
    expect(newYorkDe.text).toContain('2026-12-05 13:30 UTC');
    expect(newYorkEn.text).toContain('Dec 5, 2026, 8:30 AM EST (2026-12-05 13:30 UTC)');
    expect(newYorkEn.html).toContain('8:30 AM EST');
  });

  it('shows summer time as summer time', () => {
    const email = renderEmail(
      contextFor('ROTATION_INITIATED', { locale: 'de', expiresAt: '2026-07-01T10:00:00Z' }),
    );
    expect(email.text).toContain('01.07.2026, 12:00 MESZ (2026-07-01 10:00 UTC)');
  });

  it('escapes a free-text reason, requester and failure in HTML and keeps them verbatim in text', () => {
    // Prepare
    const reason = '<script>alert(1)</script> & co';
    const context = contextFor('ROTATION_FAILED', {
      reason,
      startedBy: 'arn:aws:iam::1:role/"ops"&<b>',
      failure: 'refused <html> & "quoted"',
    });

    // Act
    const email = renderEmail(context);

    // Assess
    expect(email.html).not.toContain('<script>');
    expect(email.html).not.toContain('<b>');
    expect(email.html).not.toContain('<html> &');
    expect(email.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; co');
    expect(email.html).toContain('arn:aws:iam::1:role/&quot;ops&quot;&amp;&lt;b&gt;');
    expect(email.html).toContain('refused &lt;html&gt; &amp; &quot;quoted&quot;');
    expect(email.text).toContain(reason);
    expect(email.text).toContain('arn:aws:iam::1:role/"ops"&<b>');
    expect(email.text).toContain('refused <html> & "quoted"');
  });

  it('is a self-contained document: inline CSS, no external resources, no images', () => {
    for (const event of NOTIFICATION_EVENTS) {
      const { html } = renderEmail(contextFor(event));
      expect(html).not.toMatch(/<img|<link|<script|src=|url\(|https?:/i);
      expect(html).toContain('<meta charset="utf-8">');
      // Every attribute value is closed before the next attribute or the tag's end.
      expect(html).not.toMatch(/="[^"]*"[^\s>]/);
    }
  });

  it('says who or what started the rotation, and why', () => {
    const operator = renderEmail(contextFor('ROTATION_INITIATED', { reason: 'Quarterly rotation' }));
    const manager = renderEmail(
      contextFor('ROTATION_INITIATED', {
        locale: 'de',
        trigger: 'secrets-manager',
        startedBy: 'secretsmanager.amazonaws.com',
      }),
    );
    const reminder = renderEmail(
      contextFor('ROTATION_REMINDER', { trigger: undefined, startedBy: undefined, rotationId: undefined }),
    );

    expect(operator.text).toMatch(
      /Started by: +Operator \(rotor CLI\): arn:aws:iam::123456789012:user\/alice/,
    );
    expect(operator.text).toMatch(/Reason: +Quarterly rotation/);
    expect(manager.text).toMatch(/Gestartet von: +Secrets Manager .*: secretsmanager\.amazonaws\.com/);
    expect(reminder.text).toMatch(/Started by: +Rotor \(daily check\)/);
  });

  it('tells admins of a failure the step, the error, and that the old token still works', () => {
    // Act
    const english = renderEmail(contextFor('ROTATION_FAILED'));
    const german = renderEmail(contextFor('ROTATION_FAILED', { locale: 'de' }));

    // Assess
    expect(english.subject).toContain('the old token still works');
    expect(english.text).toContain('failed at step testSecret: issuer answered HTTP 401');
    expect(english.text).toContain('The old token still works and is unchanged.');
    expect(english.html).toContain('The old token still works and is unchanged.');
    expect(german.text).toContain('im Schritt testSecret fehlgeschlagen: issuer answered HTTP 401');
    expect(german.text).toContain('Das alte Token funktioniert weiter und ist unverändert.');
    expect(commandsIn(english.text)).toEqual([
      'rotor history billing-sync',
      'rotor rotate billing-sync --expire later',
    ]);
  });

  it("names the token's age in days and the app's interval in a reminder", () => {
    // Prepare: issued 2026-05-07, reminded 2026-12-05: 212 days.
    const context = contextFor('ROTATION_REMINDER', {
      rotationId: undefined,
      mode: undefined,
      trigger: undefined,
    });

    // Act
    const english = renderEmail(context);
    const german = renderEmail({ ...context, locale: 'de' });

    // Assess
    expect(english.text).toContain('is now 212 days old');
    expect(english.text).toContain("the app's rotation interval (180 days)");
    expect(english.subject).toContain('Token not rotated in over 180 days');
    expect(german.text).toContain('ist jetzt 212 Tage alt');
    expect(german.text).toContain('Rotationsintervall der App (180 Tage)');
  });

  describe('the 24-hour notice', () => {
    const usage = { count: 3, lastUsedAt: '2026-12-05T09:12:00Z' };

    it('warns when the old token was still used in the last 24 hours', () => {
      // Act
      const english = renderEmail(contextFor('TOKEN_EXPIRES_IN_24H', { oldTokenUsage: usage }));
      const german = renderEmail(contextFor('TOKEN_EXPIRES_IN_24H', { locale: 'de', oldTokenUsage: usage }));

      // Assess
      expect(english.text).toContain('The old token was still used 3 times in the last 24 hours');
      expect(english.text).toContain('last on Dec 5, 2026, 10:12 AM CET (2026-12-05 09:12 UTC)');
      expect(english.text).toContain('Those callers will fail once it expires');
      expect(english.html).toContain('Important:');
      expect(german.text).toContain('noch 3-mal verwendet, zuletzt am 05.12.2026, 10:12 MEZ');
      expect(german.text).toContain('Diese Aufrufer scheitern nach dem Ablauf');
    });

    it('reassures when the old token was not used', () => {
      const email = renderEmail(contextFor('TOKEN_EXPIRES_IN_24H', { oldTokenUsage: { count: 0 } }));
      expect(email.text).toContain('The old token was not used in the last 24 hours.');
      expect(email.text).not.toContain('will fail');
    });

    it('says nothing about usage when it is not known', () => {
      const english = renderEmail(contextFor('TOKEN_EXPIRES_IN_24H'));
      const german = renderEmail(contextFor('TOKEN_EXPIRES_IN_24H', { locale: 'de' }));

      for (const body of [english.text, english.html]) {
        expect(body).not.toMatch(/was (still|not) used|Old token use|will fail/);
      }
      expect(german.text).not.toMatch(
        /verwendet, zuletzt|nicht verwendet|Nutzung des alten Tokens|scheitern/,
      );
      expect(english.text).toContain('expires on Dec 12, 2026, 2:30 PM CET (2026-12-12 13:30 UTC)');
    });
  });

  it('tells customers what it means for them and whom to ask, with no rotor command and no internals', () => {
    for (const event of CUSTOMER_EVENTS) {
      for (const locale of LOCALES) {
        // Act
        const email = renderEmail(
          contextFor(event, { locale, audience: 'customer', reason: 'internal: SEC-142' }),
        );

        // Assess
        expect(email.text).not.toContain('rotor ');
        expect(email.html).not.toContain('rotor ');
        expect(email.text).not.toContain('arn:aws:iam');
        expect(email.text).not.toContain('SEC-142');
        expect(email.text).toContain(
          locale === 'de' ? 'Was das für Sie bedeutet' : 'What this means for you',
        );
        expect(email.text).toContain(
          locale === 'de' ? 'Administratoren von billing-sync' : 'Contact the admins of billing-sync',
        );
      }
    }
    const initiated = renderEmail(contextFor('ROTATION_INITIATED', { audience: 'customer' }));
    expect(initiated.text).toContain('switch to the new one before Dec 12, 2026, 2:30 PM CET');
  });
});

describe('Function: nextActions', () => {
  it('gives admins the exact rotor commands for each event', () => {
    const actions = (event: NotificationEvent) => nextActions(contextFor(event));

    expect(actions('ROTATION_INITIATED')).toEqual([
      'rotor expire-now billing-sync',
      'rotor cancel billing-sync',
    ]);
    expect(actions('TOKEN_EXPIRES_IN_24H')).toEqual([
      'rotor expire-now billing-sync',
      'rotor cancel billing-sync',
      'rotor apps show billing-sync',
    ]);
    expect(actions('ROTATION_CANCELLED')).toEqual(['rotor rotate billing-sync --expire later']);
    expect(actions('TOKEN_INVALIDATED')).toEqual([
      'rotor apps show billing-sync',
      'rotor history billing-sync',
    ]);
    expect(actions('ROTATION_COMPLETED')).toEqual(['rotor history billing-sync']);
    expect(actions('ROTATION_REMINDER')).toEqual([
      'rotor rotate billing-sync --expire later',
      'rotor rotate billing-sync --expire now',
    ]);
    expect(actions('ROTATION_FAILED')).toEqual([
      'rotor history billing-sync',
      'rotor rotate billing-sync --expire later',
    ]);
  });

  it('gives customer contacts none', () => {
    for (const event of NOTIFICATION_EVENTS) {
      expect(nextActions(contextFor(event, { audience: 'customer' }))).toEqual([]);
    }
  });

  it('matches the commands the email shows, in order', () => {
    for (const event of NOTIFICATION_EVENTS) {
      const context = contextFor(event, { locale: 'de' });
      expect(commandsIn(renderEmail(context).text)).toEqual(nextActions(context));
    }
  });
});

describe('Script: npm run emails', () => {
  const expectedFiles = [
    ...NOTIFICATION_EVENTS.flatMap((event) =>
      LOCALES.flatMap((locale) => [`${event}.${locale}.html`, `${event}.${locale}.txt`]),
    ),
    'index.html',
  ].sort();

  it('writes 44 emails (22 renderings, HTML and text) and an index that links them', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'rotor-emails-'));

    try {
      // Act
      const written = await writeAllEmails(dir);

      // Assess
      expect(written).toHaveLength(45);
      expect((await readdir(dir)).sort()).toEqual(expectedFiles);
      const index = await readFile(join(dir, 'index.html'), 'utf8');
      for (const file of expectedFiles.filter((name) => name !== 'index.html')) {
        expect(index).toContain(`href="${file}"`);
      }
      const german = await readFile(join(dir, 'ROTATION_INITIATED.de.txt'), 'utf8');
      expect(german).toContain(renderEmail(sampleContext('ROTATION_INITIATED', 'de')).text);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('runs from the command line with --out, one line per file and a count', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'rotor-emails-cli-'));

    try {
      // Act
      const { stdout } = await promisify(execFile)('npx', ['tsx', 'local/renderEmails.ts', '--out', dir]);

      // Assess
      const lines = stdout.trim().split('\n');
      expect(lines).toHaveLength(46);
      expect(lines.at(-1)).toBe(`44 emails and index.html written to ${dir}`);
      expect((await readdir(dir)).sort()).toEqual(expectedFiles);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('Function: renderEmail for HubSpot apps', () => {
  const base = {
    locale: 'en' as const,
    audience: 'admin' as const,
    appId: 'crm-sync',
    timeZone: 'Europe/Berlin',
    occurredAt: '2026-12-05T13:30:00Z',
    issuer: 'hubspot' as const,
    hubId: 4711,
  };

  it('the handoff email gives the HubSpot clicks and the exact submit command, in both languages', () => {
    // Act
    const english = renderEmail({
      ...base,
      event: 'HANDOFF_REQUESTED',
      handoffDeadline: '2026-12-12T13:30:00Z',
    });
    const german = renderEmail({
      ...base,
      locale: 'de',
      event: 'HANDOFF_REQUESTED',
      handoffDeadline: '2026-12-12T13:30:00Z',
    });

    // Assess
    for (const email of [english, german]) {
      expect(email.text).toContain('Development > Legacy apps > crm-sync > Auth > Rotate');
      expect(email.text).toContain('rotor submit crm-sync --token-stdin');
      expect(email.html).toContain('rotor submit crm-sync --token-stdin');
      expect(email.text).toContain('2026-12-12 13:30 UTC');
    }
    expect(english.text).toContain('"Rotate and expire later"');
    expect(german.text).toContain('„Rotieren und später ablaufen lassen“');
  });

  it('ROTATION_INITIATED lists the scopes the new token gained and lost', () => {
    const email = renderEmail({
      ...base,
      event: 'ROTATION_INITIATED',
      expiresAt: '2026-12-12T13:30:00Z',
      scopesAdded: ['crm.objects.deals.read'],
      scopesRemoved: ['tickets'],
    });
    expect(email.text).toContain('added: crm.objects.deals.read; removed: tickets.');
    expect(email.text).toMatch(/Scopes added: +crm\.objects\.deals\.read/);
  });

  it('expire now and cancel tell what to click in HubSpot unless HubSpot already agrees', () => {
    const stillAccepted = renderEmail({
      ...base,
      event: 'TOKEN_INVALIDATED',
      hubspotCheck: { token: 'old', verdict: 'accepted', at: base.occurredAt },
    });
    const agreed = renderEmail({
      ...base,
      event: 'TOKEN_INVALIDATED',
      hubspotCheck: { token: 'old', verdict: 'refused', at: base.occurredAt },
    });
    const cancelled = renderEmail({
      ...base,
      event: 'ROTATION_CANCELLED',
      expiresAt: '2026-12-12T13:30:00Z',
      hubspotCheck: { token: 'new', verdict: 'accepted', at: base.occurredAt },
    });
    expect(stillAccepted.text).toContain('HubSpot still accepts the old token');
    expect(stillAccepted.text).toContain('click "Expire now" next to the old token');
    expect(agreed.text).toContain('HubSpot refuses the old token too.');
    expect(agreed.text).not.toContain('click "Expire now"');
    expect(cancelled.text).toContain('click "Cancel rotation" before');
  });
});
