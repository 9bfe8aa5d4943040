import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLocalState } from '../../cli/localState.ts';
import { serializeSecret } from '../../lambda/domain/tokens.ts';
import type { FakeHubSpot } from '../../local/hubspot/fake.ts';
import { eventually, uniqueAppId } from '../support/localSystem.ts';
import { ALICE, type ApiTestSystem, arnOf, startApiTestSystem } from '../support/operatorApi.ts';

/**
 * The real `rotor` binary (node bin/rotor.mjs, as npx rotor runs it) against the local operator API,
 * for every command, in table and JSON form. Each spawn takes about half a second.
 */
let env: ApiTestSystem;
let stateDir: string;
const outputs: string[] = [];

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function rotor(
  args: string[],
  extraEnv: Record<string, string | undefined> = {},
  input?: string,
): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      'node',
      ['bin/rotor.mjs', ...args],
      {
        env: {
          ...process.env,
          ROTOR_API_URL: env.api.url,
          AWS_ACCESS_KEY_ID: ALICE.accessKeyId,
          AWS_SECRET_ACCESS_KEY: ALICE.secretAccessKey,
          AWS_REGION: 'eu-central-1',
          ROTOR_POLL_MS: '50',
          // The retries' backoff, shortened: the tests count attempts, not seconds.
          ROTOR_RETRY_MS: '20',
          NO_COLOR: undefined,
          ...extraEnv,
        },
        timeout: 30_000,
      },
      (error, stdout, stderr) => {
        outputs.push(stdout, stderr);
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(`${input}\n`);
  });
}

/** A refusal: exit 1, nothing on stdout, one line on stderr. */
function expectRefused(run: Run, text: string) {
  expect(run.code, run.stderr).toBe(1);
  expect(run.stdout).toBe('');
  expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(run.stderr).toMatch(/^rotor: /);
  expect(run.stderr).toContain(text);
}

const appA = uniqueAppId('cli');
const appB = uniqueAppId('cli');

beforeAll(async () => {
  env = await startApiTestSystem({ retryIntervalOverrides: { CheckPromotion: 400 } });
  stateDir = mkdtempSync(path.join(tmpdir(), 'rotor-state-'));
});

afterAll(async () => {
  await env?.close();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

describe('Command: rotor (help)', () => {
  it('shows examples in --help and suggests the command meant by a typo', async () => {
    const [help, rotateHelp, typo] = await Promise.all([
      rotor(['--help']),
      rotor(['rotate', '--help']),
      rotor(['aps', 'list']),
    ]);

    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Examples:\n  $ rotor apps add billing-api');
    expect(rotateHelp.stdout).toContain('$ rotor rotate billing-api --expire later --grace 7d');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toBe("rotor: unknown command 'aps' (Did you mean apps?)\n");
  });
});

describe('Command: rotor (a session against the local API)', () => {
  it('apps add registers an app and shows it (table), and --json gives the app as JSON', async () => {
    const [table, json] = await Promise.all([
      rotor([
        'apps',
        'add',
        appA,
        '--secret',
        `rotor/${appA}`,
        '--admin',
        'ops@example.com',
        '--admin',
        'dev@example.com:en',
        '--grace',
        '2h',
      ]),
      rotor(['apps', 'add', appB, '--secret', `rotor/${appB}`, '--admin', 'ops@example.com', '--json']),
    ]);

    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain(`Registered app "${appA}" with secret arn:aws:secretsmanager:`);
    expect(table.stdout).toMatch(/state\s+ACTIVE/);
    expect(table.stdout).toContain('admins         ops@example.com, dev@example.com (en)');
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout).app).toMatchObject({
      appId: appB,
      state: 'ACTIVE',
      graceSeconds: 7 * 86_400,
    });
  });

  it('apps list shows both apps in a table and as JSON', async () => {
    const [table, json] = await Promise.all([rotor(['apps', 'list']), rotor(['apps', 'list', '--json'])]);

    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^APP\s+STATE\s+TOKEN AGE\s+NEXT\s+LAST ROTATION$/);
    expect(table.stdout).toMatch(new RegExp(`${appA}\\s+ACTIVE\\s+\\d+s\\s+in (180d|179d 23h)\\s+-`));
    expect(JSON.parse(json.stdout).apps.map((app: { appId: string }) => app.appId)).toEqual(
      expect.arrayContaining([appA, appB]),
    );
  });

  it('apps update changes the reminders and the notice time and apps show lists them; a reminder too long is refused by the API (exit 2, one line)', async () => {
    const [updated, tooLong] = await Promise.all([
      rotor(['apps', 'update', appB, '--remind-before', '60d,14d,1d', '--notice-before', '36h']),
      rotor(['apps', 'update', appA, '--remind-before', '200d']),
    ]);

    expect(updated.code, updated.stderr).toBe(0);
    expect(updated.stdout).toContain(
      `Updated app "${appB}": reminders 60d, 14d, 1d before the due date; the pre-expiry notice 36h before a grace period ends, from the next rotation on.`,
    );
    expect(updated.stdout).toMatch(
      /\n {2}notices +reminded 60d and 14d and 1d before the due date; the old token's expiry announced 36h before\n/,
    );
    expect(tooLong.code).toBe(2);
    expect(tooLong.stdout).toBe('');
    expect(tooLong.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(tooLong.stderr).toMatch(
      /^rotor: Field remindBefore must be .*: 200d is not shorter than the interval 180d\.\n$/,
    );
  });

  it('rotate --expire later --wait shows progress until the new token is current and the grace period runs', async () => {
    const run = await rotor([
      'rotate',
      appA,
      '--expire',
      'later',
      '--reason',
      'quarterly rotation',
      '--wait',
    ]);

    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      new RegExp(`^Rotation r-\\S+ of ${appA} started \\(expire-later, grace 2h\\)\\.$`),
    );
    expect(lines.at(-2)).toMatch(/^✔ new token is current \(version [0-9a-f-]{36}\)$/);
    expect(lines.at(-1)).toMatch(
      /^✔ old token \(version [0-9a-f-]{36}\) stays valid until .* UTC \(grace 2h\)/,
    );
    expect((await env.system.registry.apps.getApp(appA)).state).toBe('GRACE');
  });

  it('apps show gives state, token age, due date and the grace countdown; --json the same as data', async () => {
    const [table, json] = await Promise.all([
      rotor(['apps', 'show', appA]),
      rotor(['apps', 'show', appA, '--json']),
    ]);

    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/state\s+GRACE/);
    expect(table.stdout).toMatch(/token\s+version [0-9a-f-]{36}, \d+s old/);
    // The token is a second or less old: its due date is 180 days away, rounded to the second.
    expect(table.stdout).toMatch(/next due\s+\d{4}-\d\d-\d\d \d\d:\d\d \(in (179d 23h|180d)\)/);
    expect(table.stdout).toMatch(
      /grace ends\s+.* \(in 1h 59m\); the old token \(version [0-9a-f-]{36}\) is valid until then/,
    );
    expect(table.stdout).toContain(`by ${arnOf(ALICE)} ("quarterly rotation")`);
    expect(table.stdout).toContain(`rotor expire-now ${appA}   or   rotor cancel ${appA}`);
    const { app } = JSON.parse(json.stdout);
    expect(app.rotation.graceRemainingSeconds).toBeGreaterThan(7000);
    expect(app.rotation.oldToken.status).toBe('grace');
  });

  it('a second rotate is refused (exit 1) with one line that names the rotation and what ends it', async () => {
    const run = await rotor(['rotate', appA, '--expire', 'now']);

    expectRefused(run, `end it with "rotor expire-now ${appA}" or "rotor cancel ${appA}"`);
  });

  it('cancel rolls back (table); cancelling again is refused, also with --json', async () => {
    const cancelled = await rotor(['cancel', appA]);
    const again = await rotor(['cancel', appA, '--json']);

    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stdout).toMatch(
      /^Cancelled rotation r-\S+ of app ".*": the old token \(version .*\) is current again/,
    );
    expectRefused(again, `start one with "rotor rotate ${appA} --expire now|later"`);
  });

  it('history lists the rotation (table and JSON)', async () => {
    const [table, json] = await Promise.all([rotor(['history', appA]), rotor(['history', appA, '--json'])]);

    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(
      /^ROTATION\s+MODE\s+STATUS\s+STARTED \(UTC\)\s+BY\s+ENDED \(UTC\)\s+REASON$/,
    );
    expect(table.stdout).toMatch(
      /r-\S+\s+expire-later 2h\s+cancelled\s+.*user\/alice\s+.*user\/alice\s+quarterly rotation/,
    );
    expect(JSON.parse(json.stdout).rotations).toEqual([
      expect.objectContaining({ status: 'cancelled', endedBy: arnOf(ALICE), reason: 'quarterly rotation' }),
    ]);
  });

  it('rotate --expire now --wait --json waits until the old token is refused; progress goes to stderr', async () => {
    const run = await rotor(['rotate', appB, '--expire', 'now', '--reason', 'leaked', '--wait', '--json']);

    expect(run.code, run.stderr).toBe(0);
    const { rotation } = JSON.parse(run.stdout);
    expect(rotation).toMatchObject({
      status: 'completed',
      oldToken: { status: 'revoked' },
      newToken: { status: 'current' },
    });
    expect(run.stderr).toMatch(/✔ old token \(version [0-9a-f-]{36}\) is refused since/);
  });

  it('expire-now ends a grace period (table, then --json refused as there is none left)', async () => {
    await env.call('POST', `/apps/${appB}/rotations`, { body: { mode: 'expire-later', grace: '1h' } });
    await eventually(async () => (await env.system.registry.apps.getApp(appB)).state === 'GRACE');

    const expired = await rotor(['expire-now', appB]);
    const again = await rotor(['expire-now', appB, '--json']);

    expect(expired.code, expired.stderr).toBe(0);
    expect(expired.stdout).toMatch(/^Expired the old token of app ".*" now: version \S+ is revoked/);
    expectRefused(again, 'with no rotation running');
  });

  it('audit lists every change with who made it (table and JSON)', async () => {
    const [table, json] = await Promise.all([
      rotor(['audit', '--since', '1h', '--app', appA]),
      rotor(['audit', '--since', '1h', '--json']),
    ]);

    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/app\.add\s+succeeded\s+user\/alice/);
    expect(table.stdout).toMatch(/rotation\.start\s+refused\s+user\/alice/);
    expect(table.stdout).toMatch(/rotation\.cancel\s+refused\s+user\/alice/);
    const { events } = JSON.parse(json.stdout);
    const changes = events.filter((event: { action: string }) => !event.action.includes('promote'));
    expect(changes.length).toBeGreaterThanOrEqual(8);
    expect(new Set(changes.map((event: { actor: string }) => event.actor))).toEqual(new Set([arnOf(ALICE)]));
  });

  it('apps remove keeps the secret and says so (table and JSON); a removed app is not found', async () => {
    const [table, json] = await Promise.all([
      rotor(['apps', 'remove', appA]),
      rotor(['apps', 'remove', appB, '--json']),
    ]);
    const gone = await rotor(['apps', 'show', appA]);

    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain('was not deleted');
    expect(JSON.parse(json.stdout)).toMatchObject({ appId: appB, removed: true, secretDeleted: false });
    expectRefused(gone, `No app "${appA}" is registered with Rotor.`);
  });

  it('--local reads the local-mode state file; wrong credentials are refused (exit 1)', async () => {
    const file = path.join(stateDir, 'state.json');
    await writeLocalState(
      {
        apiUrl: env.api.url,
        region: 'eu-central-1',
        accessKeyId: ALICE.accessKeyId,
        secretAccessKey: ALICE.secretAccessKey,
        mailViewerUrl: env.system.endpoints.ses,
        pid: process.pid,
      },
      file,
    );

    const [local, wrong] = await Promise.all([
      rotor(['--local', 'apps', 'list', '--json'], {
        ROTOR_LOCAL_STATE: file,
        ROTOR_API_URL: undefined,
        AWS_ACCESS_KEY_ID: undefined,
        AWS_SECRET_ACCESS_KEY: undefined,
      }),
      rotor(['apps', 'list'], { AWS_SECRET_ACCESS_KEY: 'not-the-secret' }),
    ]);

    expect(local.code, local.stderr).toBe(0);
    expect(JSON.parse(local.stdout)).toHaveProperty('apps');
    expectRefused(wrong, 'The request signature we calculated does not match');
  });

  it('prints no colour codes when stdout is not a terminal, and never a token', async () => {
    const { GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
    const value = await env.system.secretsManager.send(
      new GetSecretValueCommand({ SecretId: `rotor/${appA}` }),
    );
    const token = JSON.parse(value.SecretString ?? '{}').token as string;

    expect(token).toMatch(/^rtr_/);
    const all = outputs.join('\n');
    expect(all).not.toContain('\u001b[');
    expect(all).not.toContain(token.slice(4, 24));
  });
});

/** `rotor` with text on its stdin, as `echo "$TOKEN" | rotor submit app --token-stdin`. */
function rotorWithInput(args: string[], input: string): Promise<Run> {
  return rotor(args, {}, input);
}

describe('Command: rotor submit (a HubSpot app)', () => {
  it('shows the portal and scopes, refuses a token of another portal, and hands the right one over', async () => {
    // Prepare: a HubSpot app whose current token the (fake) HubSpot issued for portal 4711.
    const hubspot = env.system.hubspot as FakeHubSpot;
    const appId = uniqueAppId('crm');
    const oldToken = hubspot.issueToken({ hubId: 4711, scopes: ['crm.objects.contacts.read', 'tickets'] });
    await env.system.secretsManager.send(
      new CreateSecretCommand({
        Name: `rotor/${appId}`,
        SecretString: serializeSecret({ token: oldToken, issuedAt: new Date().toISOString() }),
      }),
    );
    const added = await rotor([
      'apps',
      'add',
      appId,
      '--secret',
      `rotor/${appId}`,
      '--issuer',
      'hubspot',
      '--hub-id',
      '4711',
      '--scope',
      'crm.objects.contacts.read',
      '--admin',
      'ops@example.com',
    ]);
    expect(added.code, added.stderr).toBe(0);
    const rotated = await rotor(['rotate', appId, '--expire', 'later']);
    expect(rotated.code, rotated.stderr).toBe(0);
    await eventually(
      async () => (await env.system.registry.apps.getApp(appId)).activeRotation?.handoffTaskToken,
    );

    // Act
    const shown = await rotor(['apps', 'show', appId]);
    const wrongPortal = await rotorWithInput(
      ['submit', appId, '--token-stdin'],
      hubspot.issueToken({ hubId: 9001, scopes: ['crm.objects.contacts.read'] }),
    );
    const newToken = hubspot.rotate(oldToken, {
      scopes: ['crm.objects.contacts.read', 'crm.objects.deals.read'],
    });
    const accepted = await rotorWithInput(['submit', appId, '--token-stdin', '--json'], newToken);

    // Assess
    expect(shown.stdout).toMatch(/hubspot portal\s+4711/);
    expect(shown.stdout).toMatch(/token scopes\s+crm\.objects\.contacts\.read, tickets/);
    expectRefused(wrongPortal, '9001');
    expect(wrongPortal.stderr).toContain('4711');
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(JSON.stringify(JSON.parse(accepted.stdout))).toContain('crm.objects.deals.read');
    await eventually(async () => (await env.system.registry.apps.getApp(appId)).state === 'GRACE');
    const all = outputs.join('\n');
    expect(all).not.toContain(newToken);
    expect(all).not.toContain(oldToken);
  }, 60_000);
});

/** One request the scripted API got: what a retry must repeat. */
interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly key: string | undefined;
  readonly body: string;
}

/**
 * An HTTP server on 127.0.0.1 standing in for the operator API that plays `script` in order, one step
 * per request (`'drop'` closes the connection without an answer), then answers 200 with `answer`.
 */
async function scriptedApi(script: ('drop' | { status: number; body: unknown })[], answer: unknown) {
  const seen: SeenRequest[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const key = request.headers['idempotency-key'];
      seen.push({
        method: request.method ?? '',
        path: request.url ?? '',
        key: typeof key === 'string' ? key : undefined,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const step = script.shift();
      if (step === 'drop') {
        request.socket.destroy();
        return;
      }
      response.writeHead(step?.status ?? 200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(step?.body ?? answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('Command: rotor (retries with an Idempotency-Key)', () => {
  const expired = {
    appId: 'billing-api',
    rotationId: 'r-20261202T101010Z-abcdef',
    oldVersionId: 'old',
    newVersionId: 'new',
    message: 'Expired the old token of app "billing-api" now.',
  };
  const timedOut = { status: 504, body: { message: 'Endpoint request timed out' } };

  it('expire-now retries a dropped connection, a 504 and "still in progress" with the same key, and prints the answer as the API gave it', async () => {
    // Prepare
    const inProgress = {
      status: 409,
      body: { message: 'The first request is still in progress.', code: 'IdempotencyKeyInProgressError' },
    };
    const api = await scriptedApi(['drop', timedOut, inProgress], expired);

    // Act
    const run = await rotor(['expire-now', 'billing-api', '--json'], { ROTOR_API_URL: api.url });
    await api.close();

    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(expired);
    expect(run.stderr).toBe('');
    expect(api.seen).toHaveLength(4);
    const [first] = api.seen;
    expect(first?.key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(api.seen).toEqual(Array(4).fill(first));
    expect(first).toMatchObject({ method: 'POST', path: '/v1/apps/billing-api/expire-now' });
  });

  it('sends a fresh key with every change command and none with a read', async () => {
    // Prepare
    const api = await scriptedApi([], expired);

    // Act
    const runs = [
      await rotor(['expire-now', 'billing-api', '--json'], { ROTOR_API_URL: api.url }),
      await rotor(['cancel', 'billing-api', '--json'], { ROTOR_API_URL: api.url }),
      await rotor(['apps', 'remove', 'billing-api', '--json'], { ROTOR_API_URL: api.url }),
    ];
    await rotor(['apps', 'list', '--json'], { ROTOR_API_URL: api.url });
    await api.close();

    // Assess
    for (const run of runs) expect(run.code, run.stderr).toBe(0);
    expect(api.seen[3]).toMatchObject({ method: 'GET', key: undefined });
    const keys = api.seen.slice(0, 3).map((request) => request.key);
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(3);
    expect(keys.every((key) => typeof key === 'string')).toBe(true);
  });

  it('gives up after four attempts and says what the API said, exit 1', async () => {
    // Prepare
    const unavailable = { status: 503, body: { message: 'Rotor is unavailable.', code: 'InternalError' } };
    const api = await scriptedApi(Array(4).fill(unavailable), expired);

    // Act
    const run = await rotor(['expire-now', 'billing-api'], { ROTOR_API_URL: api.url });
    await api.close();

    // Assess
    expectRefused(run, 'Rotor is unavailable.');
    expect(api.seen).toHaveLength(4);
    expect(new Set(api.seen.map((request) => request.key)).size).toBe(1);
  });

  it('does not retry a refusal: a 409 is answered at once', async () => {
    // Prepare
    const conflict = { status: 409, body: { message: 'No rotation of app "billing-api" is running.' } };
    const api = await scriptedApi([conflict], expired);

    // Act
    const run = await rotor(['expire-now', 'billing-api'], { ROTOR_API_URL: api.url });
    await api.close();

    // Assess
    expectRefused(run, 'No rotation of app "billing-api" is running.');
    expect(api.seen).toHaveLength(1);
  });
});
