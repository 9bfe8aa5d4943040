import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { BatchWriteCommand, DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { RotationPolicy } from '../../lambda/contract/appSettings.ts';
import { enrollManagedApp } from '../../lambda/domain/enrollApp.ts';
import type { AppRecord } from '../../lambda/store/model.ts';
import { Registry } from '../../lambda/store/Registry.ts';
import { type LocalApi, startLocalApi } from '../../local/api/server.ts';
import { APP_DEFAULTS } from '../../local/demoApp.ts';
import { localFaults } from '../../local/faults.ts';
import { clearEmails } from '../../local/observe.ts';
import { type LocalSystem, operatorApiOf, startLocalSystem } from '../../local/system.ts';
import { stateMachinesOf, synthesizeTemplate } from '../../local/template.ts';
import { ALICE, type ApiAnswer, type CallOptions, callApi } from '../support/operatorApi.ts';
import { ModelClock } from './clock.ts';

/**
 * The access key of the model's own look at the stand-ins: planned faults never hit it, so reading the
 * state to check an invariant never changes what the system under test sees. With IAM on it is local
 * mode's administrator (`local`), which no function uses then; with IAM off every function signs as
 * `local`, so the model uses a key of its own.
 */
function observerKey(iam: boolean): string {
  return iam ? 'local' : 'model-observer';
}

/** The real system a history runs against, and the model's ways to drive and read it. */
export interface World {
  readonly system: LocalSystem;
  readonly api: LocalApi;
  readonly clock: ModelClock;
  readonly registry: Registry;
  readonly documentClient: DynamoDBDocumentClient;
  readonly secretsManager: SecretsManagerClient;
  readonly sfn: SFNClient;
  /**
   * Every token value seen, by `appId/versionId`: test memory only, never printed (a counterexample
   * names version ids).
   */
  readonly tokens: Map<string, string>;
  /** Calls the operator API as an operator (SigV4-signed, as the CLI calls it). */
  call(method: string, path: string, options?: CallOptions): Promise<ApiAnswer>;
  /** Resolves once nothing moves: no function runs, every workflow waits on the clock, no Secrets Manager rotation runs. */
  idle(): Promise<void>;
  /** Registers a managed app as `rotor apps add` does (two admins, one German, one English). */
  enroll(appId: string, policy: RotationPolicy, intervalDays: number): Promise<AppRecord>;
  /** Runs the daily sweep as its schedule does, and waits until the system is idle. */
  sweep(): Promise<void>;
  /** Ends what a history left behind (faults, executions, items, mails), so the next one starts clean. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** Every Task state of a definition (Map iterations included). */
function taskStatesOf(definition: unknown, names = new Set<string>()): Set<string> {
  if (typeof definition !== 'object' || definition === null) return names;
  const states = (definition as { States?: Record<string, { Type?: string }> }).States;
  for (const [name, state] of Object.entries(states ?? {})) {
    if (state.Type === 'Task') names.add(name);
    for (const nested of Object.values(state)) taskStatesOf(nested, names);
  }
  return names;
}

/**
 * Retries after a few real milliseconds instead of Step Functions' seconds (the backoff takes no virtual
 * time here). CheckPromotion polls for the hook's background rotation: 15 × 200 ms leaves it the
 * seconds a rotation takes locally, as its 9.5 minutes do on AWS.
 */
async function retryIntervals(): Promise<Record<string, number>> {
  const template = await synthesizeTemplate({ region: 'eu-central-1' });
  const names = { region: 'eu-central-1', accountId: '123456789012', tableName: 'rotor-local' };
  const intervals: Record<string, number> = {};
  for (const machine of stateMachinesOf(template, names)) {
    for (const state of taskStatesOf(machine.definition)) intervals[state] = 10;
  }
  intervals.CheckPromotion = 200;
  return intervals;
}

/**
 * Starts the whole local Rotor once for many histories: the real handlers in their workers, the
 * synthesized workflows, the stand-ins, the operator API, and the model's clock. IAM is off by
 * default: judging every call costs time the model test does not have, and test/local/iam.test.ts
 * covers the permissions.
 */
export async function startWorld(options: { iam?: boolean } = {}): Promise<World> {
  const clock = ModelClock.install();
  let inFlight = 0;
  let system: LocalSystem;
  try {
    system = await startLocalSystem({
      iam: options.iam ?? false,
      hubspot: false,
      // Only `sleepUntil` of the clock is used by local mode: the model's clock moves when a history says.
      clock: clock as unknown as NonNullable<Parameters<typeof startLocalSystem>[0]>['clock'],
      retryIntervalOverrides: await retryIntervals(),
      // Secrets Manager retries a failed rotation after a second; the retries take no virtual time here either.
      secretsManagerRetryDelayMs: 20,
      // Counts the invocations in flight (for idle); MODEL_TRACE=2 prints how long each took.
      wrapHandler: (fn, handler) => async (event) => {
        inFlight += 1;
        const started = performance.now();
        try {
          return await handler(event);
        } finally {
          inFlight -= 1;
          if (process.env.MODEL_TRACE === '2') {
            process.stderr.write(`  ${fn.handler} ${Math.round(performance.now() - started)} ms\n`);
          }
        }
      },
    });
  } catch (error) {
    clock.uninstall();
    throw error;
  }
  const observer = { accessKeyId: observerKey(options.iam ?? false), secretAccessKey: 'local' };
  localFaults.spare(observer.accessKeyId);
  const region = system.region;
  const endpoint = (url: string) => ({ region, endpoint: url, credentials: observer });
  const documentClient = DynamoDBDocumentClient.from(
    new DynamoDBClient(endpoint(system.endpoints.dynamodb)),
    {
      marshallOptions: { removeUndefinedValues: true },
    },
  );
  const registry = new Registry({ documentClient, tableName: system.tableName });
  const secretsManager = new SecretsManagerClient(endpoint(system.endpoints.secretsManager));
  const sfn = new SFNClient(endpoint(system.endpoints.stepFunctions));
  const api = await startLocalApi({ credentials: [ALICE], handler: operatorApiOf(system) });
  const running = () => system.stepFunctions.executions('RUNNING');
  let sweeps = 0;

  const idle = async () => {
    // Still for two looks in a row: a workflow between two states is briefly neither running a task nor waiting.
    for (let still = 0; still < 3; ) {
      await system.secretsManagerRotations.rotationsIdle();
      const quiet = inFlight === 0 && running().length === clock.parked();
      still = quiet ? still + 1 : 0;
      await new Promise((resolve) => setTimeout(resolve, quiet ? 2 : 5));
    }
  };

  const world: World = {
    system,
    api,
    clock,
    registry,
    documentClient,
    secretsManager,
    sfn,
    tokens: new Map(),
    call: (method, path, callOptions) => callApi(api, method, path, callOptions),
    idle,
    enroll: (appId, policy, intervalDays) =>
      enrollManagedApp(
        {
          appId,
          secret: `rotor/${appId}`,
          admins: [
            { email: `de-admin@${appId}.example` },
            { email: `en-admin@${appId}.example`, locale: 'en' },
          ],
          ...APP_DEFAULTS,
          policy,
          intervalSeconds: intervalDays * 86_400,
        },
        {
          secretsManager,
          registry,
          tokenPrefix: 'rtr_',
          secretNamePrefix: 'rotor/',
          rotationFunctionArn: system.rotationHookArn,
          clock: () => new Date(),
        },
      ),
    sweep: async () => {
      sweeps += 1;
      await sfn.send(
        new StartExecutionCommand({
          stateMachineArn: system.sweepStateMachineArn,
          name: `model-sweep-${sweeps}-${Date.now()}`,
          input: '{}',
        }),
      );
      await idle();
    },
    reset: async () => {
      localFaults.clear();
      for (const execution of running()) {
        await sfn.send(
          new StopExecutionCommand({ executionArn: execution.executionArn, cause: 'history over' }),
        );
        await system.stepFunctions.whenStopped(execution.executionArn);
      }
      await idle();
      // Ended executions of earlier histories only cost memory (and the collector's time) from here on.
      system.stepFunctions.forgetStopped();
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await documentClient.send(
          new ScanCommand({
            TableName: system.tableName,
            ExclusiveStartKey: startKey,
            ProjectionExpression: 'pk, sk',
          }),
        );
        const items = page.Items ?? [];
        for (let i = 0; i < items.length; i += 25) {
          await documentClient.send(
            new BatchWriteCommand({
              RequestItems: {
                [system.tableName]: items.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } })),
              },
            }),
          );
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      await clearEmails(system.endpoints.ses);
      world.tokens.clear();
    },
    close: async () => {
      localFaults.clear();
      await api.close();
      await system.close();
      clock.uninstall();
    },
  };
  return world;
}
