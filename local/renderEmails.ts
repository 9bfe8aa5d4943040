/**
 * `npm run emails [-- --out DIR]`: renders every notification in German and English, as its admins get
 * it, for a sample app, so that the wording and layout can be read without sending anything.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { LOCALES, type Locale } from '../lambda/contract/appSettings.ts';
import { NOTIFICATION_EVENTS, type NotificationEvent } from '../lambda/contract/notificationEvents.ts';
import type { NotificationContext } from '../lambda/notifications/events.ts';
import { renderEmail } from '../lambda/notifications/renderEmail.ts';

const DAY = 86_400;
const APP = 'billing-sync';
const OPERATOR = 'arn:aws:iam::123456789012:user/alice';

/** What each event's sample adds to the app and the time it happened. */
const SAMPLES: Readonly<Record<NotificationEvent, Partial<NotificationContext>>> = {
  ROTATION_INITIATED: {
    rotationId: 'r-20261205T133000Z-3fa9c1',
    mode: 'expire-later',
    trigger: 'operator',
    startedBy: OPERATOR,
    reason: 'Quarterly rotation (ticket SEC-142)',
    graceSeconds: 7 * DAY,
    expiresAt: '2026-12-12T13:30:00Z',
  },
  ROTATION_CANCELLED: {
    rotationId: 'r-20261205T133000Z-3fa9c1',
    mode: 'expire-later',
    trigger: 'operator',
    startedBy: OPERATOR,
    reason: 'Quarterly rotation (ticket SEC-142)',
    graceSeconds: 7 * DAY,
  },
  TOKEN_INVALIDATED: {
    rotationId: 'r-20261205T133000Z-8be210',
    mode: 'expire-now',
    trigger: 'operator',
    startedBy: OPERATOR,
    reason: 'Token leaked in a CI log',
  },
  TOKEN_EXPIRES_IN_24H: {
    occurredAt: '2026-12-11T13:30:00Z',
    rotationId: 'r-20261205T133000Z-3fa9c1',
    mode: 'expire-later',
    trigger: 'operator',
    startedBy: OPERATOR,
    reason: 'Quarterly rotation (ticket SEC-142)',
    graceSeconds: 7 * DAY,
    expiresAt: '2026-12-12T13:30:00Z',
    oldTokenUsage: { count: 3, lastUsedAt: '2026-12-11T09:12:00Z' },
  },
  ROTATION_COMPLETED: {
    occurredAt: '2026-12-12T13:30:00Z',
    rotationId: 'auto-billing-sync-20261205',
    mode: 'expire-later',
    trigger: 'schedule',
    startedBy: 'rotor-schedule',
    graceSeconds: 7 * DAY,
    expiresAt: '2026-12-12T13:30:00Z',
  },
  ROTATION_REMINDER: {
    tokenIssuedAt: '2026-05-07T08:00:00Z',
    intervalSeconds: 180 * DAY,
  },
  ROTATION_DUE_SOON: {
    occurredAt: '2026-12-05T05:00:00Z',
    tokenIssuedAt: '2026-06-12T08:00:00Z',
    intervalSeconds: 180 * DAY,
    dueAt: '2026-12-09T08:00:00Z',
    policy: 'remind',
    graceSeconds: 7 * DAY,
  },
  ROTATION_FAILED: {
    rotationId: 'r-20261205T133000Z-c07d55',
    mode: 'expire-later',
    trigger: 'secrets-manager',
    startedBy: 'secretsmanager.amazonaws.com',
    graceSeconds: 7 * DAY,
    failedStep: 'testSecret',
    failure: 'the issuer refused the new token (HTTP 401)',
  },
  HANDOFF_REQUESTED: {
    rotationId: 'r-20261205T133000Z-5d1e07',
    mode: 'expire-later',
    trigger: 'operator',
    startedBy: OPERATOR,
    graceSeconds: 7 * DAY,
    issuer: 'hubspot',
    hubId: 4711,
    handoffDeadline: '2026-12-12T13:30:00Z',
  },
  HANDOFF_REMINDER: {
    occurredAt: '2026-12-07T13:30:00Z',
    rotationId: 'r-20261205T133000Z-5d1e07',
    mode: 'expire-later',
    trigger: 'operator',
    startedBy: OPERATOR,
    graceSeconds: 7 * DAY,
    issuer: 'hubspot',
    hubId: 4711,
    handoffDeadline: '2026-12-12T13:30:00Z',
  },
  HUBSPOT_TOKEN_STILL_VALID: {
    occurredAt: '2026-12-14T09:00:00Z',
    rotationId: 'r-20261205T133000Z-5d1e07',
    mode: 'expire-later',
    trigger: 'operator',
    startedBy: OPERATOR,
    graceSeconds: 7 * DAY,
    expiresAt: '2026-12-14T09:00:00Z',
    issuer: 'hubspot',
    hubId: 4711,
    hubspotCheck: { token: 'old', verdict: 'accepted', at: '2026-12-14T09:00:00Z' },
  },
};

/**
 * The context of one sample email: the app `billing-sync` in Europe/Berlin, as its admins see it.
 *
 * @example
 * renderEmail(sampleContext('ROTATION_FAILED', 'en')).subject;
 */
export function sampleContext(event: NotificationEvent, locale: Locale): NotificationContext {
  return {
    event,
    locale,
    audience: 'admin',
    appId: APP,
    timeZone: 'Europe/Berlin',
    occurredAt: '2026-12-05T13:30:00Z',
    ...SAMPLES[event],
  };
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function indexPage(subjects: ReadonlyMap<string, string>): string {
  const rows = NOTIFICATION_EVENTS.map((event) => {
    const cells = LOCALES.map((locale) => {
      const name = `${event}.${locale}`;
      return (
        `<td style="padding:6px 12px;vertical-align:top"><a href="${name}.html">${escapeHtml(subjects.get(name) ?? name)}</a>` +
        ` <small>(<a href="${name}.txt">text</a>)</small></td>`
      );
    });
    return `<tr><th style="padding:6px 12px;text-align:left;vertical-align:top;font-family:monospace">${event}</th>${cells.join('')}</tr>`;
  });
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head><meta charset="utf-8"><title>Rotor emails</title></head>',
    '<body style="font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;margin:24px;color:#1f2933">',
    `<h1 style="font-size:20px">Rotor emails for the sample app ${APP} (admin audience)</h1>`,
    '<table style="border-collapse:collapse">',
    `<tr><th></th>${LOCALES.map((locale) => `<th style="padding:6px 12px;text-align:left">${locale}</th>`).join('')}</tr>`,
    ...rows,
    '</table>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/**
 * Writes every event in both languages as `<event>.<locale>.html` and `.txt` into `dir`, plus an
 * `index.html` that links them, and returns the paths written, the index last.
 *
 * @example
 * const files = await writeAllEmails('emails'); // 40 files (20 emails as HTML and text) + index.html
 */
export async function writeAllEmails(dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  const subjects = new Map<string, string>();
  for (const event of NOTIFICATION_EVENTS) {
    for (const locale of LOCALES) {
      const email = renderEmail(sampleContext(event, locale));
      const name = `${event}.${locale}`;
      subjects.set(name, email.subject);
      for (const [extension, body] of [
        ['html', email.html],
        ['txt', `Subject: ${email.subject}\n\n${email.text}`],
      ] as const) {
        const path = join(dir, `${name}.${extension}`);
        await writeFile(path, body, 'utf8');
        written.push(path);
      }
    }
  }
  const index = join(dir, 'index.html');
  await writeFile(index, indexPage(subjects), 'utf8');
  written.push(index);
  return written;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string', default: 'emails' } } });
  const dir = resolve(values.out);
  const files = await writeAllEmails(dir);
  for (const file of files) console.log(file);
  console.log(`${files.length - 1} emails and index.html written to ${dir}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    console.error(`renderEmails: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
}
