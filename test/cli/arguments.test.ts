import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/index.ts';
import type { ApiClient, CliIo, ConnectionOptions } from '../../cli/io.ts';
import { createProgram } from '../../cli/program.ts';
import { APP_ID_PATTERN } from '../../lambda/contract/ids.ts';

/**
 * The CLI parsed in this process (no spawn): bad usage must never reach the API, and must end with
 * exit code 2 and one line on stderr.
 */
interface Recorded {
  readonly io: CliIo;
  readonly out: string[];
  readonly err: string[];
  readonly requests: string[];
}

function recordingIo(answer: unknown = { apps: [] }, extra: Partial<CliIo> = {}): Recorded {
  const out: string[] = [];
  const err: string[] = [];
  const requests: string[] = [];
  const client: ApiClient = {
    url: 'http://127.0.0.1:1/v1',
    request: async <T>(method: string, path: string) => {
      requests.push(`${method} ${path}`);
      return answer as T;
    },
  };
  const io: CliIo = {
    env: {},
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    isTTY: false,
    connect: async (_options: ConnectionOptions) => client,
    sleep: async () => {},
    now: () => new Date('2026-11-30T12:00:00Z'),
    ...extra,
  };
  return { io, out, err, requests };
}

const COMMANDS = ['apps', 'rotate', 'expire-now', 'cancel', 'history', 'audit', 'submit', 'help'];
const word = fc.string({ minLength: 1, maxLength: 12 }).filter((text) => !text.startsWith('-'));
const badAppId = fc
  .oneof(
    fc.string({ minLength: 1, maxLength: 30 }),
    fc.constantFrom('A', 'ab', 'Upper', 'a_b', 'a'.repeat(49), 'x y'),
  )
  .filter((text) => !APP_ID_PATTERN.test(text) && !text.startsWith('-'));
const goodAppId = fc.stringMatching(/^[a-z0-9][a-z0-9-]{2,20}$/);
const badDuration = fc.oneof(
  fc.constantFrom('0h', '0s', '7', 'd7', '7 days', '1y', '-1d', '999999d', ''),
  word.filter((text) => !/^\d{1,6}[smhd]$/.test(text.trim())),
);

/** Argument lists that are bad usage by construction. */
const badUsage: fc.Arbitrary<string[]> = fc.oneof(
  // An unknown command, perhaps a typo of a real one.
  fc
    .oneof(word, fc.constantFrom('aps', 'rotat', 'expire', 'cancle', 'histroy', 'adit', 'app'))
    .filter((name) => !COMMANDS.includes(name))
    .map((name) => [name]),
  fc
    .tuple(fc.constantFrom('add', 'lst', 'shw', 'delete', 'rm'), goodAppId)
    .map(([sub, app]) => ['apps', sub, app]),
  // A malformed app id for every command that takes one.
  fc
    .tuple(
      fc.constantFrom(['apps', 'show'], ['apps', 'remove'], ['expire-now'], ['cancel'], ['history']),
      badAppId,
    )
    .map(([command, app]) => [...command, app]),
  fc.tuple(badAppId, fc.constantFrom('now', 'later')).map(([app, when]) => ['rotate', app, '--expire', when]),
  // rotate with a missing or bad --expire, --grace, --reason or --timeout.
  goodAppId.map((app) => ['rotate', app]),
  fc
    .tuple(
      goodAppId,
      word.filter((w) => w !== 'now' && w !== 'later'),
    )
    .map(([app, when]) => ['rotate', app, '--expire', when]),
  fc
    .tuple(goodAppId, badDuration)
    .map(([app, grace]) => ['rotate', app, '--expire', 'later', '--grace', grace]),
  fc
    .tuple(
      goodAppId,
      fc.constantFrom(
        '',
        'a\nb',
        'x'.repeat(501),
        'tab\there',
        // A token pasted into the reason (Rotor's own, HubSpot's): never sent, mailed or stored.
        'leaked rtr_0123456789abcdefghijABCDEFGHIJ0123456789abcdefg',
        'pat-na1-1a2b3c4d-0000-4000-8000-000000000000',
      ),
    )
    .map(([app, reason]) => ['rotate', app, '--expire', 'now', '--reason', reason]),
  fc
    .tuple(goodAppId, badDuration)
    .map(([app, timeout]) => ['rotate', app, '--expire', 'later', '--wait', '--timeout', timeout]),
  // apps add without --secret, or with a bad value for one option.
  goodAppId.map((app) => ['apps', 'add', app, '--admin', 'a@example.com']),
  fc
    .tuple(
      goodAppId,
      fc.constantFrom(
        ['--admin', 'not-an-email'],
        ['--admin', 'ädmin@bücher.example'],
        ['--admin', 'a;b@c.example'],
        ['--admin', 'ops@exam\u202Eple.com:en'],
        ['--customer', 'ops@exa\u200Bmple.com'],
        ['--admin', 'a@example.com:fr'],
        ['--customer', '@example.com'],
        ['--locale', 'fr'],
        ['--policy', 'sometimes'],
        ['--issuer', 'github'],
        ['--default-mode', 'never'],
        ['--time-zone', 'Mars/Olympus'],
        ['--secret', 'has space'],
      ),
    )
    .map(([app, bad]) => ['apps', 'add', app, '--secret', `rotor/${app}`, ...bad]),
  fc
    .tuple(goodAppId, fc.constantFrom('--interval', '--grace', '--reminder-repeat'), badDuration)
    .map(([app, option, value]) => ['apps', 'add', app, '--secret', `rotor/${app}`, option, value]),
  // audit with a bad --since.
  badDuration.map((since) => ['audit', '--since', since]),
  // An unknown option, or one argument too many, anywhere.
  fc
    .tuple(fc.constantFrom(['apps', 'list'], ['audit'], ['history', 'my-app'], ['cancel', 'my-app']), word)
    .map(([command, option]) => [...command, `--${option.replace(/^-+/, '')}x`]),
  fc
    .tuple(fc.constantFrom(['apps', 'show', 'my-app'], ['expire-now', 'my-app'], ['apps', 'list']), word)
    .map(([command, extra]) => [...command, extra]),
  fc.constantFrom<string[]>([], ['apps']),
);

describe('Command: rotor (argument lists)', () => {
  it('refuses 1,500 malformed argument lists with exit 2, one line on stderr and no request', async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(badUsage, fc.boolean(), async (args, json) => {
        const { io, out, err, requests } = recordingIo();
        const argv = json && args.length > 0 ? [...args, '--json'] : args;

        const code = await main(argv, io);

        runs += 1;
        const context = `rotor ${JSON.stringify(argv)} → ${err.join('')}`;
        expect(code, context).toBe(2);
        expect(requests, context).toEqual([]);
        expect(out, context).toEqual([]);
        expect(err.join('').endsWith('\n'), context).toBe(true);
        expect(err.join('').trimEnd().split('\n'), context).toHaveLength(1);
        expect(err.join(''), context).toMatch(/^rotor: \S/);
      }),
      { numRuns: 1500 },
    );
    expect(runs).toBe(1500);
  });

  it('names what is allowed and suggests the command meant', async () => {
    const cases: [string[], string][] = [
      [['aps', 'list'], "rotor: unknown command 'aps' (Did you mean apps?)\n"],
      [['apps', 'shw', 'x1y'], "rotor: unknown command 'shw' (Did you mean show?)\n"],
      [
        ['rotate', 'billing-api', '--expire', 'soon'],
        "rotor: option '--expire <when>' argument 'soon' is invalid. Allowed choices are now, later.\n",
      ],
      [
        ['rotate', 'billing-api', '--expire', 'later', '--grace', '40d'],
        `rotor: option '--grace <duration>' argument '40d' is invalid. It must be a duration from 1h to 30d, such as "7d".\n`,
      ],
      [
        ['apps'],
        'rotor: "rotor apps" needs a command: add, update, list, show, remove (see "rotor apps --help")\n',
      ],
    ];
    for (const [argv, message] of cases) {
      const { io, err } = recordingIo();
      expect(await main(argv, io)).toBe(2);
      expect(err.join('')).toBe(message);
    }
  });

  it('refuses a HubSpot submit or registration that cannot work with exit 2 and no request', async () => {
    const cases: [string[], string][] = [
      [
        ['submit', 'crm-sync'],
        'rotor: submit reads the token from standard input only: rotor submit crm-sync --token-stdin < token.txt\n',
      ],
      [
        ['submit', 'crm-sync', '--token-stdin'],
        'rotor: standard input must hold exactly one token on one line (as HubSpot shows it), and it was empty or had spaces\n',
      ],
      [
        ['apps', 'add', 'crm-sync', '--secret', 'rotor/crm-sync', '--issuer', 'hubspot'],
        'rotor: --issuer hubspot needs --hub-id, the HubSpot portal of the app (e.g. 4711)\n',
      ],
      [
        ['apps', 'add', 'crm-sync', '--secret', 'rotor/crm-sync', '--hub-id', '4711'],
        'rotor: --hub-id is only for --issuer hubspot\n',
      ],
    ];
    for (const [argv, message] of cases) {
      const { io, err, requests } = recordingIo();
      expect(await main(argv, io)).toBe(2);
      expect(requests).toEqual([]);
      expect(err.join('')).toBe(message);
    }
  });

  it('refuses a webhook that cannot work with exit 2, one line that does not echo its URL, and no request', async () => {
    const url = 'http://hooks.example.com/services/T000/B000/secretpart';
    const cases: [string[], RegExp][] = [
      [
        ['apps', 'update', 'billing-api', '--webhook', url],
        /^rotor: .*--webhook.*uses http; it must be an https:\/\//,
      ],
      [
        ['apps', 'add', 'billing-api', '--secret', 'rotor/b', '--webhook', url],
        /uses http; it must be an https:/,
      ],
      [['apps', 'update', 'billing-api'], /^rotor: apps update needs something to change: --remind-before/],
      [
        ['apps', 'update', 'billing-api', '--webhook-kind', 'slack'],
        /--webhook-kind goes with --webhook <url>/,
      ],
      [
        ['apps', 'update', 'billing-api', '--remove-webhook', 'hook-1'],
        /--remove-webhook.*must be a webhook id/,
      ],
      [
        ['apps', 'update', 'billing-api', '--webhook', 'https://ops.example.com/x', '--webhook-kind', 'xml'],
        /--webhook-kind.*json, slack, teams/,
      ],
    ];
    for (const [argv, message] of cases) {
      const { io, err, requests } = recordingIo();
      expect(await main(argv, io), argv.join(' ')).toBe(2);
      expect(requests).toEqual([]);
      expect(err.join('').trimEnd().split('\n')).toHaveLength(1);
      expect(err.join('')).toMatch(message);
      expect(err.join('')).not.toContain('secretpart');
    }
  });

  it('adds and removes webhooks with apps update, one request each, then shows the app', async () => {
    const { io, requests } = recordingIo({ app: undefined, message: 'Done.' });
    await main(
      [
        'apps',
        'update',
        'billing-api',
        '--remove-webhook',
        'wh-0123456789',
        '--webhook',
        'https://ops.example.com/a',
        '--json',
      ],
      io,
    );
    expect(requests).toEqual([
      'DELETE /apps/billing-api/webhooks/wh-0123456789',
      'POST /apps/billing-api/webhooks',
      'GET /apps/billing-api',
    ]);
  });

  it('refuses bad --remind-before and --notice-before, and an apps update with nothing to change, with exit 2 and no request', async () => {
    const remindRule =
      "It must be at most 5 different durations in whole days, comma-separated, each from 1d and shorter than the app's interval, such as 30d,7d, or none.";
    const cases: [string[], string][] = [
      [
        ['apps', 'update', 'billing-api', '--remind-before', '30d,30d'],
        `rotor: option '--remind-before <days|none>' argument '30d,30d' is invalid. ${remindRule}\n`,
      ],
      [
        ['apps', 'update', 'billing-api', '--remind-before', '36h'],
        `rotor: option '--remind-before <days|none>' argument '36h' is invalid. ${remindRule}\n`,
      ],
      [
        ['apps', 'add', 'billing-api', '--secret', 'rotor/b', '--remind-before', '1d,2d,3d,4d,5d,6d'],
        `rotor: option '--remind-before <days|none>' argument '1d,2d,3d,4d,5d,6d' is invalid. ${remindRule}\n`,
      ],
      [
        ['apps', 'update', 'billing-api', '--notice-before', '30m'],
        `rotor: option '--notice-before <duration>' argument '30m' is invalid. It must be a duration from 1h, shorter than the app's grace period, such as "24h".\n`,
      ],
      [
        ['apps', 'update', 'billing-api'],
        'rotor: apps update needs something to change: --remind-before, --notice-before, --webhook <url> or --remove-webhook <id>\n',
      ],
    ];
    for (const [argv, message] of cases) {
      const { io, err, requests } = recordingIo();
      expect(await main(argv, io), argv.join(' ')).toBe(2);
      expect(requests).toEqual([]);
      expect(err.join('')).toBe(message);
    }
  });

  it('sends apps update as a PATCH of the settings given, none as an empty list', async () => {
    const bodies: unknown[] = [];
    const recorded = recordingIo();
    const io: CliIo = {
      ...recorded.io,
      connect: async () => ({
        url: 'http://127.0.0.1:1/v1',
        request: async <T>(method: string, path: string, request?: { body?: unknown }) => {
          bodies.push([method, path, request?.body]);
          return { message: 'Updated.', app: undefined } as T;
        },
      }),
    };
    await main(['apps', 'update', 'billing-api', '--remind-before', 'none', '--json'], io);
    await main(
      ['apps', 'update', 'billing-api', '--remind-before', '60d, 7d', '--notice-before', '48h', '--json'],
      io,
    );

    expect(bodies).toEqual([
      ['PATCH', '/apps/billing-api', { remindBefore: [] }],
      ['GET', '/apps/billing-api', undefined],
      ['PATCH', '/apps/billing-api', { remindBefore: ['60d', '7d'], noticeBefore: '48h' }],
      ['GET', '/apps/billing-api', undefined],
    ]);
  });

  it('refuses what is well formed but not possible with exit 1 and no request: --grace with now', async () => {
    for (const argv of [['rotate', 'billing-api', '--expire', 'now', '--grace', '7d']]) {
      const { io, err, requests } = recordingIo();
      expect(await main(argv, io)).toBe(1);
      expect(requests).toEqual([]);
      expect(err.join('').trimEnd().split('\n')).toHaveLength(1);
    }
  });

  it('gives every command an example in its --help', async () => {
    const program = createProgram(recordingIo().io);
    const commands = [
      program,
      ...program.commands,
      ...program.commands.flatMap((command) => command.commands),
    ];
    expect(commands.length).toBeGreaterThanOrEqual(12);
    for (const command of commands) {
      const path: string[] = [];
      for (let c: typeof command | null = command; c?.parent; c = c.parent) path.unshift(c.name());
      const { io, out } = recordingIo();
      expect(await main([...path, '--help'], io)).toBe(0);
      expect(out.join(''), path.join(' ')).toMatch(/Examples?:\n {2}\$ rotor /);
    }
  });

  it('colours tables only on a terminal and never with NO_COLOR', async () => {
    const answer = {
      apps: [
        {
          appId: 'billing-api',
          issuer: 'managed',
          state: 'GRACE',
          policy: 'remind',
          tokenIssuedAt: '2026-11-30T11:00:00Z',
          tokenAgeSeconds: 3600,
          nextDueAt: '2027-05-29T11:00:00Z',
          graceEndsAt: '2026-12-07T11:00:00Z',
        },
      ],
    };
    const tty = recordingIo(answer, { isTTY: true });
    const noColor = recordingIo(answer, { isTTY: true, env: { NO_COLOR: '1' } });
    const pipe = recordingIo(answer);

    await main(['apps', 'list'], tty.io);
    await main(['apps', 'list'], noColor.io);
    await main(['apps', 'list'], pipe.io);

    expect(tty.out.join('')).toContain('\u001b[33mGRACE\u001b[0m');
    expect(noColor.out.join('')).not.toContain('\u001b[');
    expect(pipe.out.join('')).toBe(
      'APP          STATE  TOKEN AGE  NEXT                  LAST ROTATION\nbilling-api  GRACE  1h         grace ends in 6d 23h  -\n',
    );
  });
});
