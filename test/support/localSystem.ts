import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { RotationMode } from '../../lambda/contract/appSettings.ts';
import { keys } from '../../lambda/contract/table.ts';
import { type EnrollManagedAppInput, enrollManagedApp } from '../../lambda/domain/enrollApp.ts';
import { startRotationWorkflow } from '../../lambda/integrations/workflows.ts';
import { dueAtOf } from '../../lambda/store/dueAt.ts';
import type { AppRecord } from '../../lambda/store/model.ts';
import { Registry } from '../../lambda/store/Registry.ts';
import { APP_DEFAULTS } from '../../local/demoApp.ts';
import {
  emailsAboutApp,
  isAccepted,
  type SeenEmail,
  tokenOfVersion,
  until,
  versionLabels,
} from '../../local/observe.ts';
import { type LocalSystem, type LocalSystemOptions, startLocalSystem } from '../../local/system.ts';

/** A whole local Rotor plus the clients a test uses to look at it. */
export interface TestSystem extends LocalSystem {
  readonly registry: Registry;
  readonly secretsManager: SecretsManagerClient;
  readonly sfn: SFNClient;
  readonly documentClient: DynamoDBDocumentClient;
}

/** Starts a local Rotor for one test file (its own stand-ins on free ports, handlers in this process). */
export async function startTestSystem(options: LocalSystemOptions = {}): Promise<TestSystem> {
  // The sweep's send slots pass at once unless a test asks for them (test/workflows/sweepScale.test.ts):
  // the tables of these tests hold many due apps, and their pace is not what the tests look at.
  const system = await startLocalSystem({
    ...options,
    waitTimeOverrides: { WaitForSendSlot: 0, ...options.waitTimeOverrides },
  });
  const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return {
    ...system,
    registry: new Registry({ documentClient, tableName: system.tableName }),
    secretsManager: new SecretsManagerClient({}),
    sfn: new SFNClient({}),
    documentClient,
  };
}

/** Makes an app's token `days` old, and moves its place in the `due` index to match. */
export async function ageToken(system: TestSystem, app: AppRecord, days: number): Promise<void> {
  const tokenIssuedAt = new Date(Date.now() - days * 86_400_000).toISOString();
  const aged = { ...(await system.registry.apps.getApp(app.appId)), tokenIssuedAt };
  await system.documentClient.send(
    new UpdateCommand({
      TableName: system.tableName,
      Key: keys.app(app.appId),
      UpdateExpression: 'SET tokenIssuedAt = :issued, dueAt = :due',
      ExpressionAttributeValues: { ':issued': tokenIssuedAt, ':due': dueAtOf(aged) },
    }),
  );
}

/** An app id no other test uses. */
export function uniqueAppId(stem: string): string {
  return `${stem}-${randomBytes(3).toString('hex')}`;
}

/** Registers a managed app with one German and one English admin, as `rotor apps add` does. */
export async function enroll(
  system: TestSystem,
  overrides: Partial<EnrollManagedAppInput> = {},
): Promise<AppRecord> {
  const appId = overrides.appId ?? uniqueAppId('app');
  return enrollManagedApp(
    {
      appId,
      secret: `rotor/${appId}`,
      admins: [{ email: `de-admin@${appId}.example` }, { email: `en-admin@${appId}.example`, locale: 'en' }],
      ...APP_DEFAULTS,
      ...overrides,
    },
    {
      secretsManager: system.secretsManager,
      registry: system.registry,
      tokenPrefix: 'rtr_',
      secretNamePrefix: 'rotor/',
      rotationFunctionArn: system.rotationHookArn,
      clock: () => new Date(),
    },
  );
}

/** Starts a rotation workflow as the operator API does, and returns its ids. */
export async function rotate(
  system: TestSystem,
  app: AppRecord,
  mode: RotationMode,
  extra: { graceSeconds?: number; reason?: string } = {},
): Promise<{ rotationId: string; executionArn: string }> {
  const rotationId = uniqueAppId('r');
  const executionArn = await startRotationWorkflow(system.sfn, system.rotationStateMachineArn, {
    appId: app.appId,
    rotationId,
    mode,
    trigger: 'operator',
    startedBy: 'arn:aws:iam::123456789012:user/alice',
    ...extra,
  });
  return { rotationId, executionArn };
}

/** The emails the SES stand-in received about one app, oldest first. */
export async function emailsAbout(system: TestSystem, appId: string): Promise<SeenEmail[]> {
  return emailsAboutApp(system.endpoints.ses, appId);
}

/** Each version id with its labels. */
export async function labelsOf(system: TestSystem, secretArn: string): Promise<Record<string, string[]>> {
  return versionLabels(system.secretsManager, secretArn);
}

/** The token a version holds (tests only). */
export async function tokenOf(system: TestSystem, secretArn: string, versionId: string): Promise<string> {
  return tokenOfVersion(system.secretsManager, secretArn, versionId);
}

/** Whether a token is accepted now. */
export async function accepts(system: TestSystem, token: string): Promise<boolean> {
  return isAccepted(system.registry, token);
}

/** The full history of an execution, as GetExecutionHistory returns it, as one string. */
export async function historyText(system: TestSystem, executionArn: string): Promise<string> {
  const { events } = await system.sfn.send(
    new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }),
  );
  return JSON.stringify(events);
}

/** Every item in the registry table, as one string. */
export async function registryText(system: TestSystem): Promise<string> {
  const { Items } = await system.documentClient.send(new ScanCommand({ TableName: system.tableName }));
  return JSON.stringify(Items);
}

/** Polls until `check` holds (for state reached by a background execution), failing after `ms`. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, ms = 10_000): Promise<T> {
  return until('the condition held', check, ms);
}
