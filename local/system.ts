import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { closeServer } from './awsJsonServer.ts';
import type { VirtualClock } from './clock.ts';
import { createRegistryTable, startLocalDynamoDb } from './dynamodb.ts';
import { type FakeHubSpot, startFakeHubSpot } from './hubspot/fake.ts';
import { clearEmails } from './observe.ts';
import {
  type RunningSecretsManagerEmulator,
  startSecretsManagerEmulator,
} from './secrets-manager/emulator.ts';
import { startLocalStepFunctions } from './step-functions/service.ts';
import {
  functionsOf,
  type LocalFunction,
  stateMachinesOf,
  synthesizeTemplate,
  type Template,
} from './template.ts';

/**
 * aws-ses-v2-local is CommonJS with an `exports.default`; Node and Vitest disagree on what a default
 * import of it is, while require() gives the same object to both.
 */
const startSesServer = (
  createRequire(import.meta.url)('aws-ses-v2-local') as typeof import('aws-ses-v2-local')
).default;

/** A Lambda handler as local mode runs it: JSON in, JSON out. */
export type LocalHandler = (event: unknown) => Promise<unknown>;

export interface LocalSystemOptions {
  /** @default 'eu-central-1' */
  readonly region?: string;
  /** @default '123456789012' */
  readonly accountId?: string;
  /** @default 'rotor-local' */
  readonly tableName?: string;
  /** Deployment settings for the synthesized stack (cdk.json's `rotor` keys). */
  readonly settings?: Record<string, unknown>;
  /** Fixed ports; 0 picks free ones. @default the first system's of this process, else free ones */
  readonly ports?: Partial<
    Record<'dynamodb' | 'secretsManager' | 'ses' | 'stepFunctions' | 'hubspot', number>
  >;
  /**
   * Start the fake HubSpot and make it the HubSpot API of new hubspot apps (HUBSPOT_API_URL). Local mode
   * never calls the real HubSpot. @default true
   */
  readonly hubspot?: boolean;
  /** Milliseconds to wait in the named Wait states instead of the real time (e.g. 0 in tests), for every workflow. */
  readonly waitTimeOverrides?: Readonly<Record<string, number>>;
  /** Milliseconds between retries of the named states (e.g. a short poll in tests). */
  readonly retryIntervalOverrides?: Readonly<Record<string, number>>;
  /** Local mode's virtual clock: workflow waits pass through it. Without it, waits take real time. */
  readonly clock?: VirtualClock;
  /** Keep DynamoDB's and Secrets Manager's data in this folder across restarts; else in memory. */
  readonly dataDir?: string;
  /** Lets a test put itself between the system and a handler (to inject a fault, or count calls). */
  readonly wrapHandler?: (fn: LocalFunction, handler: LocalHandler) => LocalHandler;
}

export interface LocalSystem {
  readonly region: string;
  readonly tableName: string;
  readonly endpoints: { dynamodb: string; secretsManager: string; ses: string; stepFunctions: string };
  /** The environment every handler and SDK client of this process now uses. */
  readonly env: Record<string, string>;
  readonly functions: readonly LocalFunction[];
  readonly rotationStateMachineArn: string;
  readonly sweepStateMachineArn: string;
  readonly rotationHookArn: string;
  /**
   * The Secrets Manager emulator's background rotations (RotateSecret answers before they run, as on
   * AWS): their failed steps, and ways to await their end.
   */
  readonly secretsManagerRotations: Pick<
    RunningSecretsManagerEmulator,
    'rotationErrors' | 'whenRotationSettled' | 'rotationsIdle'
  >;
  readonly stepFunctions: Awaited<ReturnType<typeof startLocalStepFunctions>>;
  /** The fake HubSpot (unless `hubspot: false`). */
  readonly hubspot?: FakeHubSpot;
  /** The ports in use, to start a fresh system on the same ones (handlers keep their clients). */
  readonly ports: Record<'dynamodb' | 'secretsManager' | 'ses' | 'stepFunctions', number> & {
    hubspot?: number;
  };
  close(): Promise<void>;
}

const templates = new Map<string, Template>();

/**
 * Handler modules are imported once per process and keep the endpoints and table name they were
 * loaded with. So every later system of the process listens on the first one's ports and uses its
 * table (a system must be closed before the next starts).
 */
let firstSystem: { tableName: string; ports: NonNullable<LocalSystemOptions['ports']> } | undefined;

/** Synthesizing takes seconds; a process that starts several systems synthesizes each setting once. */
function templateFor(settings: Record<string, unknown>): Template {
  const key = JSON.stringify(settings);
  let template = templates.get(key);
  if (!template) {
    template = synthesizeTemplate(settings);
    templates.set(key, template);
  }
  return template;
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}

/**
 * Starts all of Rotor on this machine, on 127.0.0.1 only: dynalite with the registry table, the SES
 * stand-in, the Secrets Manager emulator (its rotation function is the real hook), and the local
 * Step Functions service running the state machines of the synthesized stack, whose tasks run the
 * real handler modules in this process. Handlers and SDK clients reach the stand-ins only through
 * the AWS_ENDPOINT_URL_* variables this sets, so call it before any handler module is imported.
 */
export async function startLocalSystem(options: LocalSystemOptions = {}): Promise<LocalSystem> {
  const region = options.region ?? 'eu-central-1';
  const accountId = options.accountId ?? '123456789012';
  const tableName = options.tableName ?? firstSystem?.tableName ?? 'rotor-local';
  if (firstSystem && tableName !== firstSystem.tableName) {
    throw new Error(
      `this process's handlers already use table ${firstSystem.tableName}; a later local system must use it too`,
    );
  }
  const ports = options.ports ?? firstSystem?.ports ?? {};
  const names = { region, accountId, tableName };
  const template = templateFor({ region, ...options.settings });
  const functions = functionsOf(template, names);
  const stateMachines = stateMachinesOf(template, names);
  const byArn = new Map(functions.map((fn) => [fn.arn, fn]));
  const findMachine = (logicalIdStart: string) => {
    const machine = stateMachines.find((candidate) => candidate.logicalId.startsWith(logicalIdStart));
    if (!machine) throw new Error(`the synthesized stack has no ${logicalIdStart} state machine`);
    return machine;
  };
  const hook = functions.find((fn) => fn.handler === 'rotation-hook');
  if (!hook) throw new Error('the synthesized stack has no rotation hook');

  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const dynamo = await startLocalDynamoDb({
    port: ports.dynamodb ?? 0,
    ...(options.dataDir ? { path: path.join(options.dataDir, 'dynamodb') } : {}),
  });
  const ses = await startSesServer({ host: '127.0.0.1', port: ports.ses ?? 0 });
  const sesUrl = `http://127.0.0.1:${(ses.address() as AddressInfo).port}`;
  // The stand-in keeps mail in a store shared by every server of this process: a fresh system starts empty.
  await clearEmails(sesUrl);

  const handlers = new Map<string, Promise<LocalHandler>>();
  const handlerOf = (fn: LocalFunction): Promise<LocalHandler> => {
    let loaded = handlers.get(fn.arn);
    if (!loaded) {
      loaded = import(`../lambda/${fn.handler}/index.ts`).then((module: { handler: LocalHandler }) => {
        const real: LocalHandler = (event) => module.handler(event);
        return options.wrapHandler ? options.wrapHandler(fn, real) : real;
      });
      handlers.set(fn.arn, loaded);
    }
    return loaded;
  };
  /** Invokes a function as Lambda would: the payload and the result cross as JSON. */
  const invoke = async (functionArn: string, payload: unknown): Promise<unknown> => {
    const fn = byArn.get(functionArn) ?? functions.find((candidate) => candidate.logicalId === functionArn);
    if (!fn) throw new Error(`local mode has no function ${functionArn}`);
    const handler = await handlerOf(fn);
    const result = await handler(JSON.parse(JSON.stringify(payload ?? {})));
    return result === undefined ? null : JSON.parse(JSON.stringify(result));
  };

  const secretsManager = await startSecretsManagerEmulator({
    region,
    accountId,
    port: ports.secretsManager ?? 0,
    ...(options.dataDir ? { dataFile: path.join(options.dataDir, 'secrets-manager.json') } : {}),
    invokeRotationFunction: invoke,
    onRotationError: () => {},
  });
  const rotationMachine = findMachine('RotationWorkflow');
  const sweepMachine = findMachine('SweepWorkflow');
  const clock = options.clock as VirtualClock;
  const stepFunctions = await startLocalStepFunctions({
    region,
    accountId,
    port: ports.stepFunctions ?? 0,
    stateMachines: stateMachines.map(({ name, arn, definition }) => ({ name, arn, definition })),
    invokeFunction: invoke,
    ...(options.clock
      ? { sleepUntil: (untilMs: number, signal: AbortSignal) => clock.sleepUntil(untilMs, signal) }
      : {}),
    ...(options.waitTimeOverrides ? { waitTimeOverrides: { '*': options.waitTimeOverrides } } : {}),
    ...(options.retryIntervalOverrides ? { retryIntervalOverrides: options.retryIntervalOverrides } : {}),
  });

  const hubspot =
    (options.hubspot ?? true) ? await startFakeHubSpot({ port: ports.hubspot ?? 0 }) : undefined;
  const env: Record<string, string> = {
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.url,
    AWS_ENDPOINT_URL_SES: sesUrl,
    AWS_ENDPOINT_URL_SFN: stepFunctions.url,
    // Local mode runs on this machine's Node.js; the Lambda runtime is Node.js 24.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  for (const fn of functions) {
    for (const [key, value] of Object.entries(fn.environment)) {
      if (key !== 'POWERTOOLS_SERVICE_NAME' && key !== 'NODE_OPTIONS') env[key] = value;
    }
  }
  if (hubspot) env.HUBSPOT_API_URL = hubspot.url;
  Object.assign(process.env, env);
  await createRegistryTable(new DynamoDBClient({}), tableName);

  const used = {
    ...(hubspot ? { hubspot: hubspot.port } : {}),
    dynamodb: dynamo.port,
    secretsManager: portOf(secretsManager.url),
    ses: portOf(sesUrl),
    stepFunctions: portOf(stepFunctions.url),
  };
  firstSystem ??= { tableName, ports: used };
  return {
    region,
    tableName,
    endpoints: {
      dynamodb: dynamo.url,
      secretsManager: secretsManager.url,
      ses: sesUrl,
      stepFunctions: stepFunctions.url,
    },
    env,
    functions,
    rotationStateMachineArn: rotationMachine.arn,
    sweepStateMachineArn: sweepMachine.arn,
    rotationHookArn: hook.arn,
    secretsManagerRotations: {
      rotationErrors: secretsManager.rotationErrors,
      whenRotationSettled: (secretId) => secretsManager.whenRotationSettled(secretId),
      rotationsIdle: () => secretsManager.rotationsIdle(),
    },
    stepFunctions,
    ...(hubspot ? { hubspot } : {}),
    ports: used,
    close: async () => {
      await stepFunctions.close();
      await secretsManager.close();
      await closeServer(ses);
      await dynamo.close();
      await hubspot?.close();
    },
  };
}
