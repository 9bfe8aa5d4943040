import { InvalidArgumentError } from 'commander';
import { isTimeZone, LOCALES, type Locale, MAX_REMIND_BEFORE } from '../lambda/contract/appSettings.ts';
import { parseDuration } from '../lambda/contract/duration.ts';
import { emailAddressMessage, emailAddressProblem } from '../lambda/contract/emailAddress.ts';
import { isAllowedHubSpotApiUrl } from '../lambda/contract/hubspotApi.ts';
import { APP_ID_PATTERN } from '../lambda/contract/ids.ts';
import {
  ALLOWED,
  DURATION_LIMITS,
  parseRemindBefore,
  SECRET_ARN,
  SECRET_NAME,
} from '../lambda/contract/requestRules.ts';
import { containsTokenLikeText } from '../lambda/contract/tokenFormat.ts';
import { MAX_WEBHOOKS_PER_APP, webhookUrlProblem } from '../lambda/contract/webhooks.ts';
import { UsageError } from './io.ts';

/**
 * Checks of command-line values, before any request: a bad one is bad usage (exit 2) with a message
 * that says what is allowed. The words are the API's own (`ALLOWED`), so both say the same.
 */

export function appIdArgument(value: string): string {
  if (!APP_ID_PATTERN.test(value)) throw new InvalidArgumentError(`It must be ${ALLOWED.appId}.`);
  return value;
}

export function durationArgument(name: keyof typeof DURATION_LIMITS) {
  return (value: string): string => {
    const seconds = parseDuration(value);
    const { min, max } = DURATION_LIMITS[name];
    if (seconds === undefined || seconds < min || seconds > max) {
      throw new InvalidArgumentError(`It must be ${ALLOWED[name]}.`);
    }
    return value.trim();
  };
}

function email(value: string): string {
  const problem = emailAddressProblem(value);
  if (problem) throw new InvalidArgumentError(`${emailAddressMessage(value, problem, 'The address')}.`);
  return value;
}

/** `--admin a@x.de` or `--admin b@y.com:en`, repeatable. */
export function adminArgument(value: string, previous: { email: string; locale?: Locale }[] = []) {
  const match = /^(.*?)(?::([a-z]{2}))?$/.exec(value) as RegExpExecArray;
  const locale = match[2];
  if (locale !== undefined && !LOCALES.includes(locale as Locale)) {
    throw new InvalidArgumentError(`The locale after ":" must be one of ${LOCALES.join(', ')}.`);
  }
  const address = email(match[1] ?? '');
  if (previous.length >= 20) throw new InvalidArgumentError('An app has at most 20 admins.');
  return [...previous, { email: address, ...(locale ? { locale: locale as Locale } : {}) }];
}

/** `--customer c@y.de`, repeatable. */
export function customerArgument(value: string, previous: string[] = []) {
  if (previous.length >= 50) throw new InvalidArgumentError('An app has at most 50 customer contacts.');
  return [...previous, email(value)];
}

export function secretArgument(value: string): string {
  if (!SECRET_NAME.test(value) && !SECRET_ARN.test(value))
    throw new InvalidArgumentError(`It must be ${ALLOWED.secret}.`);
  return value;
}

export function timeZoneArgument(value: string): string {
  if (!isTimeZone(value)) throw new InvalidArgumentError(`It must be ${ALLOWED.timeZone}.`);
  return value;
}

export function reasonArgument(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
  const hasControl = /[\u0000-\u001f\u007f]/.test(value);
  if (value.length < 1 || value.length > 500 || hasControl || containsTokenLikeText(value)) {
    throw new InvalidArgumentError(`It must be ${ALLOWED.reason}.`);
  }
  return value;
}

/** `--hub-id 4711`: a HubSpot portal id. */
export function hubIdArgument(value: string): number {
  const id = Number(value);
  if (!/^\d{1,15}$/.test(value) || !Number.isSafeInteger(id) || id <= 0) {
    throw new InvalidArgumentError(`It must be ${ALLOWED.hubId}.`);
  }
  return id;
}

/** `--scope crm.objects.contacts.read`, repeatable. */
export function scopeArgument(value: string, previous: string[] = []): string[] {
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(value) || previous.length >= 100) {
    throw new InvalidArgumentError(`It must be ${ALLOWED.scopes}.`);
  }
  return [...previous, value];
}

export function hubspotApiUrlArgument(value: string): string {
  if (!isAllowedHubSpotApiUrl(value)) throw new InvalidArgumentError(`It must be ${ALLOWED.hubspotApiUrl}.`);
  return value;
}

/** `--webhook <url>`, repeatable: refused with what is wrong with it, never echoed (a webhook URL is a credential). */
export function webhookArgument(value: string, previous: string[] = []): string[] {
  const problem = webhookUrlProblem(value);
  // Not commander's InvalidArgumentError, whose message quotes the argument: the URL is a credential.
  if (problem) throw new UsageError(`--webhook: the URL ${problem}`);
  if (previous.length >= MAX_WEBHOOKS_PER_APP) {
    throw new InvalidArgumentError(`An app may have at most ${MAX_WEBHOOKS_PER_APP} webhooks.`);
  }
  return [...previous, value];
}

/** `--remove-webhook <id>`, repeatable. */
export function webhookIdArgument(value: string, previous: string[] = []): string[] {
  if (!/^wh-[0-9a-f]{10}$/.test(value)) throw new InvalidArgumentError(`It must be ${ALLOWED.webhookId}.`);
  return [...previous, value];
}

/**
 * `--remind-before 30d,7d` (the API's `["30d", "7d"]`) or `--remind-before none` (`[]`). Whether each is
 * shorter than the app's interval the API checks, as it knows the interval.
 */
export function remindBeforeArgument(value: string): string[] {
  if (value.trim() === 'none') return [];
  const values = value.split(',').map((part) => part.trim());
  if (!parseRemindBefore(values)) {
    throw new InvalidArgumentError(
      `It must be at most ${MAX_REMIND_BEFORE} different durations in whole days, comma-separated, each from 1d and shorter than the app's interval, such as 30d,7d, or none.`,
    );
  }
  return values;
}
