/**
 * `npm run bench:rotation-cost [-- --json]`: runs one expire-later rotation through the synthesized
 * rotation workflow on the local stand-ins and counts what AWS would bill for it — state transitions,
 * Lambda invocations (workflow tasks and the rotation hook), SES messages, Secrets Manager and
 * DynamoDB requests — then prices a year of 1,000 apps rotated every 180 days at the list prices
 * below. The waits run instantly; nothing else is shortened.
 */

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { enrollManagedApp } from '../lambda/domain/enrollApp.ts';
import { startRotationWorkflow } from '../lambda/integrations/workflows.ts';
import { Registry } from '../lambda/store/Registry.ts';
import { startLocalSystem } from '../local/system.ts';

/** List prices, us-east-1, as published by AWS (checked 2026-11): the assumptions of the estimate. */
export const PRICES = {
  stepFunctionsPerTransition: 0.025 / 1000,
  lambdaPerRequest: 0.2 / 1_000_000,
  lambdaPerGbSecondArm: 0.0000133334,
  sesPerMessage: 0.1 / 1000,
  secretsManagerPerSecretMonth: 0.4,
  secretsManagerPerApiCall: 0.05 / 10_000,
  dynamoDbPerWriteRequestUnit: 0.625 / 1_000_000,
  dynamoDbPerReadRequestUnit: 0.125 / 1_000_000,
} as const;

/** Assumed billed duration of one Lambda invocation at 256 MB (the tasks are a few SDK calls each). */
const ASSUMED_LAMBDA_SECONDS = 0.2;
const LAMBDA_GB = 0.25;
const APPS = 1000;
const INTERVAL_DAYS = 180;
const DYNAMO_READS = new Set([
  'GetCommand',
  'QueryCommand',
  'GetItemCommand',
  'ScanCommand',
  'BatchGetCommand',
]);

type Counts = Record<string, number>;

function bump(counts: Counts, key: string, by = 1) {
  counts[key] = (counts[key] ?? 0) + by;
}

/** Counts every request a client sends, by command name. */
function countRequests(client: { middlewareStack: SFNClient['middlewareStack'] }, counts: Counts) {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      bump(counts, String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name: 'rotorBenchCounter' },
  );
}

export async function measureExpireLaterRotation() {
  const lambda: Counts = {};
  const system = await startLocalSystem({
    waitTimeOverrides: { WaitForNotice: 0, WaitForExpiry: 0 },
    retryIntervalOverrides: { CheckPromotion: 400 },
    wrapHandler: (fn, handler) => async (event) => {
      bump(lambda, fn.handler);
      return handler(event);
    },
  });
  try {
    // The handlers' own clients, shared by every task of this process.
    const dynamo: Counts = {};
    const secrets: Counts = {};
    const ses: Counts = {};
    const { documentClient } = await import('../lambda/integrations/aws/dynamodb.ts');
    const { secretsManagerClient } = await import('../lambda/integrations/aws/secretsManager.ts');
    const { sesClient } = await import('../lambda/integrations/aws/ses.ts');

    const setupClient = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
      marshallOptions: { removeUndefinedValues: true },
    });
    const registry = new Registry({ documentClient: setupClient, tableName: system.tableName });
    const secretsManager = new SecretsManagerClient({});
    const app = await enrollManagedApp(
      {
        appId: 'bench-app',
        secret: 'rotor/bench-app',
        admins: [{ email: 'de-admin@example.com' }, { email: 'en-admin@example.com', locale: 'en' }],
        locale: 'de',
        timeZone: 'Europe/Berlin',
        intervalSeconds: INTERVAL_DAYS * 86_400,
        graceSeconds: 7 * 86_400,
        reminderRepeatSeconds: 30 * 86_400,
        policy: 'auto',
        defaultMode: 'expire-later',
      },
      {
        secretsManager,
        registry,
        tokenPrefix: 'rtr_',
        secretNamePrefix: 'rotor/',
        rotationFunctionArn: system.rotationHookArn,
        clock: () => new Date(),
      },
    );
    // Count from here: enrolment is a one-off, not part of a rotation.
    for (const key of Object.keys(lambda)) delete lambda[key];
    countRequests(documentClient as never, dynamo);
    countRequests(secretsManagerClient as never, secrets);
    countRequests(sesClient as never, ses);

    const started = Date.now();
    const executionArn = await startRotationWorkflow(new SFNClient({}), system.rotationStateMachineArn, {
      appId: app.appId,
      rotationId: 'bench-rotation',
      mode: 'expire-later',
      trigger: 'schedule',
      startedBy: 'rotor-sweep',
    });
    const stopped = await system.stepFunctions.whenStopped(executionArn);
    const wallMs = Date.now() - started;
    if (stopped.status !== 'SUCCEEDED') throw new Error(`the rotation ended ${stopped.status}`);
    const { events = [] } = await new SFNClient({}).send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }),
    );
    const stateTransitions = events.filter((event) => event.type?.endsWith('StateEntered')).length;
    const workflowTasks = events.filter((event) => event.type === 'LambdaFunctionScheduled').length;
    const sum = (counts: Counts, keep: (key: string) => boolean = () => true) =>
      Object.entries(counts).reduce((total, [key, n]) => total + (keep(key) ? n : 0), 0);
    return {
      status: stopped.status,
      wallMs,
      stateTransitions,
      workflowLambdaTasks: workflowTasks,
      lambdaInvocations: sum(lambda),
      lambdaByHandler: lambda,
      sesMessages: sum(ses),
      secretsManagerCalls: sum(secrets),
      secretsManagerByCommand: secrets,
      dynamoDbReads: sum(dynamo, (key) => DYNAMO_READS.has(key)),
      dynamoDbWrites: sum(dynamo, (key) => !DYNAMO_READS.has(key)),
      dynamoDbByCommand: dynamo,
    };
  } finally {
    await system.close();
  }
}

/** A year of `APPS` apps rotated every `INTERVAL_DAYS` days, each rotation costing what `one` counted. */
export function yearlyCost(one: Awaited<ReturnType<typeof measureExpireLaterRotation>>) {
  const rotations = (APPS * 365) / INTERVAL_DAYS;
  const usd = (n: number) => Math.round(n * 100) / 100;
  const perRotation = {
    stepFunctions: one.stateTransitions * PRICES.stepFunctionsPerTransition,
    lambda:
      one.lambdaInvocations *
      (PRICES.lambdaPerRequest + ASSUMED_LAMBDA_SECONDS * LAMBDA_GB * PRICES.lambdaPerGbSecondArm),
    ses: one.sesMessages * PRICES.sesPerMessage,
    secretsManagerCalls: one.secretsManagerCalls * PRICES.secretsManagerPerApiCall,
    dynamoDb:
      one.dynamoDbWrites * PRICES.dynamoDbPerWriteRequestUnit +
      one.dynamoDbReads * PRICES.dynamoDbPerReadRequestUnit,
  };
  const rotationsPerYear = Object.fromEntries(
    Object.entries(perRotation).map(([service, cost]) => [service, usd(cost * rotations)]),
  );
  const secretStorage = usd(APPS * 12 * PRICES.secretsManagerPerSecretMonth);
  return {
    apps: APPS,
    intervalDays: INTERVAL_DAYS,
    rotationsPerYear: Math.round(rotations),
    usdPerYearForRotations: rotationsPerYear,
    usdPerYearForRotationsTotal: usd(Object.values(perRotation).reduce((a, b) => a + b, 0) * rotations),
    usdPerYearSecretStorage: secretStorage,
    assumptions: {
      prices: PRICES,
      region: 'us-east-1',
      lambdaBilledSecondsPerInvocation: ASSUMED_LAMBDA_SECONDS,
      lambdaMemoryGb: LAMBDA_GB,
      dynamoDbUnitsPerRequest: 1,
      note: 'Secret storage is billed whether or not Rotor rotates the secret; the daily sweep adds 365 small executions a year.',
    },
  };
}

/** One expire-later rotation counted, and a year of 1,000 apps priced from it: the `rotation-cost` bench section. */
export async function measureRotationCost() {
  const rotation = await measureExpireLaterRotation();
  return { rotation, cost: yearlyCost(rotation) };
}

/** The readable report of {@link measureRotationCost}. */
export function renderRotationCost({
  rotation,
  cost,
}: Awaited<ReturnType<typeof measureRotationCost>>): string[] {
  return [
    'One expire-later rotation (local run of the synthesized workflow):',
    `  state transitions          ${rotation.stateTransitions}`,
    `  Lambda invocations         ${rotation.lambdaInvocations} (${rotation.workflowLambdaTasks} workflow tasks, the rest the hook)`,
    `  SES messages               ${rotation.sesMessages}`,
    `  Secrets Manager requests   ${rotation.secretsManagerCalls}`,
    `  DynamoDB reads / writes    ${rotation.dynamoDbReads} / ${rotation.dynamoDbWrites}`,
    `${cost.apps} apps rotated every ${cost.intervalDays} days: ${cost.rotationsPerYear} rotations a year`,
    ...Object.entries(cost.usdPerYearForRotations).map(
      ([service, usd]) => `  ${service.padEnd(26)} $${usd.toFixed(2)} a year`,
    ),
    `  rotations in all           $${cost.usdPerYearForRotationsTotal.toFixed(2)} a year`,
    `  (secret storage            $${cost.usdPerYearSecretStorage.toFixed(2)} a year, due anyway)`,
  ];
}

async function main() {
  const { values } = parseArgs({ options: { json: { type: 'boolean', default: false } } });
  // The handlers' INFO lines would bury the figures; warnings and errors still show.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  const report = await measureRotationCost();
  console.log(values.json ? JSON.stringify(report, null, 2) : renderRotationCost(report).join('\n'));
}

// Run only as `npm run bench:rotation-cost`, not when `bench/index.ts` imports the measurement.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
