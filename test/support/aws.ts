import { randomBytes, randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { type EnrollManagedAppInput, enrollManagedApp } from '../../lambda/domain/enrollApp.ts';
import { parseSecret } from '../../lambda/domain/tokens.ts';
import type { AppRecord } from '../../lambda/store/model.ts';
import { Registry } from '../../lambda/store/Registry.ts';
import { APP_DEFAULTS } from '../../local/demoApp.ts';
import { TEST_HOOK_ARN, TEST_SECRET_PREFIX, TEST_TABLE, TEST_TOKEN_PREFIX } from './environment.ts';

/** Clients for the stand-ins, configured like the handlers' (endpoints from AWS_ENDPOINT_URL_*). */
export const secretsManager = new SecretsManagerClient({});
export const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
  marshallOptions: { removeUndefinedValues: true },
});
export const registry = new Registry({ documentClient, tableName: TEST_TABLE });

/** An app id no other test uses. */
export function uniqueAppId(stem: string): string {
  return `${stem}-${randomBytes(4).toString('hex')}`;
}

/** Registers a managed app with a new secret, as `rotor apps add` will. */
export async function enrollTestApp(
  overrides: Partial<EnrollManagedAppInput> = {},
  dependencies: Partial<Parameters<typeof enrollManagedApp>[1]> = {},
): Promise<AppRecord> {
  const appId = overrides.appId ?? uniqueAppId('app');
  return enrollManagedApp(
    {
      appId,
      secret: `${TEST_SECRET_PREFIX}${appId}`,
      admins: [{ email: 'admin@example.com' }, { email: 'ops@example.com', locale: 'en' }],
      ...APP_DEFAULTS,
      ...overrides,
    },
    {
      secretsManager,
      registry,
      tokenPrefix: TEST_TOKEN_PREFIX,
      secretNamePrefix: TEST_SECRET_PREFIX,
      rotationFunctionArn: TEST_HOOK_ARN,
      clock: () => new Date(),
      ...dependencies,
    },
  );
}

/**
 * Waits until the Secrets Manager emulator has finished the background rotation of a secret (RotateSecret
 * answers before the rotation function runs, as on AWS). The emulator runs in the test run's main
 * process, so this asks it over HTTP with its emulator-only operation.
 */
export async function rotationSettled(secretId: string): Promise<void> {
  const endpoint = process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
  if (!endpoint) throw new Error('AWS_ENDPOINT_URL_SECRETS_MANAGER is not set: the test setup did not run');
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.1',
      'X-Amz-Target': 'secretsmanager.EmulatorRotationsSettled',
    },
    body: JSON.stringify({ SecretId: secretId }),
  });
  if (!response.ok)
    throw new Error(`EmulatorRotationsSettled answered ${response.status}: ${await response.text()}`);
}

/** Each version id with its staging labels, as DescribeSecret reports them. */
export async function labelsOf(secretId: string): Promise<Record<string, string[]>> {
  const secret = await secretsManager.send(new DescribeSecretCommand({ SecretId: secretId }));
  return secret.VersionIdsToStages ?? {};
}

/** The token a version holds (tests only: real code never reads a token it does not need). */
export async function tokenOf(secretId: string, versionId: string): Promise<string> {
  const value = await secretsManager.send(
    new GetSecretValueCommand({ SecretId: secretId, VersionId: versionId }),
  );
  return parseSecret(value.SecretString).token;
}

/** Every item in the registry table. */
export async function allRegistryItems(): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await documentClient.send(
      new ScanCommand({ TableName: TEST_TABLE, ExclusiveStartKey: startKey }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/** Starts a rotation the way Secrets Manager does (RotateSecret), waits until the emulator ran the function's steps, and returns the version id. */
export async function rotateSecret(app: AppRecord, functionArn = TEST_HOOK_ARN): Promise<string> {
  const versionId = randomUUID();
  await secretsManager.send(
    new RotateSecretCommand({
      SecretId: app.secretArn,
      ClientRequestToken: versionId,
      RotationLambdaARN: functionArn,
    }),
  );
  // RotateSecret answers before Secrets Manager runs the steps.
  await rotationSettled(app.secretArn);
  return versionId;
}
