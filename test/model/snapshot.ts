import { DescribeSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../lambda/contract/table.ts';
import { hashToken, parseSecret } from '../../lambda/domain/tokens.ts';
import { verifyToken } from '../../lambda/domain/verifyToken.ts';
import type { AppRecord, RotationRecord, TokenVersionRecord } from '../../lambda/store/model.ts';
import { allEmails } from '../../local/observe.ts';
import type { AppView, MailView, Snapshot, VersionView } from './invariants.ts';
import type { World } from './world.ts';

/** The items of one app's partition, by kind. */
async function partitionOf(world: World, appId: string) {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await world.documentClient.send(
      new QueryCommand({
        TableName: world.system.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.app(appId).pk },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  const sk = (item: Record<string, unknown>) => String(item.sk);
  return {
    app: items.find((item) => sk(item) === 'APP') as unknown as AppRecord | undefined,
    rotations: items
      .filter((item) => sk(item).startsWith(keys.rotationPrefix))
      .map((item) => item as unknown as RotationRecord),
    versionIds: items.filter((item) => sk(item).startsWith('VERSION#')).map((item) => sk(item).slice(8)),
  };
}

/** The token of a version, read once and kept in the world's memory (never printed). */
async function tokenOf(world: World, app: AppRecord, versionId: string): Promise<string | undefined> {
  const key = `${app.appId}/${versionId}`;
  const known = world.tokens.get(key);
  if (known !== undefined) return known;
  try {
    const value = await world.secretsManager.send(
      new GetSecretValueCommand({ SecretId: app.secretArn, VersionId: versionId }),
    );
    const { token } = parseSecret(value.SecretString);
    world.tokens.set(key, token);
    return token;
  } catch {
    return undefined; // a version without a value yet (RotateSecret's empty AWSPENDING), or one removed
  }
}

async function versionView(
  world: World,
  app: AppRecord,
  versionId: string,
  labels: readonly string[],
  now: Date,
): Promise<VersionView> {
  const token = await tokenOf(world, app, versionId);
  if (token === undefined) return { versionId, labels, verifies: false };
  // One read of the token's record, then Rotor's own verifier decides on it.
  const record: TokenVersionRecord | undefined = await world.registry.tokens.findTokenByHash(
    hashToken(token),
  );
  const verdict = await verifyToken(token, {
    registry: { tokens: { findTokenByHash: async () => record } },
    now,
  });
  return { versionId, labels, verifies: verdict.valid, ...(record ? { status: record.status } : {}) };
}

interface RunningRotation {
  readonly appId: string;
  readonly rotationId: string;
}

async function appView(
  world: World,
  appId: string,
  now: Date,
  running: readonly RunningRotation[],
): Promise<AppView | undefined> {
  const { app, rotations, versionIds } = await partitionOf(world, appId);
  if (!app) return undefined;
  const secret = await world.secretsManager.send(new DescribeSecretCommand({ SecretId: app.secretArn }));
  const stages = secret.VersionIdsToStages ?? {};
  const ids = [...new Set([...Object.keys(stages), ...versionIds])].sort();
  const versions = await Promise.all(ids.map((id) => versionView(world, app, id, stages[id] ?? [], now)));
  return {
    appId,
    admins: app.admins.map((admin) => admin.email),
    state: app.state,
    ...(app.activeRotation ? { activeRotation: app.activeRotation } : {}),
    rotations,
    versions,
    runningRotationIds: running
      .filter((execution) => execution.appId === appId)
      .map((execution) => execution.rotationId),
    pendingStops: Object.keys(app.pendingStops ?? {}),
    ...(app.lastReminderAt ? { lastReminderAt: app.lastReminderAt } : {}),
  };
}

/** Reads what the invariants judge: each app's registry items, secret labels and verdicts, and every email. */
export async function takeSnapshot(world: World, appIds: readonly string[]): Promise<Snapshot> {
  const now = new Date();
  const rotationArn = world.system.rotationStateMachineArn;
  const running = world.system.stepFunctions
    .executions('RUNNING')
    .filter((execution) => execution.stateMachineArn === rotationArn)
    .map((execution): RunningRotation => {
      const input = JSON.parse(execution.input) as { appId?: string; rotationId?: string };
      return { appId: String(input.appId), rotationId: String(input.rotationId ?? execution.name) };
    });
  const apps = (await Promise.all(appIds.map((appId) => appView(world, appId, now, running)))).filter(
    (app): app is AppView => app !== undefined,
  );
  const mails = (await allEmails(world.system.endpoints.ses)).flatMap((mail): MailView[] => {
    const app = apps.find((candidate) => mail.subject.includes(`${candidate.appId}:`));
    if (!app) return [];
    const rotation = app.rotations.find((candidate) => mail.text.includes(candidate.rotationId));
    return [
      {
        event: mail.event,
        to: mail.to,
        appId: app.appId,
        at: mail.at,
        ...(rotation ? { rotationId: rotation.rotationId } : {}),
      },
    ];
  });
  return { now: now.getTime(), apps, mails };
}
