import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { allEmails } from '../../local/observe.ts';

const exec = promisify(execFile);
/** Starting synthesizes the stack and a demo runs workflows: generous on a busy 2-core machine. */
const TIMEOUT_MS = 150_000;
const scratch = mkdtempSync(path.join(tmpdir(), 'rotor-start-test-'));

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/**
 * What `npm start` runs, as a person runs it in a terminal: its own process group, so Ctrl-C reaches
 * all of it. (Node itself, not npm's wrapper, so the test sees Rotor's own exit code.)
 */
function start(args: string[], stateFile: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts', ...args], {
    detached: true,
    env: { ...process.env, ROTOR_LOCAL_STATE: stateFile, POWERTOOLS_LOG_LEVEL: 'ERROR' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const printed = async (text: string, ms = TIMEOUT_MS) => {
    const deadline = Date.now() + ms;
    while (!output.includes(text)) {
      if (Date.now() > deadline) throw new Error(`npm start did not print "${text}"; it printed:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  return { child, exited, printed, output: () => output };
}

/** Ctrl-C in a terminal: SIGINT to the whole process group. */
function pressCtrlC(child: ChildProcess) {
  process.kill(-(child.pid as number), 'SIGINT');
}

function portsIn(text: string): number[] {
  return [...new Set([...text.matchAll(/http:\/\/127\.0\.0\.1:(\d+)/g)].map((match) => Number(match[1])))];
}

async function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function processGroupAlive(pgid: number): Promise<boolean> {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** `EVENT recipient locale` lines, grouped by runs of one event, recipients sorted: `EVENT a de, b en`. */
function byEvent(lines: readonly string[]): string[] {
  const runs: { event: string; recipients: string[] }[] = [];
  for (const line of lines) {
    const [event = '', ...rest] = line.split(' ');
    const last = runs.at(-1);
    if (last?.event === event) last.recipients.push(rest.join(' '));
    else runs.push({ event, recipients: [rest.join(' ')] });
  }
  return runs.map((run) => `${run.event} ${run.recipients.sort().join(', ')}`);
}

describe('npm start', () => {
  it(
    'prints ready with the mail viewer, runs the demo to its end, and every email it announced is in the viewer',
    async () => {
      // Act
      const stateFile = path.join(scratch, 'demo.json');
      const rotor = start(['--speed', '1000000'], stateFile);
      await rotor.printed('Rotor keeps running');
      const output = rotor.output();
      const viewer = /ready: mail viewer at (http:\/\/127\.0\.0\.1:\d+)\//.exec(output)?.[1];
      const consoleUrl = /, console at (http:\/\/127\.0\.0\.1:\d+\/console)\//.exec(output)?.[1];
      const all = await allEmails(String(viewer));
      const stored = all.filter((mail) => mail.subject.includes('billing-sync:'));
      // The virtual clock is 8 days ahead now; the CLI signs with the real time and is still let in.
      const shown = await exec(
        'node',
        ['bin/rotor.mjs', '--local', 'apps', 'show', 'billing-sync', '--json'],
        {
          env: { ...process.env, ROTOR_LOCAL_STATE: stateFile },
        },
      );
      pressCtrlC(rotor.child);
      await rotor.exited;

      // Assess
      const announced = [...output.matchAll(/✉ ([A-Z_0-9]+) → (\S+) \((de|en)\)/g)].map(
        (m) => `${m[1]} ${m[2]} ${m[3]}`,
      );
      // The events in order, each to each admin once; two deliveries may race (the operator's and the
      // woken workflow's), so the admins of one event may hear in either order.
      expect(byEvent(announced)).toEqual([
        'ROTATION_INITIATED anna@demo.example de, ben@demo.example en',
        'TOKEN_EXPIRES_IN_24H anna@demo.example de, ben@demo.example en',
        'ROTATION_COMPLETED anna@demo.example de, ben@demo.example en',
        'ROTATION_INITIATED anna@demo.example de, ben@demo.example en',
        'ROTATION_CANCELLED anna@demo.example de, ben@demo.example en',
      ]);
      expect(byEvent(stored.map((mail) => `${mail.event} ${mail.to} ${mail.locale}`))).toEqual(
        byEvent(announced),
      );
      expect(output).toMatch(/rotation 1 done: old token \(\w+\) refused, new token \(\w+\) accepted/);
      expect(output).toMatch(/rotation 2 cancelled: old token \(\w+\) accepted, new token \(\w+\) refused/);
      expect(output).toContain('Demo finished in');
      // Each step is an EventBridge event too, printed as it arrives on the local bus.
      const rotationSteps = [
        'Rotor Rotation Started',
        'Rotor Rotation Initiated',
        'Rotor Token Expires Soon',
        'Rotor Rotation Completed',
        'Rotor Rotation Started',
        'Rotor Rotation Initiated',
        'Rotor Rotation Cancelled',
      ];
      expect([...output.matchAll(/⇢ event "([^"]+)" on bus default/g)].map((m) => m[1])).toEqual([
        'Rotor App Registered',
        ...rotationSteps,
      ]);
      // And to the demo app's json webhook (added after the registration), each delivery's signature checked
      // as a receiver checks it. Deliveries run in parallel, so a rotation's start and its first step may
      // arrive either way round.
      expect(
        [...output.matchAll(/⇢ webhook "([^"]+)" → \/hooks\/billing-sync: (\d+), (.+)$/gm)]
          .map((m) => `${m[1]} ${m[2]} ${m[3]}`)
          .sort(),
      ).toEqual(rotationSteps.map((detailType) => `${detailType} 200 signature verified`).sort());
      expect(output).toContain('webhook receiver   http://127.0.0.1:');
      // An admin without AWS credentials signed in by the emailed link and cancelled from the email's button.
      expect(output).toContain(`  console            ${consoleUrl}/`);
      expect(output).toContain(
        '✉ sign-in link → ben@demo.example; signed in: the app list shows billing-sync',
      );
      expect(output).toMatch(
        /console: "Cancel rotation" button of the ROTATION_INITIATED email, confirmed → Cancelled rotation \S+ of app "billing-sync"/,
      );
      expect(
        all.filter((mail) => mail.subject === '[Rotor] Your sign-in link').map((mail) => mail.to),
      ).toEqual(['ben@demo.example']);
      expect(JSON.parse(shown.stdout)).toMatchObject({ app: { appId: 'billing-sync', state: 'ACTIVE' } });
    },
    TIMEOUT_MS,
  );

  it(
    'serves the CLI with --local, and Ctrl-C stops every process and frees every port',
    async () => {
      // Prepare
      const stateFile = path.join(scratch, 'cli.json');
      const rotor = start(['--no-demo'], stateFile);
      await rotor.printed('ready:');
      const ports = portsIn(rotor.output());
      const cli = await exec('node', ['bin/rotor.mjs', '--local', 'apps', 'list', '--json'], {
        env: { ...process.env, ROTOR_LOCAL_STATE: stateFile },
      });

      // Act
      pressCtrlC(rotor.child);
      const code = await rotor.exited;

      // Assess
      expect(JSON.parse(cli.stdout)).toEqual({ apps: [] });
      // DynamoDB, Secrets Manager, Step Functions, SES with its mail viewer, the fake HubSpot, the API,
      // the console, EventBridge, the webhook receiver.
      expect(ports).toHaveLength(9);
      expect(code).toBe(0);
      expect(rotor.output()).toContain('stopped; every port is free.');
      expect(existsSync(stateFile)).toBe(false);
      expect(await processGroupAlive(rotor.child.pid as number)).toBe(false);
      for (const port of ports) expect(await isFree(port)).toBe(true);
    },
    TIMEOUT_MS,
  );

  it(
    'keeps apps and tokens across a restart with --data-dir',
    async () => {
      // Prepare: an app registered through the CLI, then Ctrl-C.
      const dataDir = path.join(scratch, 'data');
      const stateFile = path.join(scratch, 'data.json');
      const cliEnv = { env: { ...process.env, ROTOR_LOCAL_STATE: stateFile } };
      const first = start(['--no-demo', '--data-dir', dataDir], stateFile);
      await first.printed('ready:');
      await exec(
        'node',
        [
          'bin/rotor.mjs',
          '--local',
          'apps',
          'add',
          'kept-app',
          '--secret',
          'rotor/kept-app',
          '--admin',
          'a@x.de',
        ],
        cliEnv,
      );
      pressCtrlC(first.child);
      await first.exited;

      // Act: a second start on the same data, and a rotation of the app it remembers.
      const second = start(['--no-demo', '--data-dir', dataDir], stateFile);
      await second.printed('ready:');
      const listed = await exec('node', ['bin/rotor.mjs', '--local', 'apps', 'list', '--json'], cliEnv);
      const rotated = await exec(
        'node',
        ['bin/rotor.mjs', '--local', 'rotate', 'kept-app', '--expire', 'now', '--wait', '--json'],
        cliEnv,
      );
      pressCtrlC(second.child);
      await second.exited;

      // Assess
      const apps = (JSON.parse(listed.stdout) as { apps: { appId: string; state: string }[] }).apps;
      expect(apps.map((app) => [app.appId, app.state])).toEqual([['kept-app', 'ACTIVE']]);
      expect(second.output()).toContain(`data               ${dataDir}`);
      expect(JSON.parse(rotated.stdout)).toMatchObject({ rotation: { appId: 'kept-app' } });
    },
    TIMEOUT_MS,
  );
});
