import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_ID_PATTERN } from '../../lambda/contract/ids.ts';
import { startRotationBody } from '../../lambda/operator-api/requests.ts';
import { enroll, uniqueAppId } from '../support/localSystem.ts';
import {
  type ApiTestSystem,
  type CallOptions,
  isOneSentence,
  startApiTestSystem,
} from '../support/operatorApi.ts';

/**
 * A thousand and more malformed requests, signed, against the real handler: none may get a 5xx, crash
 * the API, change the registry, or answer with anything but one sentence.
 */
let env: ApiTestSystem;
/** Registered in beforeAll; the arbitraries below aim at them. */
const appIds = [uniqueAppId('fuzz'), uniqueAppId('fuzz')];

async function snapshot(): Promise<string> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await env.system.documentClient.send(
      new ScanCommand({ TableName: env.system.tableName, ExclusiveStartKey: startKey, ConsistentRead: true }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return JSON.stringify(items.sort((a, b) => `${a.pk}${a.sk}`.localeCompare(`${b.pk}${b.sk}`)));
}

beforeAll(async () => {
  env = await startApiTestSystem();
  for (const appId of appIds) await enroll(env.system, { appId });
});

afterAll(async () => {
  await env?.close();
});

interface Malformed {
  readonly method: string;
  readonly path: string;
  readonly options: CallOptions;
}

const junk = fc.string({ maxLength: 40, unit: 'binary' });
const badAppId = fc.oneof(
  junk.filter((text) => !APP_ID_PATTERN.test(text) && text.length > 0),
  fc.constantFrom('A', 'ab', 'UPPER-case', '-leading', 'a'.repeat(49), 'has space', '..', 'rotor/x', '%zz'),
);
/** An id that is well formed but not registered: a 404, never a change. */
const unknownAppId = fc.stringMatching(/^zz[a-z0-9-]{2,20}$/);
const segment = (id: fc.Arbitrary<string>) => id.map((text) => encodeURIComponent(text));
const knownAppId = () => fc.constantFrom(...appIds);
const query = fc.dictionary(
  fc.string({ maxLength: 10 }).filter((key) => key.length > 0),
  junk,
  { maxKeys: 3 },
);
const jsonJunk = fc.oneof(
  fc.jsonValue(),
  // fc.stringify, not String(): an object with a non-function toString cannot become a string.
  fc.anything().map((value) => fc.stringify(value)),
);
const rawJunk = fc.oneof(
  junk,
  fc.constantFrom('{', '{"mode":', '[1,2', 'null', '"expire-now"', '{"mode": "expire-now",}'),
);

/** A rotation body that is never valid: a bad mode, a bad grace, a bad reason, or an unknown field. */
const badRotationBody = fc
  .record({
    mode: fc.oneof(fc.constantFrom('expire-now', 'expire-later'), junk, fc.integer()),
    grace: fc.option(fc.oneof(junk, fc.constantFrom('0h', '31d', '7x', '7 d', '1m', '-1d')), {
      nil: undefined,
    }),
    reason: fc.option(
      fc.oneof(fc.constant(''), fc.string({ minLength: 501, maxLength: 600 }), fc.constant('a\u0000b')),
      {
        nil: undefined,
      },
    ),
    extra: fc.option(
      fc.dictionary(fc.constantFrom('force', 'app', 'token', '__proto__x'), fc.jsonValue(), { minKeys: 1 }),
      {
        nil: undefined,
      },
    ),
  })
  .map(({ extra, ...fields }) => ({
    ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)),
    ...extra,
  }))
  .filter((body) => !startRotationBody.safeParse(body).success);

/** An app registration that is never valid: every case breaks at least one field. */
const badAddBody = fc.oneof(
  jsonJunk,
  fc.record({
    appId: badAppId,
    secret: fc.constant('rotor/x'),
    admins: fc.constant([{ email: 'a@example.com' }]),
  }),
  fc.record({ appId: unknownAppId, secret: junk.filter((s) => !/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(s)) }),
  fc.record({
    appId: unknownAppId,
    secret: fc.constant('rotor/x'),
    admins: fc.array(
      junk.map((email) => ({ email })),
      { minLength: 1, maxLength: 3 },
    ),
  }),
  fc.record({
    appId: unknownAppId,
    secret: fc.constant('rotor/x'),
    admins: fc.constant([{ email: 'a@example.com' }]),
    grace: junk,
  }),
  fc.record({
    appId: unknownAppId,
    secret: fc.constant('rotor/x'),
    admins: fc.constant([{ email: 'a@example.com' }]),
    colour: fc.jsonValue(),
  }),
  fc.record({
    appId: unknownAppId,
    secret: fc.constant('rotor/x'),
    admins: fc.constant([{ email: 'a@example.com' }]),
    issuer: fc.constantFrom('hubspot', 'self', ''),
  }),
);

const body = (value: fc.Arbitrary<unknown>) => value.map((json) => ({ body: json }) as CallOptions);
const raw = rawJunk.map((text) => ({ rawBody: text }) as CallOptions);

const malformed: fc.Arbitrary<Malformed> = fc.oneof(
  // Unknown paths and methods.
  fc.record({
    method: fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'PATCH'),
    path: fc.array(segment(junk), { minLength: 0, maxLength: 5 }).map((parts) => `/${parts.join('/')}`),
    options: fc.oneof(fc.constant({}), body(jsonJunk)),
  }),
  // Malformed app ids on every app route.
  fc.record({
    method: fc.constantFrom('GET', 'POST', 'DELETE'),
    path: fc
      .tuple(segment(badAppId), fc.constantFrom('', '/rotations', '/expire-now', '/cancel', '/rotations/r-1'))
      .map(([id, rest]) => `/apps/${id}${rest}`),
    options: fc.oneof(fc.constant({}), body(jsonJunk)),
  }),
  // Well-formed but unknown apps: 404 everywhere.
  fc.record({
    method: fc.constantFrom('GET', 'POST', 'DELETE'),
    path: fc
      .tuple(unknownAppId, fc.constantFrom('', '/rotations', '/expire-now', '/cancel'))
      .map(([id, rest]) => `/apps/${id}${rest}`),
    options: fc.constant({}),
  }),
  // Registered apps, bad rotation requests.
  fc.record({
    method: fc.constant('POST'),
    path: knownAppId().map((id) => `/apps/${id}/rotations`),
    options: fc.oneof(body(badRotationBody), raw),
  }),
  // Registered apps: expire-now, cancel and remove with a body they do not take.
  fc
    .record({
      method: fc.constantFrom('POST', 'DELETE'),
      path: fc
        .tuple(knownAppId(), fc.constantFrom('/expire-now', '/cancel', ''))
        .map(([id, rest]) => `/apps/${id}${rest}`),
      options: fc.oneof(
        body(
          fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.jsonValue(), {
            minKeys: 1,
            maxKeys: 3,
          }),
        ),
        raw.filter((options) => !/^\s*(\{\s*\})?\s*$/.test(options.rawBody ?? '')),
      ),
    })
    .filter(
      (request) =>
        !(request.method === 'POST' && request.path.endsWith(`/apps/${request.path.split('/')[2]}`)),
    ),
  // Bad registrations.
  fc.record({
    method: fc.constant('POST'),
    path: fc.constant('/apps'),
    options: fc.oneof(body(badAddBody), raw),
  }),
  // Reads with query parameters they do not take, or bad ones.
  fc.record({
    method: fc.constant('GET'),
    path: fc.oneof(
      fc.constant('/audit'),
      fc.constant('/apps'),
      knownAppId().map((id) => `/apps/${id}/rotations/${'x'.repeat(81)}`),
    ),
    options: query
      .filter((q) => Object.keys(q).some((key) => key !== 'since' && key !== 'app') || 'since' in q)
      .map((q) => ({ query: q }) as CallOptions),
  }),
);

describe('Operator API: malformed requests (fast-check)', () => {
  it('answers 1,200 malformed requests with a 4xx and one sentence, and changes nothing', async () => {
    // Prepare
    const before = await snapshot();
    const seen = new Map<number, number>();

    // Act
    await fc.assert(
      fc.asyncProperty(malformed, async ({ method, path, options: given }) => {
        // fetch sends no body with a GET.
        const options = method === 'GET' ? { ...(given.query ? { query: given.query } : {}) } : given;
        const answer = await env.call(method, path, options);
        seen.set(answer.status, (seen.get(answer.status) ?? 0) + 1);
        // Assess (each)
        expect(
          answer.status,
          `${method} ${path} ${JSON.stringify(options)} → ${answer.text}`,
        ).toBeGreaterThanOrEqual(400);
        expect(answer.status, `${method} ${path} ${JSON.stringify(options)} → ${answer.text}`).toBeLessThan(
          500,
        );
        expect(isOneSentence(answer.body?.message), `${method} ${path} → ${answer.text}`).toBe(true);
      }),
      { numRuns: 1200 },
    );

    // Assess
    expect(await snapshot()).toBe(before);
    expect([...seen.keys()].sort()).toEqual(expect.arrayContaining([400, 404]));
    expect((await env.call('GET', '/apps')).status).toBe(200);
  });
});

describe('Operator API: awkward query names', () => {
  it('treats query parameters named like Object.prototype members as what they are: unknown', async () => {
    for (const name of ['toString', '__proto__', 'constructor', 'hasOwnProperty']) {
      const answer = await env.call('GET', '/apps', { query: { [name]: 'x' } });
      expect(answer.status, answer.text).toBe(400);
      expect(answer.body.message).toBe(
        `Query parameter "${name}" is not allowed; this request takes no query parameters.`,
      );
    }
  });
});
