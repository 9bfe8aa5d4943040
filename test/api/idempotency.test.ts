import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { SESClient } from '@aws-sdk/client-ses';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serializeSecret } from '../../lambda/domain/tokens.ts';
import { deliverOutbox } from '../../lambda/notifications/outbox.ts';
import { idempotencyStore } from '../../lambda/operator-api/idempotency.ts';
import {
  handleOperatorRequest,
  type OperatorApiDependencies,
} from '../../lambda/operator-api/operatorApi.ts';
import type { FakeHubSpot } from '../../local/hubspot/fake.ts';
import { emailsAbout, eventually, uniqueAppId } from '../support/localSystem.ts';
import {
  type ApiTestSystem,
  isOneSentence,
  signedRequest,
  startApiTestSystem,
} from '../support/operatorApi.ts';

/**
 * Retries of the operator API's change requests with an Idempotency-Key, against the stand-ins and the
 * real workflows. The operator API runs in this process (behind the local API server's SigV4 check) so
 * that a test can make Step Functions fail once and give HubSpot checks a short time budget.
 */
let env: ApiTestSystem;
let hubspot: FakeHubSpot;
/** StartExecution calls still to refuse (as Step Functions' 5xx would). */
let startExecutionFailures = 0;
/** While set, StartExecution waits for it: the request that took the lock is still running. */
let startExecutionGate: Promise<void> | undefined;
const PORTAL = 4711;
/** The HubSpot checks' budget in these tests: far below the fake's delay, so the verdict is certain. */
const BUDGET_MS = 300;

/** Step Functions, refusing the next `startExecutionFailures` StartExecution calls. */
class FlakySfn extends SFNClient {
  public override send(command: never, ...rest: never[]): Promise<never> {
    if ((command as unknown) instanceof StartExecutionCommand && startExecutionFailures > 0) {
      startExecutionFailures -= 1;
      const error = Object.assign(new Error('Service unavailable (injected)'), {
        name: 'ServiceUnavailable',
        $metadata: { httpStatusCode: 503 },
      });
      return Promise.reject(error);
    }
    if ((command as unknown) instanceof StartExecutionCommand && startExecutionGate) {
      return startExecutionGate.then(() => super.send(command, ...rest));
    }
    return super.send(command, ...rest);
  }
}

function inProcessDependencies(): OperatorApiDependencies {
  const fn = env.system.functions.find((candidate) => candidate.handler === 'operator-api');
  const environment = fn?.environment ?? {};
  const registry = env.system.registry;
  const ses = new SESClient({});
  const clock = () => new Date();
  return {
    registry,
    secretsManager: env.system.secretsManager,
    sfn: new FlakySfn({}),
    clock,
    rotationStateMachineArn: env.system.rotationStateMachineArn,
    rotationFunctionArn: env.system.rotationHookArn,
    secretNamePrefix: environment.SECRET_NAME_PREFIX ?? 'rotor/',
    tokenPrefix: environment.TOKEN_PREFIX ?? 'rtr_',
    appDefaults: JSON.parse(environment.APP_DEFAULTS ?? '{}'),
    deliver: (appId) =>
      deliverOutbox({ registry, ses, senderAddress: environment.SENDER_ADDRESS ?? '', clock }, appId),
    logger: { info: () => undefined, error: () => undefined },
    hubspotApiUrl: hubspot.url,
    idempotency: idempotencyStore({ tableName: env.system.tableName, client: new DynamoDBClient({}) }),
    hubspotCheckBudgetMs: BUDGET_MS,
  };
}

beforeAll(async () => {
  let deps: OperatorApiDependencies | undefined;
  env = await startApiTestSystem({
    retryIntervalOverrides: { CheckPromotion: 50 },
    wrapHandler: (fn, real) =>
      fn.handler === 'operator-api'
        ? (event) => {
            deps ??= inProcessDependencies();
            return handleOperatorRequest(event as APIGatewayProxyEvent, deps);
          }
        : real,
  });
  hubspot = env.system.hubspot as FakeHubSpot;
});

afterAll(async () => {
  await env?.close();
});

async function addManagedApp(): Promise<string> {
  const appId = uniqueAppId('idem');
  const added = await env.call('POST', '/apps', {
    body: { appId, secret: `rotor/${appId}`, admins: [{ email: `ops@${appId}.example` }] },
    headers: { 'Idempotency-Key': `add-${appId}` },
  });
  expect(added.status, added.text).toBe(201);
  return appId;
}

/** A HubSpot app in its grace period: rotated in the fake HubSpot, the new token handed over. */
async function hubspotAppInGrace(): Promise<string> {
  const appId = uniqueAppId('crm');
  const oldToken = hubspot.issueToken({ hubId: PORTAL, scopes: ['crm.objects.contacts.read'] });
  await env.system.secretsManager.send(
    new CreateSecretCommand({
      Name: `rotor/${appId}`,
      SecretString: serializeSecret({ token: oldToken, issuedAt: new Date().toISOString() }),
    }),
  );
  const added = await env.call('POST', '/apps', {
    body: {
      appId,
      secret: `rotor/${appId}`,
      issuer: 'hubspot',
      hubId: PORTAL,
      admins: [{ email: `ops@${appId}.example`, locale: 'en' }],
    },
  });
  expect(added.status, added.text).toBe(201);
  const started = await env.call('POST', `/apps/${appId}/rotations`, { body: { mode: 'expire-later' } });
  expect(started.status, started.text).toBe(202);
  await eventually(
    async () => (await env.system.registry.apps.getApp(appId)).activeRotation?.handoffTaskToken,
  );
  const submitted = await env.call('POST', `/apps/${appId}/submit`, {
    body: { token: hubspot.rotate(oldToken) },
  });
  expect(submitted.status, submitted.text).toBe(202);
  await eventually(async () => (await env.system.registry.apps.getApp(appId)).state === 'GRACE');
  return appId;
}

describe('Operator API: retries with an Idempotency-Key', () => {
  it('a rotate whose StartExecution failed answers 503; its retry with the same key starts that rotation (202) and the workflow runs', async () => {
    // Prepare
    const appId = await addManagedApp();
    const rotate = await signedRequest(env.api, 'POST', `/apps/${appId}/rotations`, {
      body: { mode: 'expire-now', reason: 'leaked' },
      headers: { 'Idempotency-Key': '0b6f3c1e-6a55-4f1e-9d7e-1c2b3a4d5e6f' },
    });
    startExecutionFailures = 1;

    // Act
    const failed = await rotate();
    const locked = await env.system.registry.apps.getApp(appId);
    const retried = await rotate();

    // Assess
    expect(failed.status, failed.text).toBe(503);
    expect(failed.body.code).toBe('WorkflowNotStartedError');
    expect(isOneSentence(failed.body.message)).toBe(true);
    expect(failed.body.message).toContain('send the same request again with the same Idempotency-Key');
    expect(retried.status, retried.text).toBe(202);
    const { rotationId } = retried.body.rotation as { rotationId: string };
    expect(locked).toMatchObject({ state: 'ROTATING', activeRotation: { rotationId } });
    expect(failed.body.message).toMatch(
      new RegExp(`^Rotation ${rotationId} of app "${appId}" holds the lock`),
    );
    const runs = env.system.stepFunctions.executions().filter((run) => JSON.parse(run.input).appId === appId);
    expect(runs.map((run) => run.name)).toEqual([rotationId]);
    expect((await env.system.stepFunctions.whenStopped(runs[0]?.executionArn as string)).status).toBe(
      'SUCCEEDED',
    );
    const app = await env.system.registry.apps.getApp(appId);
    expect(app).toMatchObject({ state: 'ACTIVE', lastRotation: { rotationId, outcome: 'completed' } });
    // The answer is kept now: a third send replays it, and starts nothing.
    const replay = await rotate();
    expect(replay.body).toEqual(retried.body);
  });

  it('a rotate without a key whose StartExecution failed rolls back and tells the admins: ROTATION_FAILED goes out', async () => {
    // Prepare
    const appId = await addManagedApp();
    startExecutionFailures = 1;

    // Act
    const failed = await env.call('POST', `/apps/${appId}/rotations`, { body: { mode: 'expire-now' } });

    // Assess: the lock is released, the old token stays, and the admins know the rotation did not happen.
    expect(failed.status, failed.text).toBe(500);
    const app = await env.system.registry.apps.getApp(appId);
    expect(app).toMatchObject({
      state: 'ACTIVE',
      lastRotation: { outcome: 'failed', failedStep: 'StartWorkflow' },
    });
    const mails = await eventually(async () => {
      const found = (await emailsAbout(env.system, appId)).map((mail) => mail.event);
      return found.length > 0 && found;
    });
    expect(mails).toEqual(['ROTATION_FAILED']);
  });

  it('a replay while the first request still runs is a 409 that says to retry in a moment; then it gets the first answer', async () => {
    // Prepare
    const appId = await addManagedApp();
    const rotate = await signedRequest(env.api, 'POST', `/apps/${appId}/rotations`, {
      body: { mode: 'expire-now' },
      headers: { 'Idempotency-Key': `rotate-${appId}` },
    });
    let open: () => void = () => undefined;
    startExecutionGate = new Promise<void>((resolve) => {
      open = resolve;
    });

    // Act
    const first = rotate();
    await eventually(async () => (await env.system.registry.apps.getApp(appId)).state === 'ROTATING');
    const early = await rotate();
    startExecutionGate = undefined;
    open();
    const answered = await first;
    const late = await rotate();

    // Assess
    expect(early.status, early.text).toBe(409);
    expect(early.body).toMatchObject({
      code: 'IdempotencyKeyInProgressError',
      message: `The first request with Idempotency-Key "rotate-${appId}" is still in progress; retry it in a moment to get its answer.`,
    });
    expect(answered.status, answered.text).toBe(202);
    expect(late.body).toEqual(answered.body);
    const runs = env.system.stepFunctions.executions().filter((run) => JSON.parse(run.input).appId === appId);
    expect(runs).toHaveLength(1);
    await env.system.stepFunctions.whenStopped(runs[0]?.executionArn as string);
  });

  it('keeps the first answer in the registry table for 24 hours, under the caller and key hashed', async () => {
    // Prepare
    const appId = await addManagedApp();
    const key = `remove-${appId}`;

    // Act
    const before = Math.floor(Date.now() / 1000);
    const removed = await env.call('DELETE', `/apps/${appId}`, { headers: { 'Idempotency-Key': key } });
    const { Items = [] } = await env.system.documentClient.send(
      new QueryCommand({
        TableName: env.system.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'IDEMPOTENCY' },
      }),
    );

    // Assess
    expect(removed.status, removed.text).toBe(200);
    const record = Items.find(
      (item) => item.data?.body?.appId === appId && item.data?.body?.removed === true,
    );
    expect(record).toMatchObject({ pk: 'IDEMPOTENCY', status: 'COMPLETED', data: { status: 200 } });
    expect(record?.sk).toMatch(/^operator-api#/);
    expect(record?.expiresAtEpoch).toBeGreaterThanOrEqual(before + 86_400);
    expect(record?.expiresAtEpoch).toBeLessThanOrEqual(before + 86_400 + 60);
    // The key and the caller are only in the hash.
    expect(JSON.stringify(record)).not.toContain(key);
    expect(JSON.stringify(record)).not.toContain('user/alice');
  });

  it('expire-now of a HubSpot app whose HubSpot answers slowly returns within its budget, with verdict unknown', async () => {
    // Prepare
    const appId = await hubspotAppInGrace();
    hubspot.injectFaults({ delayMs: 5_000 });

    // Act
    const started = Date.now();
    const answer = await env.call('POST', `/apps/${appId}/expire-now`, {
      headers: { 'Idempotency-Key': `expire-${appId}` },
    });
    const elapsed = Date.now() - started;

    // Assess
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body.message).toContain('HubSpot could not be asked about the old token');
    expect(elapsed).toBeLessThan(4_000);
    const app = await env.system.registry.apps.getApp(appId);
    expect(app.state).toBe('ACTIVE');
    const rotationId = app.lastRotation?.rotationId as string;
    expect((await env.system.registry.rotations.findRotation(appId, rotationId))?.hubspotCheck).toMatchObject(
      {
        token: 'old',
        verdict: 'unknown',
      },
    );
  });
});
