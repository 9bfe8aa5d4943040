/**
 * What an app's settings may be (issuer, rotation mode, locale, policy, time zone) and the defaults a
 * new app gets from the deployment: the words the operator API, the CLI and the stack's settings
 * share. Plain data, no AWS SDK.
 */

/** The tag that names the Rotor app a secret belongs to; the rotation hook reads it. */
export const APP_TAG = 'rotor:app';

export const ISSUERS = ['managed', 'hubspot'] as const;
export type Issuer = (typeof ISSUERS)[number];

export const MODES = ['expire-now', 'expire-later'] as const;
/** `expire-now`: the old token dies at once. `expire-later`: it stays valid for the grace period. */
export type RotationMode = (typeof MODES)[number];

export const LOCALES = ['de', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

export const POLICIES = ['auto', 'remind'] as const;
/** What the daily sweep does with an app whose token is older than its interval. */
export type RotationPolicy = (typeof POLICIES)[number];

/** Whether `value` is an IANA time zone this runtime knows, e.g. `Europe/Berlin`. */
export function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** The defaults of a new app, from the deployment's settings (the stack passes them as `APP_DEFAULTS`). */
export interface AppDefaults {
  readonly admins: readonly string[];
  readonly locale: Locale;
  readonly timeZone: string;
  readonly intervalSeconds: number;
  readonly graceSeconds: number;
  readonly reminderRepeatSeconds: number;
}

/**
 * How long before a token becomes due (is as old as the app's interval) the daily sweep reminds the
 * admins with ROTATION_DUE_SOON, unless the app names other times (`--remind-before`, `none` for none).
 */
export const DEFAULT_REMIND_BEFORE_SECONDS: readonly number[] = [30 * 86_400, 7 * 86_400];

/** The most before-due reminders an app may have. */
export const MAX_REMIND_BEFORE = 5;

/**
 * How long before a grace period ends the pre-expiry notice (TOKEN_EXPIRES_IN_24H, named after HubSpot's
 * 24 hours) goes out, unless the app names another time (`--notice-before`).
 */
export const DEFAULT_NOTICE_BEFORE_SECONDS = 24 * 3600;
