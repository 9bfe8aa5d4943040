import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DueAppsOutput } from '../lambda/contract/workflows.ts';
import { executionArnFor } from '../lambda/integrations/workflows.ts';
import type { VirtualClock } from './clock.ts';
import { type LocalConsole, startLocalConsole } from './console/server.ts';
import { createRegistryTable, startLocalDynamoDb } from './dynamodb.ts';
import { type LocalEventBridge, startLocalEventBridge } from './eventbridge/server.ts';
import { type FakeHubSpot, startFakeHubSpot } from './hubspot/fake.ts';
import { eventBridgeAccess, secretsManagerAccess, sesAccess, stepFunctionsAccess } from './iam/access.ts';
import { IamAuthority } from './iam/authority.ts';
import { startDynamoDbGate } from './iam/dynamoDbGate.ts';
import { invokeLocalFunction } from './lambda/runtime.ts';
import { type LocalScheduler, startLocalScheduler } from './scheduler.ts';
import {
  type RunningSecretsManagerEmulator,
  startSecretsManagerEmulator,
} from './secrets-manager/emulator.ts';
import { type StrictSesOptions, startStrictSes } from './ses/strictSes.ts';
import {
  type ExecutionDescription,
  LambdaServiceError,
  startLocalStepFunctions,
} from './step-functions/service.ts';
import {
  functionsOf,
  type LocalFunction,
  stateMachinesOf,
  synthesizeTemplate,
  type Template,
} from './template.ts';
import { startWebhookReceiver, type WebhookReceiver } from './webhooks/receiver.ts';

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
    Record<
      | 'dynamodb'
      | 'dynamodbTable'
      | 'secretsManager'
      | 'ses'
      | 'stepFunctions'
      | 'hubspot'
      | 'console'
      | 'eventBridge'
      | 'webhooks',
      number
    >
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
  /** A lower quota on each execution's history events than AWS's 25,000 (tests reach it with a few apps). */
  readonly maxHistoryEvents?: number;
  /** Milliseconds between Secrets Manager's retries of a failed rotation (tests shorten it). @default 1000 */
  readonly secretsManagerRetryDelayMs?: number;
  /** Local mode's virtual clock: workflow waits pass through it. Without it, waits take real time. */
  readonly clock?: VirtualClock;
  /** SES sandbox mode and maximum send rate (both off by default, as for a production account). */
  readonly ses?: Pick<StrictSesOptions, 'sandbox' | 'maxSendRate' | 'now'>;
  /** Keep DynamoDB's, Secrets Manager's and SES's data in this folder across restarts; else in memory. */
  readonly dataDir?: string;
  /**
   * Judge every AWS call of every function, state machine and the scheduler by IAM, from the
   * synthesized stack's roles and policies, as AWS does. @default true
   */
  readonly iam?: boolean;
  /**
   * Run the stack's EventBridge Scheduler schedules on the clock (the daily sweep), as the
   * scheduler's role. `npm start` does; tests whose clock jumps days opt in. @default false
   */
  readonly schedules?: boolean;
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
  /** The daily sweep: it plans the due apps and starts their batches. */
  readonly sweepStateMachineArn: string;
  /** The sweep's batches: each handles up to 500 of the planned apps. */
  readonly sweepBatchStateMachineArn: string;
  /** The workflow that delivers each event to each webhook. */
  readonly webhookStateMachineArn: string;
  readonly rotationHookArn: string;
  /** The schedules' runner (with `schedules: true`): when each fires next. */
  readonly scheduler?: LocalScheduler;
  /** Invokes a function of the stack (by ARN or logical id) as Lambda would, in its own environment. */
  invoke(functionArn: string, payload: unknown): Promise<unknown>;
  /**
   * Waits until a sweep execution and every batch it started have ended: the sweep's status, and its
   * batches' executions (in batch order) with their statuses.
   */
  whenSweepDone(executionArn: string): Promise<SweepRun>;
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
  /** The Rotor Console, as API Gateway serves it (its URL is the functions' CONSOLE_URL). */
  readonly console: LocalConsole;
  /** EventBridge's PutEvents, with every event the buses received. */
  readonly eventBridge: LocalEventBridge;
  /** A webhook receiver on 127.0.0.1 (`hookUrl(name)`), with every delivery it took. */
  readonly webhooks: WebhookReceiver;
  /** The ports in use, to start a fresh system on the same ones (handlers keep their clients). */
  readonly ports: Record<
    'dynamodb' | 'secretsManager' | 'ses' | 'stepFunctions' | 'console' | 'eventBridge' | 'webhooks',
    number
  > & {
    hubspot?: number;
    /** The table behind the IAM gate. */
    dynamodbTable?: number;
  };
  close(): Promise<void>;
}

const templates = new Map<string, Promise<Template>>();

/**
 * A function's execution environment is kept warm for the next system of the process that gives it the
 * same environment, endpoints and table included (cold starts cost a quarter second each). So every
 * later system of the process listens on the first one's ports and uses its table (a system must be
 * closed before the next starts); the test process's own clients (AWS_ENDPOINT_URL_*) keep working too.
 */
let firstSystem: { tableName: string; ports: NonNullable<LocalSystemOptions['ports']> } | undefined;

/** A process that starts several systems reads each setting's template once (synthesizeTemplate keeps them on disk). */
function templateFor(settings: Record<string, unknown>): Promise<Template> {
  const key = JSON.stringify(settings);
  let template = templates.get(key);
  if (!template) {
    template = synthesizeTemplate(settings);
    templates.set(key, template);
  }
  return template;
}

/** The variables of this process that a local Lambda inherits (log level and time zone), where set. */
function inherited(names: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    names.flatMap((name) => (process.env[name] === undefined ? [] : [[name, process.env[name] as string]])),
  );
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}

/**
 * Starts all of Rotor on this machine, on 127.0.0.1 only: dynalite with the registry table (behind an
 * IAM gate), the strict SES stand-in, the Secrets Manager emulator (its rotation function is the real
 * hook), and the local Step Functions service running the state machines of the synthesized stack.
 * Each function runs in its own execution environment (a worker thread with the deployed bundle, its
 * own environment variables and its role's credentials), and every AWS call is judged by IAM from
 * the template (`iam: false` turns that off). Functions reach the stand-ins only through the
 * AWS_ENDPOINT_URL_* variables; this process gets them too, for the SDK clients of tests and scenarios.
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
  const template = await templateFor({ region, ...options.settings });
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
  const iam = new IamAuthority(template, names);
  const enforce = options.iam ?? true;
  // Every function's session is known from the start, as every role of a deployed stack is.
  for (const fn of functions) {
    const resource = template.Resources[fn.logicalId];
    if (resource) iam.principalOf(resource, fn.logicalId);
  }
  // The tests, the scenarios and the demo look at the stand-ins as this machine's administrator.
  iam.addUser('local-admin', { accessKeyId: 'local', secretAccessKey: 'local' }, [
    {
      name: 'AdministratorAccess',
      policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
    },
  ]);
  // Behind the IAM gate the table gets its own port, kept for the process's later systems too: a free
  // port picked afresh could be one a later stand-in of this system must listen on again.
  const table = await startLocalDynamoDb({
    port: enforce ? (ports.dynamodbTable ?? 0) : (ports.dynamodb ?? 0),
    ...(options.dataDir ? { path: path.join(options.dataDir, 'dynamodb') } : {}),
  });
  // DynamoDB as the handlers reach it: IAM first, then the table.
  const gate = enforce
    ? await startDynamoDbGate({ target: table.url, iam, region, accountId, port: ports.dynamodb ?? 0 })
    : undefined;
  const dynamo = {
    url: gate?.url ?? table.url,
    port: gate?.port ?? table.port,
    close: async () => {
      await gate?.close();
      await table.close();
    },
  };
  // A fresh system's mail store starts empty, or with the mails kept in the data dir.
  const ses = await startStrictSes({
    ...options.ses,
    region,
    port: ports.ses ?? 0,
    dataDir: options.dataDir,
    ...(enforce ? { authorize: sesAccess(iam, names) } : {}),
  });
  const sesUrl = ses.url;

  /** Each function's own environment, as Lambda sets it: the template's variables and the SDK's. */
  const environmentOf = (fn: LocalFunction): Record<string, string> => {
    const own = Object.fromEntries(Object.entries(fn.environment).filter(([key]) => key !== 'NODE_OPTIONS'));
    for (const key of Object.keys(own)) if (key in overrides) own[key] = overrides[key] as string;
    const resource = template.Resources[fn.logicalId];
    const credentials = enforce && resource ? iam.principalOf(resource, fn.logicalId).credentials : undefined;
    return {
      ...runtimeEnv,
      ...own,
      AWS_LAMBDA_FUNCTION_NAME: fn.logicalId,
      ...(credentials
        ? { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey }
        : {}),
    };
  };
  const handlers = new Map<string, LocalHandler>();
  const handlerOf = (fn: LocalFunction): LocalHandler => {
    let handler = handlers.get(fn.arn);
    if (!handler) {
      // Its environment is made once, at its first invocation (when the stand-ins listen).
      let environment: Record<string, string> | undefined;
      const real: LocalHandler = async (event) => {
        environment ??= environmentOf(fn);
        // Virtual time does not leap while a function runs: a wait that ends meanwhile moves the clock
        // once the function is done. On AWS a task takes milliseconds of a grace period's days; without
        // the hold, a day could pass inside one SES call, and a 15-minute lease with it.
        const release = options.clock?.hold();
        try {
          return await invokeLocalFunction(fn.handler, environment, event);
        } finally {
          release?.();
        }
      };
      handler = options.wrapHandler ? options.wrapHandler(fn, real) : real;
      handlers.set(fn.arn, handler);
    }
    return handler;
  };
  /** Invokes a function as Lambda would: in its own environment, the payload and the result as JSON. */
  const invoke = async (functionArn: string, payload: unknown): Promise<unknown> => {
    const fn = byArn.get(functionArn) ?? functions.find((candidate) => candidate.logicalId === functionArn);
    if (!fn) throw new Error(`local mode has no function ${functionArn}`);
    return handlerOf(fn)(JSON.parse(JSON.stringify(payload ?? {})));
  };
  /** Filled in once the stand-ins listen: what every function's environment shares. */
  const runtimeEnv: Record<string, string> = {};
  /** Local values of template settings (the fake HubSpot's URL). */
  const overrides: Record<string, string> = {};

  const secretsManager = await startSecretsManagerEmulator({
    region,
    accountId,
    port: ports.secretsManager ?? 0,
    ...(options.dataDir ? { dataFile: path.join(options.dataDir, 'secrets-manager.json') } : {}),
    invokeRotationFunction: invoke,
    onRotationError: () => {},
    ...(options.secretsManagerRetryDelayMs === undefined
      ? {}
      : { rotationRetryDelayMs: options.secretsManagerRetryDelayMs }),
    ...(enforce ? { authorize: secretsManagerAccess(iam, names) } : {}),
  });
  const eventBridge = await startLocalEventBridge({
    region,
    accountId,
    port: ports.eventBridge ?? 0,
    buses: Object.values(template.Resources)
      .filter((resource) => resource.Type === 'AWS::Events::EventBus')
      .map((resource) => String((resource.Properties as { Name?: string } | undefined)?.Name ?? '')),
    ...(enforce ? { authorize: eventBridgeAccess(iam) } : {}),
  });
  const webhooks = await startWebhookReceiver({ port: ports.webhooks ?? 0 });
  const rotationMachine = findMachine('RotationWorkflow');
  const sweepMachine = findMachine('SweepWorkflowStateMachine');
  const sweepBatchMachine = findMachine('SweepWorkflowBatches');
  const webhookMachine = findMachine('Webhooks');
  /** A task as Step Functions invokes it: as the state machine's role, which must allow lambda:InvokeFunction. */
  const invokeAsStateMachine = async (
    functionArn: string,
    payload: unknown,
    caller?: { readonly stateMachineArn: string },
  ): Promise<unknown> => {
    const machine = stateMachines.find((candidate) => candidate.arn === caller?.stateMachineArn);
    const resource = machine ? template.Resources[machine.logicalId] : undefined;
    if (!machine || !resource) throw new Error(`local mode has no state machine ${caller?.stateMachineArn}`);
    const principal = iam.principalOf(resource, machine.logicalId);
    try {
      await iam.authorize({
        accessKeyId: principal.credentials.accessKeyId,
        action: 'lambda:InvokeFunction',
        resource: functionArn,
      });
    } catch (error) {
      // Step Functions reports a refused invocation as a Lambda service error.
      throw new LambdaServiceError('AWSLambdaException', (error as Error).message);
    }
    return invoke(functionArn, payload);
  };
  const clock = options.clock as VirtualClock;
  const stepFunctions = await startLocalStepFunctions({
    region,
    accountId,
    port: ports.stepFunctions ?? 0,
    ...(options.dataDir ? { dataFile: path.join(options.dataDir, 'step-functions.json') } : {}),
    stateMachines: stateMachines.map(({ name, arn, definition }) => ({ name, arn, definition })),
    invokeFunction: enforce ? invokeAsStateMachine : invoke,
    ...(enforce ? { authorize: stepFunctionsAccess(iam) } : {}),
    ...(options.clock
      ? { sleepUntil: (untilMs: number, signal: AbortSignal) => clock.sleepUntil(untilMs, signal) }
      : {}),
    ...(options.waitTimeOverrides ? { waitTimeOverrides: { '*': options.waitTimeOverrides } } : {}),
    ...(options.retryIntervalOverrides ? { retryIntervalOverrides: options.retryIntervalOverrides } : {}),
    ...(options.maxHistoryEvents ? { maxHistoryEvents: options.maxHistoryEvents } : {}),
  });

  const scheduler = options.schedules
    ? startLocalScheduler({ template, names, iam, stepFunctionsUrl: stepFunctions.url })
    : undefined;

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
    AWS_ENDPOINT_URL_EVENTBRIDGE: eventBridge.url,
    // Local mode runs on this machine's Node.js; the Lambda runtime is Node.js 24.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  for (const fn of functions) {
    for (const [key, value] of Object.entries(fn.environment)) {
      if (key !== 'POWERTOOLS_SERVICE_NAME' && key !== 'NODE_OPTIONS') env[key] = value;
    }
  }
  if (hubspot) {
    env.HUBSPOT_API_URL = hubspot.url;
    overrides.HUBSPOT_API_URL = hubspot.url;
  }
  const consoleFn = functions.find((fn) => fn.handler === 'console');
  if (!consoleFn) throw new Error('the synthesized stack has no console function');
  const consoleServer = await startLocalConsole({
    port: ports.console ?? 0,
    handler: (event) => invoke(consoleFn.arn, event),
  });
  // The emails' buttons and the sign-in links point at the local console.
  env.CONSOLE_URL = consoleServer.url;
  overrides.CONSOLE_URL = consoleServer.url;
  Object.assign(runtimeEnv, {
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.url,
    AWS_ENDPOINT_URL_SES: sesUrl,
    AWS_ENDPOINT_URL_SFN: stepFunctions.url,
    AWS_ENDPOINT_URL_EVENTBRIDGE: eventBridge.url,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    // CloudWatch is not modelled: the functions' metric lines (EMF) would only crowd the output, and
    // `npm run scenarios -- --json` must print JSON alone. POWERTOOLS_METRICS_DISABLED=false shows them.
    POWERTOOLS_METRICS_DISABLED: 'true',
    ...inherited(['POWERTOOLS_LOG_LEVEL', 'POWERTOOLS_DEV', 'POWERTOOLS_METRICS_DISABLED', 'TZ']),
  });
  Object.assign(process.env, env);
  await createRegistryTable(new DynamoDBClient({}), tableName);
  // Executions an earlier run left running (kept in the data dir) go on now that their functions can run.
  stepFunctions.resumeRestored();

  const used = {
    ...(hubspot ? { hubspot: hubspot.port } : {}),
    dynamodb: dynamo.port,
    ...(gate ? { dynamodbTable: table.port } : {}),
    secretsManager: portOf(secretsManager.url),
    ses: portOf(sesUrl),
    stepFunctions: portOf(stepFunctions.url),
    console: consoleServer.port,
    eventBridge: eventBridge.port,
    webhooks: webhooks.port,
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
    sweepBatchStateMachineArn: sweepBatchMachine.arn,
    webhookStateMachineArn: webhookMachine.arn,
    rotationHookArn: hook.arn,
    invoke,
    whenSweepDone: (executionArn) => whenSweepDone(stepFunctions, sweepBatchMachine.arn, executionArn),
    secretsManagerRotations: {
      rotationErrors: secretsManager.rotationErrors,
      whenRotationSettled: (secretId) => secretsManager.whenRotationSettled(secretId),
      rotationsIdle: () => secretsManager.rotationsIdle(),
    },
    stepFunctions,
    ...(hubspot ? { hubspot } : {}),
    console: consoleServer,
    eventBridge,
    webhooks,
    ports: used,
    ...(scheduler ? { scheduler } : {}),
    close: async () => {
      scheduler?.close();
      await consoleServer.close();
      await eventBridge.close();
      await webhooks.close();
      await stepFunctions.close();
      await secretsManager.close();
      await ses.close();
      await dynamo.close();
      await hubspot?.close();
    },
  };
}

/** A sweep that has ended: its own execution, and the batch executions it started. */
export interface SweepRun {
  readonly sweep: ExecutionDescription;
  readonly batches: readonly ExecutionDescription[];
  /** SUCCEEDED when the sweep and every batch did; else the first other status. */
  readonly status: ExecutionDescription['status'];
}

async function whenSweepDone(
  stepFunctions: Pick<LocalSystem['stepFunctions'], 'whenStopped'>,
  batchMachineArn: string,
  executionArn: string,
): Promise<SweepRun> {
  const sweep = await stepFunctions.whenStopped(executionArn);
  const due = (JSON.parse(sweep.output ?? '{}') as { due?: Partial<DueAppsOutput> }).due;
  const batches: ExecutionDescription[] = [];
  for (let batch = 0; batch < (due?.batches ?? 0); batch++) {
    batches.push(
      await stepFunctions.whenStopped(executionArnFor(batchMachineArn, `${due?.batchPrefix}${batch}`)),
    );
  }
  const status = [sweep, ...batches].find((execution) => execution.status !== 'SUCCEEDED')?.status;
  return { sweep, batches, status: status ?? 'SUCCEEDED' };
}

/** The operator API function of a local system, as API Gateway's proxy integration invokes it. */
export function operatorApiOf(system: LocalSystem): (event: unknown) => Promise<unknown> {
  const fn = system.functions.find((candidate) => candidate.handler === 'operator-api');
  if (!fn) throw new Error('the synthesized stack has no operator API function');
  return (event) => system.invoke(fn.arn, event);
}
