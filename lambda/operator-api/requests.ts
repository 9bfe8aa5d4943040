import {
  array,
  maxLength,
  minLength,
  number,
  optional,
  refine,
  regex,
  strictObject,
  string,
  type ZodMiniType,
  enum as zEnum,
} from 'zod/mini';
import { ISSUERS, isTimeZone, LOCALES, MODES, POLICIES } from '../contract/appSettings.ts';
import { parseDuration } from '../contract/duration.ts';
import { emailAddressProblem, emailAddressRefusal, isValidEmailAddress } from '../contract/emailAddress.ts';
import { ValidationError } from '../contract/errors.ts';
import { isAllowedHubSpotApiUrl } from '../contract/hubspotApi.ts';
import { APP_ID_PATTERN, ROTATION_ID_PATTERN } from '../contract/ids.ts';
import {
  ALLOWED,
  DURATION_LIMITS,
  parseRemindBefore,
  SECRET_ARN,
  SECRET_NAME,
} from '../contract/requestRules.ts';
import { containsTokenLikeText } from '../contract/tokenFormat.ts';
import { WEBHOOK_KINDS, webhookUrlProblem } from '../contract/webhooks.ts';

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const NO_CONTROL = /^[^\u0000-\u001f\u007f]*$/;

const text = (allowed: string) => string({ error: `must be ${allowed}` });

function duration(name: keyof typeof DURATION_LIMITS) {
  const { min, max } = DURATION_LIMITS[name];
  return text(ALLOWED[name]).check(
    refine((value) => {
      const seconds = parseDuration(value);
      return seconds !== undefined && seconds >= min && seconds <= max;
    }, `must be ${ALLOWED[name]}`),
  );
}

/** An address SES can send to; a refused one is named (it is no secret) with what is wrong with it. */
const email = text(ALLOWED.email).check(
  refine(isValidEmailAddress, {
    error: (issue) => {
      const value = String(issue.input);
      const problem = emailAddressProblem(value);
      return problem ? emailAddressRefusal(value, problem) : `must be ${ALLOWED.email}`;
    },
  }),
);
const appId = text(ALLOWED.appId).check(regex(APP_ID_PATTERN, `must be ${ALLOWED.appId}`));

/** `["30d", "7d"]`; `[]` for no reminders before the due date. Checked against the interval by the route. */
const remindBefore = array(text(ALLOWED.remindBefore), { error: `must be ${ALLOWED.remindBefore}` }).check(
  refine((values) => parseRemindBefore(values) !== undefined, `must be ${ALLOWED.remindBefore}`),
);
/** Checked against the grace period by the route. */
const noticeBefore = duration('noticeBefore');

export const pathSchemas = {
  appId,
  rotationId: text(ALLOWED.rotationId).check(regex(ROTATION_ID_PATTERN, `must be ${ALLOWED.rotationId}`)),
  webhookId: text(ALLOWED.webhookId).check(regex(/^wh-[0-9a-f]{10}$/, `must be ${ALLOWED.webhookId}`)),
};

/** A webhook to add: its URL (checked by {@link webhookUrlProblem}, never echoed) and its kind. */
export const addWebhookBody = strictObject(
  {
    url: text(ALLOWED.webhookUrl).check(
      refine((value) => webhookUrlProblem(value) === undefined, `must be ${ALLOWED.webhookUrl}`),
    ),
    kind: optional(zEnum(WEBHOOK_KINDS, { error: `must be ${ALLOWED.webhookKind}` })),
  },
  { error: 'must be a JSON object' },
);

export const addAppBody = strictObject(
  {
    appId,
    secret: text(ALLOWED.secret).check(
      refine((value) => SECRET_NAME.test(value) || SECRET_ARN.test(value), `must be ${ALLOWED.secret}`),
    ),
    issuer: optional(zEnum(ISSUERS, { error: `must be ${ALLOWED.issuer}` })),
    admins: optional(
      array(
        strictObject(
          {
            email,
            locale: optional(zEnum(LOCALES, { error: `must be ${ALLOWED.locale}` })),
          },
          { error: `must be ${ALLOWED.admins}` },
        ),
        { error: `must be ${ALLOWED.admins}` },
      ).check(minLength(1, `must be ${ALLOWED.admins}`), maxLength(20, `must be ${ALLOWED.admins}`)),
    ),
    customers: optional(
      array(email, { error: `must be ${ALLOWED.customers}` }).check(
        maxLength(50, `must be ${ALLOWED.customers}`),
      ),
    ),
    locale: optional(zEnum(LOCALES, { error: `must be ${ALLOWED.locale}` })),
    timeZone: optional(
      text(ALLOWED.timeZone).check(
        maxLength(64, `must be ${ALLOWED.timeZone}`),
        refine(isTimeZone, `must be ${ALLOWED.timeZone}`),
      ),
    ),
    interval: optional(duration('interval')),
    grace: optional(duration('grace')),
    reminderRepeat: optional(duration('reminderRepeat')),
    policy: optional(zEnum(POLICIES, { error: `must be ${ALLOWED.policy}` })),
    defaultMode: optional(zEnum(MODES, { error: `must be ${ALLOWED.mode}` })),
    hubId: optional(
      number({ error: `must be ${ALLOWED.hubId}` }).check(
        refine((value) => Number.isSafeInteger(value) && value > 0, `must be ${ALLOWED.hubId}`),
      ),
    ),
    scopes: optional(
      array(text(ALLOWED.scopes).check(regex(/^[A-Za-z0-9._-]{1,100}$/, `must be ${ALLOWED.scopes}`)), {
        error: `must be ${ALLOWED.scopes}`,
      }).check(maxLength(100, `must be ${ALLOWED.scopes}`)),
    ),
    hubspotApiUrl: optional(
      text(ALLOWED.hubspotApiUrl).check(
        maxLength(200, `must be ${ALLOWED.hubspotApiUrl}`),
        refine(isAllowedHubSpotApiUrl, `must be ${ALLOWED.hubspotApiUrl}`),
      ),
    ),
    handoffTimeout: optional(duration('handoffTimeout')),
    remindBefore: optional(remindBefore),
    noticeBefore: optional(noticeBefore),
  },
  { error: 'must be a JSON object' },
);

/**
 * `rotor apps update`: the settings to change, each optional and at least one of them (the route checks
 * that, naming these fields); any other field is refused. A new setting is one more optional field here.
 */
export const updateAppBody = strictObject(
  {
    remindBefore: optional(remindBefore),
    noticeBefore: optional(noticeBefore),
  },
  { error: 'must be a JSON object' },
);

/** `rotor submit`: the new HubSpot token, and nothing else. */
export const submitTokenBody = strictObject(
  {
    token: text(ALLOWED.token).check(
      minLength(1, `must be ${ALLOWED.token}`),
      maxLength(512, `must be ${ALLOWED.token}`),
    ),
  },
  { error: 'must be a JSON object' },
);

export const startRotationBody = strictObject(
  {
    mode: zEnum(MODES, { error: `must be ${ALLOWED.mode}` }),
    grace: optional(duration('grace')),
    reason: optional(
      text(ALLOWED.reason).check(
        minLength(1, `must be ${ALLOWED.reason}`),
        maxLength(500, `must be ${ALLOWED.reason}`),
        regex(NO_CONTROL, `must be ${ALLOWED.reason}`),
        // A reason is mailed and kept in the history: a token pasted into it would be too.
        refine((value) => !containsTokenLikeText(value), `must be ${ALLOWED.reason}`),
      ),
    ),
  },
  { error: 'must be a JSON object' },
);

/** expire-now and cancel take no fields: the app's rotation in its grace period is the one they end. */
export const emptyBody = strictObject({}, { error: 'must be a JSON object' });

export const auditQuery = strictObject({
  since: optional(duration('since')),
  app: optional(appId),
});

export const noQuery = strictObject({});

function fieldName(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (name, key) =>
      typeof key === 'number' ? `${name}[${key}]` : name ? `${name}.${String(key)}` : String(key),
    '',
  );
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

export function shapeKeys(schema: ZodMiniType): string[] {
  const shape = (schema as unknown as { def?: { shape?: Record<string, unknown> } }).def?.shape;
  return shape ? Object.keys(shape) : [];
}

/**
 * Checks one part of a request (`body`, `query` or `path`) against its schema. A bad value fails with
 * a ValidationError whose message is one sentence naming the field and what is allowed; it never
 * echoes the value, which could be anything (except a refused email address, shown escaped: it is
 * no secret, and naming it says which one of a list is wrong).
 */
export function parseRequestPart<Schema extends ZodMiniType>(
  part: 'body' | 'query parameter' | 'path parameter',
  schema: Schema,
  input: unknown,
  /** The name of a single value (a path or query parameter) checked on its own. */
  name?: string,
): ReturnType<Schema['parse']> {
  const result = schema.safeParse(input);
  if (result.success) return result.data as ReturnType<Schema['parse']>;
  const issue = result.error.issues[0];
  const path = issue?.path ?? [];
  const field = name ?? fieldName(path);
  const noun = part === 'body' ? 'Field' : part === 'query parameter' ? 'Query parameter' : 'Path parameter';
  if (issue?.code === 'unrecognized_keys') {
    const unknown = (issue as { keys?: string[] }).keys?.[0] ?? '?';
    const name = field ? `${field}.${unknown}` : unknown;
    const allowed = shapeKeys(schema);
    throw new ValidationError(
      `${noun} ${JSON.stringify(name).slice(0, 60)} is not allowed; ${
        allowed.length > 0
          ? `allowed: ${allowed.join(', ')}`
          : `this request takes no ${part === 'body' ? 'body fields' : `${part}s`}`
      }`,
    );
  }
  if (!field) {
    throw new ValidationError(
      part === 'body'
        ? `The request body must be a JSON object${shapeKeys(schema).length > 0 ? ` with the fields ${shapeKeys(schema).join(', ')}` : ''}`
        : `The ${part}s are malformed`,
    );
  }
  const missing = (name ? input : valueAt(input, path)) === undefined;
  const message = issue?.message ?? 'is not valid';
  throw new ValidationError(
    missing ? `${noun} ${field} is missing; it ${message}` : `${noun} ${field} ${message}`,
  );
}

/** Parses a JSON request body; an empty body is `{}`. */
export function parseJsonBody(body: string | null | undefined, isBase64Encoded = false): unknown {
  const raw = isBase64Encoded && body ? Buffer.from(body, 'base64').toString('utf8') : body;
  if (raw === null || raw === undefined || raw.trim() === '') return {};
  try {
    return JSON.parse(raw);
  } catch {
    throw new ValidationError('The request body must be a JSON object, and this one is not valid JSON');
  }
}
