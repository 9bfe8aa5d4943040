import { z } from 'zod';
import { isTimeZone, LOCALES, type Locale } from '../lambda/contract/appSettings.ts';
import { DAY_SECONDS, HOUR_SECONDS, parseDuration } from '../lambda/contract/duration.ts';
import { emailAddressProblem, emailAddressRefusal } from '../lambda/contract/emailAddress.ts';
import { ConfigurationError } from '../lambda/contract/errors.ts';
import { DEFAULT_HUBSPOT_API_URL, isAllowedHubSpotApiUrl } from '../lambda/contract/hubspotApi.ts';
import { DEFAULT_EVENT_BUS } from '../lambda/contract/rotorEvents.ts';
import { TOKEN_PREFIX_PATTERN } from '../lambda/contract/tokenFormat.ts';

/** The settings of one Rotor deployment, checked; durations in seconds. */
export interface RotorConfig {
  readonly stackName: string;
  readonly region: string;
  readonly account?: string;
  readonly senderAddress: string;
  readonly defaultAdmins: readonly string[];
  readonly timeZone: string;
  /** `HH:MM` in `timeZone`. */
  readonly sweepTime: string;
  readonly intervalSeconds: number;
  readonly graceSeconds: number;
  readonly reminderRepeatSeconds: number;
  readonly locale: Locale;
  readonly tokenPrefix: string;
  /** Rotor's functions may touch only secrets whose names start with this. */
  readonly secretNamePrefix: string;
  /** HubSpot's API for apps with issuer hubspot that name none of their own. */
  readonly hubspotApiUrl: string;
  /** The event bus Rotor puts its events on: the account's default bus, or one the deployer made. */
  readonly eventBusName: string;
  /** The account's SES maximum send rate (recipients a second): the daily sweep's emails keep within it. */
  readonly sesSendRate: number;
  /** Apps per sweep batch execution (about 18 history events each, of AWS's 25,000 an execution). */
  readonly sweepBatchSize: number;
}

function duration(min: number, max: number, allowed: string) {
  return z.string().transform((text, ctx) => {
    const seconds = parseDuration(text);
    if (seconds === undefined || seconds < min || seconds > max) {
      ctx.addIssue({ code: 'custom', message: allowed });
      return z.NEVER;
    }
    return seconds;
  });
}

/** An address SES can send to or from; a refused one is named with what is wrong with it. */
const email = z.string().superRefine((value, ctx) => {
  const problem = emailAddressProblem(value);
  if (problem) {
    ctx.addIssue({
      code: 'custom',
      message: emailAddressRefusal(value, problem),
    });
  }
});

/** Each key with its default and, in its message, what is allowed. */
const configSchema = z.object({
  stackName: z
    .string()
    .regex(
      /^[A-Za-z][A-Za-z0-9-]{0,127}$/,
      'must be a CloudFormation stack name: a letter, then letters, digits or "-"',
    )
    .default('Rotor'),
  region: z
    .string({ error: 'must be set to the AWS region to deploy to, such as "eu-central-1"' })
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as "eu-central-1"'),
  account: z
    .string()
    .regex(/^\d{12}$/, 'must be a 12-digit AWS account id')
    .optional(),
  senderAddress: z.string({ error: 'must be set to the verified SES sender address' }).pipe(email),
  defaultAdmins: z.array(email, { error: 'must be a list of email addresses' }).default([]),
  timeZone: z
    .string()
    .refine(isTimeZone, 'must be an IANA time zone such as "Europe/Berlin"')
    .default('Europe/Berlin'),
  sweepTime: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day as HH:MM, such as "06:00"')
    .default('06:00'),
  interval: duration(
    DAY_SECONDS,
    3650 * DAY_SECONDS,
    'must be a duration from 1d to 3650d, such as "180d"',
  ).default(180 * DAY_SECONDS),
  grace: duration(HOUR_SECONDS, 30 * DAY_SECONDS, 'must be a duration from 1h to 30d, such as "7d"').default(
    7 * DAY_SECONDS,
  ),
  reminderRepeat: duration(
    DAY_SECONDS,
    365 * DAY_SECONDS,
    'must be a duration from 1d to 365d, such as "30d"',
  ).default(30 * DAY_SECONDS),
  locale: z.enum(LOCALES, { error: `must be one of ${LOCALES.join(', ')}` }).default('de'),
  tokenPrefix: z
    .string()
    .regex(TOKEN_PREFIX_PATTERN, 'must be 2-10 lowercase letters or digits ending in "_", such as "rtr_"')
    .default('rtr_'),
  secretNamePrefix: z
    .string()
    .regex(/^[A-Za-z0-9_+=.@-]+\/$/, 'must be a secret name prefix ending in "/", such as "rotor/"')
    .default('rotor/'),
  hubspotApiUrl: z
    .string()
    .refine(isAllowedHubSpotApiUrl, 'must be an https:// URL such as "https://api.hubapi.com"')
    .default(DEFAULT_HUBSPOT_API_URL),
  eventBusName: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,256}$/, 'must be the name of an event bus in the account, such as "default"')
    .default(DEFAULT_EVENT_BUS),
  // SES's usual start for an account out of the sandbox; the account's own is in the SES console.
  sesSendRate: z.coerce
    .number({ error: 'must be a number of recipients a second from 1 to 10000, such as 14' })
    .min(1, 'must be a number of recipients a second from 1 to 10000, such as 14')
    .max(10_000, 'must be a number of recipients a second from 1 to 10000, such as 14')
    .default(14),
  sweepBatchSize: z.coerce
    .number({ error: 'must be a whole number of apps from 1 to 1000, such as 500' })
    .int('must be a whole number of apps from 1 to 1000, such as 500')
    .min(1, 'must be a whole number of apps from 1 to 1000, such as 500')
    .max(1000, 'must be a whole number of apps from 1 to 1000, such as 500')
    .default(500),
});

const KEYS = Object.keys(configSchema.shape);

/**
 * Checks the deployment settings (from cdk.json's `rotor` context object, with any
 * `-c rotor.<key>=value` on the command line taking precedence). The first bad value stops the
 * build with one line that names the key and says what is allowed.
 *
 * @example
 * const config = parseRotorConfig({ region: 'eu-central-1', senderAddress: 'rotor@example.com' });
 */
export function parseRotorConfig(raw: unknown): RotorConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigurationError(
      'Rotor settings must be an object under the "rotor" context key in cdk.json',
    );
  }
  const unknownKey = Object.keys(raw).find((key) => !KEYS.includes(key));
  if (unknownKey) {
    throw new ConfigurationError(
      `Rotor setting "${unknownKey}" is not known; allowed keys: ${KEYS.join(', ')}`,
    );
  }
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const key = issue?.path.join('.') ?? '';
    const value = key ? (raw as Record<string, unknown>)[String(issue?.path[0])] : undefined;
    const got = value === undefined ? 'it is missing' : `got ${JSON.stringify(value)}`;
    throw new ConfigurationError(`Rotor setting "${key}" ${issue?.message} (${got})`);
  }
  const { interval, grace, reminderRepeat, ...rest } = result.data;
  return { ...rest, intervalSeconds: interval, graceSeconds: grace, reminderRepeatSeconds: reminderRepeat };
}

/**
 * Reads the settings from a CDK context lookup: the `rotor` object, then per-key overrides
 * such as `cdk synth -c rotor.grace=3d`.
 */
export function rotorConfigFromContext(tryGetContext: (key: string) => unknown): RotorConfig {
  const base = tryGetContext('rotor') ?? {};
  const merged: Record<string, unknown> = typeof base === 'object' && base !== null ? { ...base } : {};
  for (const key of KEYS) {
    const override = tryGetContext(`rotor.${key}`);
    if (override === undefined) continue;
    merged[key] = key === 'defaultAdmins' && typeof override === 'string' ? override.split(',') : override;
  }
  return parseRotorConfig(typeof base === 'object' && base !== null ? merged : base);
}
