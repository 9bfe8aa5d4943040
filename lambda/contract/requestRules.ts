/**
 * The rules of the operator API's fields that the CLI checks too, before any request: what each
 * field accepts in words, the bounds of each duration, and what a secret's name or ARN may be. The
 * schemas that apply them to request bodies are `lambda/operator-api/requests.ts`.
 */

import { ISSUERS, LOCALES, MAX_REMIND_BEFORE, MODES, POLICIES } from './appSettings.ts';
import { formatDuration, formatTimeBefore, parseDuration } from './duration.ts';
import { EMAIL_ADDRESS_RULE } from './emailAddress.ts';

/**
 * What every field of the operator API accepts, in words: the 400 answer is "Field <name> must be
 * <this>." Kept here once, so the schemas and the messages never disagree.
 */
export const ALLOWED = {
  appId: 'an app id: 3-48 lowercase letters, digits and "-", starting with a letter or digit',
  rotationId: 'a rotation id: 1-80 letters, digits, "-" or "_"',
  secret: 'a secret name such as "rotor/billing-api" or a Secrets Manager secret ARN',
  webhookUrl:
    'an https:// URL of at most 2000 characters without a user name or password (http:// only to 127.0.0.1 or localhost)',
  webhookKind: 'one of json, slack, teams',
  webhookId: 'a webhook id such as "wh-0a1b2c3d4e", as "rotor apps show" lists it',
  issuer: `one of ${ISSUERS.join(', ')}`,
  admins: 'a list of 1 to 20 admins, each {"email": "...", "locale": "de" or "en"}',
  email: EMAIL_ADDRESS_RULE,
  customers: 'a list of at most 50 email addresses',
  locale: `one of ${LOCALES.join(', ')}`,
  timeZone: 'an IANA time zone such as "Europe/Berlin"',
  interval: 'a duration from 1d to 3650d, such as "180d"',
  grace: 'a duration from 1h to 30d, such as "7d"',
  reminderRepeat: 'a duration from 1d to 365d, such as "30d"',
  policy: `one of ${POLICIES.join(', ')}`,
  mode: `one of ${MODES.join(', ')}`,
  reason: 'a text of 1 to 500 characters without control characters and without a token in it',
  since: 'a duration from 1m to 90d, such as "7d"',
  hubId: 'a HubSpot portal id (hub id): a whole number such as 4711',
  scopes: 'a list of at most 100 HubSpot scopes such as "crm.objects.contacts.read"',
  hubspotApiUrl: 'an https:// URL such as "https://api.hubapi.com"',
  handoffTimeout: 'a duration from 1d to 30d, such as "7d"',
  remindBefore: `a list of at most ${MAX_REMIND_BEFORE} different durations in whole days, each from 1d and shorter than the app's interval, such as ["30d", "7d"] ([] for no reminders before the due date)`,
  noticeBefore: `a duration from 1h, shorter than the app's grace period, such as "24h"`,
  token: 'the new HubSpot token: one line of 10 to 512 printable characters',
} as const;

const DAY = 86_400;
/** The least and most seconds each duration field takes. */
export const DURATION_LIMITS = {
  interval: { min: DAY, max: 3650 * DAY },
  grace: { min: 3600, max: 30 * DAY },
  reminderRepeat: { min: DAY, max: 365 * DAY },
  since: { min: 60, max: 90 * DAY },
  handoffTimeout: { min: DAY, max: 30 * DAY },
  noticeBefore: { min: 3600, max: 30 * DAY },
} as const;

/**
 * Parses the before-due reminder times of an app (`["30d", "7d"]`) into seconds, longest first, or
 * `undefined` when they are not {@link ALLOWED}`.remindBefore` by themselves (the interval is checked by
 * {@link remindBeforeProblem}, which needs the app).
 */
export function parseRemindBefore(values: readonly string[]): number[] | undefined {
  if (values.length > MAX_REMIND_BEFORE) return undefined;
  const seconds = values.map((value) => parseDuration(value));
  if (seconds.some((value) => value === undefined || value < DAY || value % DAY !== 0)) return undefined;
  const distinct = new Set(seconds as number[]);
  if (distinct.size !== seconds.length) return undefined;
  return [...distinct].sort((a, b) => b - a);
}

/** Why before-due reminders do not fit an app's interval (each must come after the token was issued), or `undefined`. */
export function remindBeforeProblem(seconds: readonly number[], intervalSeconds: number): string | undefined {
  const tooLong = seconds.find((value) => value >= intervalSeconds);
  return tooLong === undefined
    ? undefined
    : `${formatDuration(tooLong)} is not shorter than the interval ${formatDuration(intervalSeconds)}`;
}

/** Why a pre-expiry notice time does not fit an app's grace period, or `undefined`. */
export function noticeBeforeProblem(seconds: number, graceSeconds: number): string | undefined {
  return seconds < graceSeconds
    ? undefined
    : `${formatTimeBefore(seconds)} is not shorter than the grace period ${formatTimeBefore(graceSeconds)}`;
}

/** A secret's name or ARN, as Secrets Manager allows them (the CLI checks the same). */
export const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
export const SECRET_ARN =
  /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$/;
