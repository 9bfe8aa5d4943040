import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken, parseSecret, serializeSecret } from '../../lambda/domain/tokens.ts';
import { accepts, emailsAbout, eventually, uniqueAppId } from '../support/localSystem.ts';
import {
  ALICE,
  type ApiAnswer,
  type ApiTestSystem,
  arnOf,
  BOB,
  type CallOptions,
  isOneSentence,
  READER,
  signedRequest,
  startApiTestSystem,
} from '../support/operatorApi.ts';

/**
 * The operator API through the local API server (SigV4 verified, the real handler in process) against
 * the stand-ins and the real workflows. Grace periods run in real time, so an expire-later rotation
 * with a one-hour grace period is still waiting when a test acts on it.
 */
let env: ApiTestSystem;
const answers: string[] = [];
const logLines: string[] = [];
const appIds: string[] = [];

async function call(method: string, path: string, options?: CallOptions): Promise<ApiAnswer> {
  const answer = await env.call(method, path, options);
  answers.push(answer.text);
  return answer;
}

async function addApp(extra: Record<string, unknown> = {}, user = ALICE) {
  const appId = uniqueAppId('api');
  appIds.push(appId);
  const answer = await call('POST', '/apps', {
    user,
    body: { appId, secret: `rotor/${appId}`, admins: [{ email: `ops@${appId}.example` }], ...extra },
  });
  expect(answer.status, answer.text).toBe(201);
  return appId;
}

async function inGrace(appId: string) {
  const started = await call('POST', `/apps/${appId}/rotations`, {
    body: { mode: 'expire-later', grace: '1h', reason: 'quarterly rotation' },
  });
  expect(started.status, started.text).toBe(202);
  await eventually(async () => (await env.system.registry.apps.getApp(appId)).state === 'GRACE');
  return started.body.rotation as { rotationId: string; oldVersionId: string; newVersionId: string };
}

async function auditOf(appId: string) {
  const answer = await call('GET', '/audit', { query: { since: '1h', app: appId } });
  expect(answer.status).toBe(200);
  return answer.body.events as { action: string; actor: string; outcome: string; detail?: string }[];
}

beforeAll(async () => {
  // The functions log at INFO, as deployed: their request logs are searched for token values below.
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
  env = await startApiTestSystem({ retryIntervalOverrides: { CheckPromotion: 400 } });
  const write = process.stdout.write.bind(process.stdout);
  // The handler's request log goes to stdout as JSON lines; keep them to look for token values.
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = String(chunk);
    if (text.includes('rotor-operator-api')) {
      logLines.push(text);
      return true;
    }
    return (write as (chunk: string | Uint8Array, ...rest: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write;
});

afterAll(async () => {
  await env?.close();
});

describe('Operator API: apps', () => {
  it('apps add creates a tagged secret with rotation through the hook and records the app (201)', async () => {
    // Act
    const appId = await addApp({ grace: '2h', locale: 'en', policy: 'auto', customers: ['c@example.com'] });

    // Assess
    const secret = await env.system.secretsManager.send(
      new DescribeSecretCommand({ SecretId: `rotor/${appId}` }),
    );
    expect(secret.Tags).toContainEqual({ Key: 'rotor:app', Value: appId });
    expect(secret.RotationEnabled).toBe(true);
    expect(secret.RotationLambdaARN).toBe(env.system.rotationHookArn);
    // Secrets Manager's trial testSecret passed and left no AWSPENDING version behind.
    expect(Object.values(secret.VersionIdsToStages ?? {})).toEqual([['AWSCURRENT']]);
    expect(
      env.system.secretsManagerRotations.rotationErrors.filter((failure) => failure.secretArn === secret.ARN),
    ).toEqual([]);
    expect(await env.system.registry.rotations.listRotations(appId)).toEqual([]);
    const app = await env.system.registry.apps.getApp(appId);
    expect(app).toMatchObject({ state: 'ACTIVE', graceSeconds: 7200, locale: 'en', policy: 'auto' });
    const events = await auditOf(appId);
    expect(events).toEqual([
      expect.objectContaining({ action: 'app.add', actor: arnOf(ALICE), outcome: 'succeeded' }),
    ]);
  });

  it('apps add adopts the current token of an existing secret', async () => {
    // Prepare
    const appId = uniqueAppId('adopt');
    appIds.push(appId);
    const created = await env.system.secretsManager.send(
      new CreateSecretCommand({
        Name: `rotor/${appId}`,
        SecretString: serializeSecret({ token: mintToken('rtr_'), issuedAt: '2026-01-01T00:00:00.000Z' }),
      }),
    );

    // Act
    const answer = await call('POST', '/apps', {
      body: { appId, secret: created.ARN, admins: [{ email: 'a@example.com', locale: 'en' }] },
    });

    // Assess
    expect(answer.status, answer.text).toBe(201);
    expect(answer.body.message).toContain('adopted');
    expect(answer.body.app).toMatchObject({
      appId,
      currentVersionId: created.VersionId,
      tokenIssuedAt: '2026-01-01T00:00:00.000Z',
    });
  });

  it('apps add refuses a taken id (409, audited), a foreign prefix, a hubspot app without its portal and no admins (400)', async () => {
    const appId = await addApp();
    const taken = await call('POST', '/apps', {
      user: BOB,
      body: { appId, secret: `rotor/${appId}-2`, admins: [{ email: 'a@example.com' }] },
    });
    expect(taken.status).toBe(409);
    expect(taken.body.message).toBe(`App "${appId}" is already registered.`);
    expect(await auditOf(appId)).toContainEqual(
      expect.objectContaining({ action: 'app.add', actor: arnOf(BOB), outcome: 'refused' }),
    );

    const other = uniqueAppId('api');
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ secret: 'other/x' }, /outside this deployment's secret name prefix "rotor\/"/],
      [{ issuer: 'hubspot' }, /^Field hubId is missing; a hubspot app needs its HubSpot portal id/],
      [{ hubId: 4711 }, /^Field hubId is only for issuer hubspot\.$/],
      [{ admins: [] }, /^Field admins must be a list of 1 to 20 admins/],
      [
        { admins: [{ email: 'not-an-email' }] },
        /^Field admins\[0\]\.email is not an address SES takes: "not-an-email" has no "@"; it must be one bare address such as "ops@example.com" in 7-bit ASCII/,
      ],
      // SES takes only 7-bit ASCII addresses: the first email to these would fail on AWS.
      [
        { admins: [{ email: 'ädmin@bücher.example' }] },
        /^Field admins\[0\]\.email is not an address SES takes: "ädmin@bücher.example" has the non-ASCII character "ä" before the "@"/,
      ],
      [
        { admins: [{ email: 'admin@bücher.example' }] },
        /SES takes only in punycode: "xn--bcher-kva\.example"/,
      ],
      [
        { admins: [{ email: 'a;b@c.example' }] },
        /^Field admins\[0\]\.email is not an address SES takes: "a;b@c\.example" contains ";", which separates addresses/,
      ],
      [
        { customers: ['ops@exa\u200Bmple.com'] },
        /^Field customers\[0\] is not an address SES takes: "ops@exa<U\+200B>mple\.com" contains the invisible character U\+200B/,
      ],
      [
        { admins: [{ email: 'admin@exam\u202Eple.com' }] },
        /"admin@exam<U\+202E>ple\.com" contains the invisible character U\+202E/,
      ],
      [{ grace: '31d' }, /^Field grace must be a duration from 1h to 30d, such as "7d"\.$/],
      [{ timeZone: 'Mars/Base' }, /^Field timeZone must be an IANA time zone/],
    ];
    for (const [change, message] of cases) {
      const answer = await call('POST', '/apps', {
        body: { appId: other, secret: `rotor/${other}`, admins: [{ email: 'a@example.com' }], ...change },
      });
      expect(answer.status, JSON.stringify(change)).toBe(400);
      expect(answer.body.message).toMatch(message);
      expect(isOneSentence(answer.body.message)).toBe(true);
    }
    expect(await env.system.registry.apps.findApp(other)).toBeUndefined();
  });

  it('apps list shows every app with state, token age and due date; apps show adds the details', async () => {
    const appId = await addApp({ interval: '90d' });

    const list = await call('GET', '/apps', { user: READER });
    const show = await call('GET', `/apps/${appId}`, { user: READER });

    expect(list.status).toBe(200);
    const row = (list.body.apps as { appId: string }[]).find((app) => app.appId === appId);
    expect(row).toMatchObject({ state: 'ACTIVE', issuer: 'managed', tokenAgeSeconds: expect.any(Number) });
    expect((list.body.apps as unknown[]).length).toBeGreaterThanOrEqual(appIds.length - 1);
    expect(show.status).toBe(200);
    const app = show.body.app as Record<string, unknown>;
    expect(app).toMatchObject({ appId, state: 'ACTIVE', intervalSeconds: 90 * 86_400 });
    expect(Date.parse(String(app.nextDueAt)) - Date.parse(String(app.tokenIssuedAt))).toBe(90 * 86_400_000);
  });

  it('apps add and apps update take the reminders before the due date and the notice time; bad input changes nothing', async () => {
    // Prepare
    const appId = await addApp({ remindBefore: ['14d'], noticeBefore: '48h' });
    const before = await env.system.registry.apps.getApp(appId);

    // Act
    const refusals = await Promise.all([
      call('PATCH', `/apps/${appId}`, { body: { remindBefore: ['200d'] } }),
      call('PATCH', `/apps/${appId}`, { body: { noticeBefore: '7d' } }),
      call('PATCH', `/apps/${appId}`, { body: { remindBefore: ['7d', '7d'] } }),
      call('PATCH', `/apps/${appId}`, { body: { remindBefore: ['1d', '2d', '3d', '4d', '5d', '6d'] } }),
      call('PATCH', `/apps/${appId}`, { body: { noticeBefore: '30m' } }),
      call('PATCH', `/apps/${appId}`, { body: { colour: 'red' } }),
      call('PATCH', `/apps/${appId}`, { body: {} }),
      call('PATCH', `/apps/${appId}`, { user: READER, body: { noticeBefore: '36h' } }),
    ]);
    const unchanged = await env.system.registry.apps.getApp(appId);
    const updated = await call('PATCH', `/apps/${appId}`, {
      body: { remindBefore: [], noticeBefore: '72h' },
    });

    // Assess
    expect(refusals.map((answer) => answer.status)).toEqual([400, 400, 400, 400, 400, 400, 400, 403]);
    expect(refusals.slice(0, 7).map((answer) => answer.body.message)).toEqual([
      expect.stringMatching(
        /^Field remindBefore must be a list of .*: 200d is not shorter than the interval 180d\.$/,
      ),
      expect.stringMatching(
        /^Field noticeBefore must be a duration from 1h, .*: 7d is not shorter than the grace period 7d\.$/,
      ),
      expect.stringMatching(/^Field remindBefore must be a list of at most 5 different durations/),
      expect.stringMatching(/^Field remindBefore must be a list of at most 5 different durations/),
      expect.stringMatching(/^Field noticeBefore must be a duration from 1h/),
      'Field "colour" is not allowed; allowed: remindBefore, noticeBefore.',
      'The request body must name at least one setting to change: remindBefore, noticeBefore.',
    ]);
    for (const answer of refusals) expect(isOneSentence(answer.body.message), answer.text).toBe(true);
    expect(before).toMatchObject({ remindBeforeSeconds: [14 * 86_400], noticeBeforeSeconds: 48 * 3600 });
    expect(unchanged).toEqual(before);
    expect(updated.status, updated.text).toBe(200);
    expect(updated.body.message).toBe(
      `Updated app "${appId}": no reminders before the due date; the pre-expiry notice 3d before a grace period ends, from the next rotation on.`,
    );
    expect(updated.body.app).toMatchObject({ remindBeforeSeconds: [], noticeBeforeSeconds: 72 * 3600 });
    expect((await auditOf(appId)).map((event) => `${event.action} ${event.outcome}`)).toEqual([
      'app.add succeeded',
      'app.update succeeded',
    ]);
  });

  it('apps remove keeps the secret, turns its rotation off and refuses while a rotation runs', async () => {
    const appId = await addApp();
    await inGrace(appId);

    const refused = await call('DELETE', `/apps/${appId}`);
    await call('POST', `/apps/${appId}/cancel`);
    const removed = await call('DELETE', `/apps/${appId}`);

    expect(refused.status).toBe(409);
    expect(refused.body.message).toContain(`rotor cancel ${appId}`);
    expect(removed.status, removed.text).toBe(200);
    expect(removed.body).toMatchObject({ appId, removed: true, secretDeleted: false });
    expect(removed.body.message).toMatch(/was not deleted/);
    const secret = await env.system.secretsManager.send(
      new DescribeSecretCommand({ SecretId: `rotor/${appId}` }),
    );
    expect(secret.RotationEnabled).toBe(false);
    expect(secret.Tags ?? []).not.toContainEqual(expect.objectContaining({ Key: 'rotor:app' }));
    expect((await call('GET', `/apps/${appId}`)).status).toBe(404);
    expect((await auditOf(appId)).map((event) => `${event.action} ${event.outcome}`)).toEqual([
      'app.add succeeded',
      'rotation.start succeeded',
      'rotation.promote succeeded',
      'app.remove refused',
      'rotation.cancel succeeded',
      'app.remove succeeded',
    ]);
  });
});

describe('Operator API: rotations', () => {
  it('rotate expire-now: 202, one execution named after the rotation, the old token is refused when it is done', async () => {
    const appId = await addApp();
    const before = await env.system.registry.apps.getApp(appId);
    const oldToken = await tokenOf(before.secretArn, before.currentVersionId);

    const answer = await call('POST', `/apps/${appId}/rotations`, {
      body: { mode: 'expire-now', reason: 'leaked' },
    });

    expect(answer.status, answer.text).toBe(202);
    const { rotationId } = answer.body.rotation as { rotationId: string };
    const execution = env.system.stepFunctions.executions().filter((run) => run.name === rotationId);
    expect(execution).toHaveLength(1);
    expect((await env.system.stepFunctions.whenStopped(execution[0]?.executionArn as string)).status).toBe(
      'SUCCEEDED',
    );
    const detail = await call('GET', `/apps/${appId}/rotations/${rotationId}`);
    expect(detail.body.rotation).toMatchObject({
      status: 'completed',
      mode: 'expire-now',
      reason: 'leaked',
      startedBy: arnOf(ALICE),
      oldToken: { status: 'revoked' },
      newToken: { status: 'current' },
    });
    expect(await accepts(env.system, oldToken)).toBe(false);
    const history = await call('GET', `/apps/${appId}/rotations`);
    expect(history.body.rotations).toEqual([expect.objectContaining({ rotationId, status: 'completed' })]);
  });

  it('rotate expire-later: the app is in GRACE with a countdown; a second rotate is a 409 that says what ends the first', async () => {
    const appId = await addApp();
    const rotation = await inGrace(appId);

    const show = await call('GET', `/apps/${appId}`);
    const again = await call('POST', `/apps/${appId}/rotations`, { user: BOB, body: { mode: 'expire-now' } });

    const app = show.body.app as { state: string; rotation: Record<string, unknown> };
    expect(app.state).toBe('GRACE');
    expect(app.rotation).toMatchObject({
      rotationId: rotation.rotationId,
      mode: 'expire-later',
      reason: 'quarterly rotation',
      oldToken: { versionId: rotation.oldVersionId, status: 'grace' },
    });
    expect(app.rotation.graceRemainingSeconds).toBeGreaterThan(3500);
    expect(app.rotation.graceRemainingSeconds).toBeLessThanOrEqual(3600);
    expect(again.status).toBe(409);
    expect(again.body.message).toContain(`rotation ${rotation.rotationId}`);
    expect(again.body.message).toContain(`"rotor expire-now ${appId}" or "rotor cancel ${appId}"`);
    expect(isOneSentence(again.body.message)).toBe(true);
    expect(await auditOf(appId)).toContainEqual(
      expect.objectContaining({ action: 'rotation.start', actor: arnOf(BOB), outcome: 'refused' }),
    );
  });

  it('apps show during grace says how often the old token was used in the last 24 hours, and when last', async () => {
    // Prepare: an API behind Rotor's verifier saw the old token three times during the grace period.
    const appId = await addApp();
    const { oldVersionId } = await inGrace(appId);
    const old = await env.system.registry.tokens.findTokenVersion(appId, oldVersionId);
    const lastUse = new Date().toISOString();
    await env.system.registry.tokens.recordTokenUse(
      String(old?.tokenHash),
      2,
      new Date(Date.now() - 60_000).toISOString(),
    );
    await env.system.registry.tokens.recordTokenUse(String(old?.tokenHash), 1, lastUse);

    // Act
    const shown = await call('GET', `/apps/${appId}`);

    // Assess
    expect(shown.status).toBe(200);
    const app = shown.body.app as { rotation: { oldToken: unknown } };
    expect(app.rotation.oldToken).toMatchObject({
      versionId: oldVersionId,
      usesLast24h: 3,
      lastUsedAt: lastUse,
    });
  });

  it('expire now during grace revokes the old token at once and emails the admins; a second one is a 409', async () => {
    const appId = await addApp();
    const rotation = await inGrace(appId);
    const app = await env.system.registry.apps.getApp(appId);
    const oldToken = await tokenOf(app.secretArn, rotation.oldVersionId);

    const answer = await call('POST', `/apps/${appId}/expire-now`, { user: BOB });
    const again = await call('POST', `/apps/${appId}/expire-now`, { user: BOB });

    expect(answer.status, answer.text).toBe(200);
    expect(answer.body).toMatchObject({
      rotationId: rotation.rotationId,
      oldVersionId: rotation.oldVersionId,
    });
    expect(await accepts(env.system, oldToken)).toBe(false);
    await eventually(async () =>
      (await emailsAbout(env.system, appId)).some((mail) => mail.event === 'TOKEN_INVALIDATED'),
    );
    expect(again.status).toBe(409);
    expect(again.body.message).toContain(`start one with "rotor rotate ${appId} --expire now|later"`);
    const events = await auditOf(appId);
    expect(events).toContainEqual(
      expect.objectContaining({ action: 'rotation.expire-now', actor: arnOf(BOB), outcome: 'succeeded' }),
    );
    expect(events).toContainEqual(
      expect.objectContaining({ action: 'rotation.expire-now', actor: arnOf(BOB), outcome: 'refused' }),
    );
  });

  it('cancel during grace makes the old token current again; cancel without a grace period is a 409', async () => {
    const appId = await addApp();
    const rotation = await inGrace(appId);

    const answer = await call('POST', `/apps/${appId}/cancel`);
    const again = await call('POST', `/apps/${appId}/cancel`);

    expect(answer.status, answer.text).toBe(200);
    expect(answer.body.message).toContain('is current again');
    expect(await env.system.registry.apps.getApp(appId)).toMatchObject({
      state: 'ACTIVE',
      currentVersionId: rotation.oldVersionId,
    });
    expect(again.status).toBe(409);
    const history = await call('GET', `/apps/${appId}/rotations`);
    expect(history.body.rotations).toEqual([
      expect.objectContaining({
        rotationId: rotation.rotationId,
        status: 'cancelled',
        endedBy: arnOf(ALICE),
      }),
    ]);
  });

  it('20 concurrent rotate requests for one app: exactly one 202, nineteen 409s, one execution', async () => {
    const appId = await addApp();

    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        call('POST', `/apps/${appId}/rotations`, {
          user: i % 2 ? BOB : ALICE,
          body: { mode: 'expire-later', grace: '1h' },
        }),
      ),
    );

    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses).toEqual([202, ...Array(19).fill(409)]);
    const winner = answers.find((answer) => answer.status === 202)?.body.rotation as { rotationId: string };
    const executions = env.system.stepFunctions
      .executions()
      .filter((run) => JSON.parse(run.input).appId === appId);
    expect(executions.map((run) => run.name)).toEqual([winner.rotationId]);
    for (const refused of answers.filter((answer) => answer.status === 409)) {
      expect(refused.body.message).toContain(`rotation ${winner.rotationId}`);
    }
    await eventually(async () => (await env.system.registry.apps.getApp(appId)).state === 'GRACE');
    const events = await auditOf(appId);
    expect(
      events
        .filter((event) => event.action === 'rotation.start')
        .map((event) => event.outcome)
        .sort(),
    ).toEqual([...Array(19).fill('refused'), 'succeeded']);
    await call('POST', `/apps/${appId}/cancel`);
  });
});

describe('Operator API: idempotency keys', () => {
  /** An expire-now rotation of the app has ended: its execution stopped, the app is ACTIVE again. */
  async function settled(appId: string, rotationId: string) {
    const run = env.system.stepFunctions.executions().find((candidate) => candidate.name === rotationId);
    expect(run, `no execution ${rotationId}`).toBeDefined();
    expect((await env.system.stepFunctions.whenStopped(run?.executionArn as string)).status).toBe(
      'SUCCEEDED',
    );
    await eventually(async () => (await env.system.registry.apps.getApp(appId)).state === 'ACTIVE');
  }

  it('a signed rotate request replayed with its Idempotency-Key starts one rotation and gets the first answer again', async () => {
    // Prepare
    const appId = await addApp();
    const rotate = await signedRequest(env.api, 'POST', `/apps/${appId}/rotations`, {
      body: { mode: 'expire-now', reason: 'leaked' },
      headers: { 'Idempotency-Key': 'rotate-1f7c9a' },
    });

    // Act
    const first = await rotate();
    const { rotationId } = first.body.rotation as { rotationId: string };
    await settled(appId, rotationId);
    const replay = await rotate();

    // Assess
    expect(first.status, first.text).toBe(202);
    expect(replay.status, replay.text).toBe(202);
    expect(replay.body).toEqual(first.body);
    expect(
      (await env.system.registry.rotations.listRotations(appId)).map((rotation) => rotation.rotationId),
    ).toEqual([rotationId]);
    expect(
      env.system.stepFunctions.executions().filter((run) => JSON.parse(run.input).appId === appId),
    ).toHaveLength(1);
    const starts = (await auditOf(appId)).filter((event) => event.action === 'rotation.start');
    expect(starts).toHaveLength(1);
    // Keys are the caller's own: Bob's request with the same key is a request of its own.
    const bob = await call('POST', `/apps/${appId}/rotations`, {
      user: BOB,
      body: { mode: 'expire-now', reason: 'leaked' },
      headers: { 'Idempotency-Key': 'rotate-1f7c9a' },
    });
    expect(bob.status, bob.text).toBe(202);
    expect((bob.body.rotation as { rotationId: string }).rotationId).not.toBe(rotationId);
    await settled(appId, (bob.body.rotation as { rotationId: string }).rotationId);
  });

  it('the same Idempotency-Key with another body is a 409 that says so, and changes nothing', async () => {
    // Prepare
    const appId = await addApp();
    const headers = { 'Idempotency-Key': 'a5a0e7d2-3c1b-4c55-9a3e-0d9b1f2e6c44' };
    const first = await call('POST', `/apps/${appId}/rotations`, { body: { mode: 'expire-now' }, headers });
    expect(first.status, first.text).toBe(202);
    await settled(appId, (first.body.rotation as { rotationId: string }).rotationId);
    const before = await env.system.registry.apps.getApp(appId);

    // Act
    const other = await call('POST', `/apps/${appId}/rotations`, {
      body: { mode: 'expire-later', grace: '1h' },
      headers,
    });
    const elsewhere = await call('POST', `/apps/${appId}/expire-now`, { headers });

    // Assess
    for (const answer of [other, elsewhere]) {
      expect(answer.status, answer.text).toBe(409);
      expect(answer.body.code).toBe('IdempotencyKeyReusedError');
      expect(answer.body.message).toMatch(
        /^Idempotency-Key "a5a0e7d2-3c1b-4c55-9a3e-0d9b1f2e6c44" was already used for another request .*; send a fresh key with each new request\.$/,
      );
      expect(isOneSentence(answer.body.message)).toBe(true);
    }
    expect(await env.system.registry.apps.getApp(appId)).toEqual(before);
    expect(await env.system.registry.rotations.listRotations(appId)).toHaveLength(1);
  });

  it('refuses a malformed Idempotency-Key (400) before it changes anything', async () => {
    const appId = await addApp();
    for (const key of ['', 'has space', 'x'.repeat(129), 'a/b', '?mlaut']) {
      const answer = await call('POST', `/apps/${appId}/rotations`, {
        body: { mode: 'expire-now' },
        headers: { 'Idempotency-Key': key },
      });
      expect(answer.status, answer.text).toBe(400);
      expect(answer.body.message).toMatch(
        /^Header Idempotency-Key must be 1 to 128 letters, digits, "_", "-", ":" or "\." \(such as a UUID\), not .+\.$/,
      );
    }
    expect(await env.system.registry.rotations.listRotations(appId)).toEqual([]);
  });
});

describe('Operator API: refusals', () => {
  it('answers 404 for an unknown app on every app route, and for an unknown path', async () => {
    const ghost = 'no-such-app';
    const routes: [string, string, unknown?][] = [
      ['GET', `/apps/${ghost}`],
      ['DELETE', `/apps/${ghost}`],
      ['GET', `/apps/${ghost}/rotations`],
      ['POST', `/apps/${ghost}/rotations`, { mode: 'expire-now' }],
      ['GET', `/apps/${ghost}/rotations/r-1`],
      ['POST', `/apps/${ghost}/expire-now`],
      ['POST', `/apps/${ghost}/cancel`],
      ['GET', '/nothing-here'],
    ];
    for (const [method, path, body] of routes) {
      const answer = await call(method, path, body === undefined ? {} : { body });
      expect(answer.status, `${method} ${path}`).toBe(404);
      expect(isOneSentence(answer.body.message), answer.text).toBe(true);
    }
    expect((await call('GET', `/apps/${ghost}`)).body.message).toBe(
      `No app "${ghost}" is registered with Rotor.`,
    );
    expect((await call('PUT', '/apps')).status).toBe(405);
  });

  it('answers 400 with one sentence naming the field and what is allowed', async () => {
    const appId = await addApp();
    const cases: [string, string, CallOptions, string][] = [
      [
        'POST',
        `/apps/${appId}/rotations`,
        { body: { mode: 'sometime' } },
        'Field mode must be one of expire-now, expire-later.',
      ],
      [
        'POST',
        `/apps/${appId}/rotations`,
        { body: {} },
        'Field mode is missing; it must be one of expire-now, expire-later.',
      ],
      [
        'POST',
        `/apps/${appId}/rotations`,
        { body: { mode: 'expire-now', grace: '40d' } },
        'Field grace must be a duration from 1h to 30d, such as "7d".',
      ],
      [
        'POST',
        `/apps/${appId}/rotations`,
        { body: { mode: 'expire-now', force: true } },
        'Field "force" is not allowed; allowed: mode, grace, reason.',
      ],
      [
        'POST',
        `/apps/${appId}/rotations`,
        { rawBody: '{"mode": ' },
        'The request body must be a JSON object, and this one is not valid JSON.',
      ],
      [
        'POST',
        `/apps/${appId}/rotations`,
        { body: ['expire-now'] },
        'The request body must be a JSON object with the fields mode, grace, reason.',
      ],
      [
        'POST',
        `/apps/${appId}/rotations`,
        { body: { mode: 'expire-now', reason: 'a\nb' } },
        'Field reason must be a text of 1 to 500 characters without control characters and without a token in it.',
      ],
      [
        'POST',
        `/apps/${appId}/rotations`,
        // A reason is mailed and kept: a token pasted into it must never be.
        { body: { mode: 'expire-now', reason: `leaked: ${mintToken()}` } },
        'Field reason must be a text of 1 to 500 characters without control characters and without a token in it.',
      ],
      [
        'POST',
        `/apps/${appId}/rotations`,
        { body: { mode: 'expire-now', reason: 'old one was pat-eu1-1a2b3c4d-0000-4000-8000-000000000000' } },
        'Field reason must be a text of 1 to 500 characters without control characters and without a token in it.',
      ],
      [
        'GET',
        '/apps/Not_An_Id',
        {},
        'Path parameter appId must be an app id: 3-48 lowercase letters, digits and "-", starting with a letter or digit.',
      ],
      [
        'GET',
        '/audit',
        { query: { since: 'forever' } },
        'Query parameter since must be a duration from 1m to 90d, such as "7d".',
      ],
      [
        'GET',
        '/apps',
        { query: { page: '2' } },
        'Query parameter "page" is not allowed; this request takes no query parameters.',
      ],
      [
        'POST',
        `/apps/${appId}/cancel`,
        { body: { now: true } },
        'Field "now" is not allowed; this request takes no body fields.',
      ],
    ];
    for (const [method, path, options, message] of cases) {
      const answer = await call(method, path, options);
      expect(answer.status, `${method} ${path} ${JSON.stringify(options)}`).toBe(400);
      expect(answer.body.message).toBe(message);
      expect(isOneSentence(answer.body.message)).toBe(true);
    }
    expect((await env.system.registry.apps.getApp(appId)).state).toBe('ACTIVE');
  });

  it('refuses unsigned, wrongly signed and tampered requests (403) and read-only callers on changes', async () => {
    const appId = await addApp();
    const unsigned = await call('GET', '/apps', { unsigned: true });
    const wrongKey = await call('GET', '/apps', { user: { ...ALICE, secretAccessKey: 'guessed' } });
    const unknownKey = await call('GET', '/apps', { user: { ...ALICE, accessKeyId: 'AKIANOBODY' } });
    const readOnly = await call('POST', `/apps/${appId}/rotations`, {
      user: READER,
      body: { mode: 'expire-now' },
    });
    // Signed for one body, sent with another.
    const url = new URL(`${env.api.url}/apps/${appId}/rotations`);
    const { signRequest } = await import('../../cli/sign.ts');
    const headers = await signRequest(
      { method: 'POST', url, headers: {}, body: '{"mode":"expire-later"}' },
      ALICE,
      'eu-central-1',
    );
    const tampered = await fetch(url, { method: 'POST', headers, body: '{"mode":"expire-now"}' });

    for (const answer of [unsigned, wrongKey, unknownKey, readOnly]) {
      expect(answer.status, answer.text).toBe(403);
      expect(isOneSentence(answer.body.message), answer.text).toBe(true);
    }
    expect(readOnly.body.message).toContain(
      `User: ${arnOf(READER)} is not authorized to perform: execute-api:Invoke`,
    );
    expect(tampered.status).toBe(403);
    expect(await env.system.registry.apps.getApp(appId)).toMatchObject({ state: 'ACTIVE' });
    expect((await env.system.registry.rotations.listRotations(appId)).length).toBe(0);
  });
});

async function tokenOf(secretArn: string, versionId: string): Promise<string> {
  const value = await env.system.secretsManager.send(
    new GetSecretValueCommand({ SecretId: secretArn, VersionId: versionId }),
  );
  return parseSecret(value.SecretString).token;
}

describe('Operator API: secrecy', () => {
  it('never puts a token value into an answer, a log line or the audit log', async () => {
    // Every token any app of this file ever had, from Secrets Manager.
    const tokens: string[] = [];
    for (const appId of appIds) {
      const { Versions = [] } = await env.system.secretsManager.send(
        new ListSecretVersionIdsCommand({ SecretId: `rotor/${appId}`, IncludeDeprecated: true }),
      );
      for (const version of Versions) {
        const value = await env.system.secretsManager
          .send(new GetSecretValueCommand({ SecretId: `rotor/${appId}`, VersionId: version.VersionId }))
          .catch(() => undefined);
        if (value?.SecretString) tokens.push(parseSecret(value.SecretString).token);
      }
    }
    const audit = await call('GET', '/audit', { query: { since: '1h' } });

    expect(tokens.length).toBeGreaterThan(appIds.length);
    expect(logLines.length).toBeGreaterThan(20);
    expect((audit.body.events as unknown[]).length).toBeGreaterThan(20);
    const everything = [...answers, ...logLines].join('\n');
    for (const token of tokens) {
      expect(everything).not.toContain(token);
      // A fragment of a token would be as bad as the whole of it.
      expect(everything).not.toContain(token.slice(4, 24));
    }
  });
});
