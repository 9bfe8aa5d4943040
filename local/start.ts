/**
 * `npm start [-- --no-demo] [--speed N] [--data-dir DIR]`: all of Rotor on this machine, on
 * 127.0.0.1 only and without an AWS account, on a virtual clock; then a guided demo of the lifecycle.
 * Ctrl-C (SIGINT or SIGTERM) stops everything and frees every port.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { connect } from '../cli/client.ts';
import { clearLocalState, LOCAL_STATE_FILE, writeLocalState } from '../cli/localState.ts';
import { startLocalApi } from './api/server.ts';
import { VirtualClock } from './clock.ts';
import { runDemo } from './demo.ts';
import { terminateLocalFunctions } from './lambda/runtime.ts';
import { type LocalSystem, operatorApiOf, startLocalSystem } from './system.ts';

/** Virtual seconds per real second of a wait: 12 hours, so the demo's 7-day grace period takes 14 s. */
const DEFAULT_SPEED = 43_200;

function usage(message: string): never {
  process.stderr.write(
    `npm start: ${message}\nusage: npm start [-- --no-demo] [--speed N] [--data-dir DIR]\n`,
  );
  process.exit(2);
}

function options() {
  try {
    const { values } = parseArgs({
      options: {
        demo: { type: 'boolean', default: true },
        'no-demo': { type: 'boolean', default: false },
        speed: { type: 'string' },
        'data-dir': { type: 'string' },
      },
    });
    const speed = values.speed === undefined ? DEFAULT_SPEED : Number(values.speed);
    if (!(Number.isFinite(speed) && speed >= 1)) {
      usage(`--speed must be a number of at least 1 (virtual seconds per real second), got ${values.speed}`);
    }
    return {
      demo: values.demo && !values['no-demo'],
      speed,
      dataDir: values['data-dir'] === undefined ? undefined : path.resolve(values['data-dir']),
    };
  } catch (error) {
    usage((error as Error).message);
  }
}

function describeSpeed(speed: number): string {
  const hours = speed / 3600;
  return hours >= 1 ? `1 s of waiting = ${Number(hours.toFixed(1))} h` : `1 s of waiting = ${speed} s`;
}

async function main(): Promise<void> {
  const started = performance.now();
  const settings = options();
  // Handler INFO lines would drown the demo; warnings and errors still show.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

  // With --data-dir, virtual time goes on from where the last run stopped, never backwards.
  const clockFile = settings.dataDir ? path.join(settings.dataDir, 'clock.json') : undefined;
  if (settings.dataDir) mkdirSync(settings.dataDir, { recursive: true });
  const clock = VirtualClock.install({
    speed: settings.speed,
    ...(clockFile ? { stateFile: clockFile } : {}),
  });
  let system: LocalSystem | undefined;
  let api: Awaited<ReturnType<typeof startLocalApi>> | undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping Rotor local mode…\n`);
    await api?.close();
    await system?.close();
    await terminateLocalFunctions();
    await clearLocalState();
    clock.uninstall();
    process.stdout.write('stopped; every port is free.\n');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  system = await startLocalSystem({
    clock,
    // The stack's daily sweep runs on the virtual clock, as EventBridge Scheduler runs it on AWS.
    schedules: true,
    ...(settings.dataDir ? { dataDir: settings.dataDir } : {}),
  });
  const credentials = { accessKeyId: 'ROTORLOCAL', secretAccessKey: randomBytes(24).toString('base64url') };
  api = await startLocalApi({
    credentials,
    region: system.region,
    handler: operatorApiOf(system),
  });
  const mailViewer = `${system.endpoints.ses}/`;
  await writeLocalState({
    apiUrl: api.url,
    region: system.region,
    ...credentials,
    mailViewerUrl: mailViewer,
    pid: process.pid,
  });

  const lines = [
    'Rotor local mode: everything on 127.0.0.1, no AWS account.',
    `  mail viewer        ${mailViewer}`,
    `  console            ${system.console.url}/   (app admins: sign in by emailed link)`,
    `  operator API       ${api.url}`,
    `  DynamoDB           ${system.endpoints.dynamodb}`,
    `  Secrets Manager    ${system.endpoints.secretsManager}`,
    `  Step Functions     ${system.endpoints.stepFunctions}`,
    `  SES                ${system.endpoints.ses}`,
    `  EventBridge        ${system.eventBridge.url}   (Rotor's events, source "rotor")`,
    `  webhook receiver   ${system.webhooks.url}/hooks/<name>   (apps update --webhook ${system.webhooks.hookUrl('<name>')})`,
    ...(system.hubspot ? [`  HubSpot (fake)     ${system.hubspot.url}`] : []),
    `  virtual clock      ${describeSpeed(settings.speed)}; now ${new Date().toISOString()}`,
    ...[...(system.scheduler?.next ?? new Map<string, number>())].map(
      ([name, at]) => `  schedule           ${name}: next ${new Date(at).toISOString()}`,
    ),
    `  data               ${settings.dataDir ?? 'in memory (use --data-dir DIR to keep it)'}`,
    '',
    'Point the CLI at it from another terminal:',
    '  npx rotor --local apps list',
    `  (it reads ${LOCAL_STATE_FILE}; or set ROTOR_API_URL=${api.url})`,
    '',
    `ready: mail viewer at ${mailViewer}, console at ${system.console.url}/ (started in ${((performance.now() - started) / 1000).toFixed(1)} s)`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  if (settings.demo) {
    // The demo acts as an operator with the CLI would: through the operator API, signed.
    const operatorApi = await connect(
      { apiUrl: api.url, region: system.region },
      {
        env: {
          AWS_ACCESS_KEY_ID: credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        },
      },
    );
    await runDemo({
      system,
      clock,
      api: operatorApi,
      mailViewer,
      print: (line) => process.stdout.write(`${line}\n`),
    });
  }
  process.stdout.write('\nRotor keeps running. Ctrl-C stops it.\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`npm start: ${(error as Error).message}\n`);
  process.exit(1);
});
