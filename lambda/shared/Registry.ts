import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { AppNotFoundError, RotationConflictError, RotorError } from '../contract/errors.ts';
import { DUE_INDEX, DUE_SHARD, keys, TTL_ATTRIBUTE } from '../contract/table.ts';
import type {
  ActiveRotation,
  AppRecord,
  AppState,
  AuditEvent,
  Handoff,
  HubSpotCheck,
  RotationEnding,
  RotationRecord,
  RotationStatus,
  StepFailure,
  TokenStatus,
  TokenVersionRecord,
} from './model.ts';

export interface RegistryOptions {
  readonly documentClient: DynamoDBDocumentClient;
  readonly tableName: string;
}

/** A stuck ROTATING app becomes due for repair this long after its rotation started. */
const ROTATING_REPAIR_AFTER_MS = 60 * 60 * 1000;

function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error instanceof Error && error.name === 'ConditionalCheckFailedException')
  );
}

function addSeconds(iso: string, seconds: number): string {
  return new Date(Date.parse(iso) + seconds * 1000).toISOString();
}

/** When the daily sweep should next look at an app: the `dueAt` of the `due` index. */
export function dueAtOf(
  app: Pick<AppRecord, 'state' | 'tokenIssuedAt' | 'intervalSeconds' | 'activeRotation' | 'hubspot'>,
) {
  if (app.state === 'GRACE' && app.activeRotation?.expiresAt) return app.activeRotation.expiresAt;
  if (app.state === 'ROTATING' && app.activeRotation) {
    return new Date(Date.parse(app.activeRotation.startedAt) + stuckAfterMs(app)).toISOString();
  }
  return addSeconds(app.tokenIssuedAt, app.intervalSeconds);
}

/**
 * How long after its start a ROTATING app counts as stuck (its workflow gone): an hour, and for a
 * HubSpot app an hour past its handoff deadline, because it waits days for an admin to hand a token over.
 */
export function stuckAfterMs(app: Pick<AppRecord, 'hubspot'>): number {
  return ROTATING_REPAIR_AFTER_MS + (app.hubspot ? app.hubspot.handoffTimeoutSeconds * 1000 : 0);
}

function stripKeys<T>(item: Record<string, unknown> | undefined): T | undefined {
  if (!item) return undefined;
  const { pk: _pk, sk: _sk, dueShard: _shard, dueAt: _due, ...rest } = item;
  return rest as T;
}

/**
 * The error for an action that needs another state: it names the running rotation and the
 * commands that end it.
 */
export function conflictError(app: AppRecord, cause?: unknown): RotationConflictError {
  const rotation = app.activeRotation;
  const where = rotation?.ending
    ? `being ended (${rotation.ending})`
    : app.state === 'GRACE'
      ? `in its grace period until ${rotation?.expiresAt}`
      : 'running';
  const running = rotation
    ? `rotation ${rotation.rotationId} (${rotation.mode}, started ${rotation.startedAt} by ${rotation.startedBy}) is ${where}`
    : `the app is ${app.state} with no rotation running`;
  const next =
    app.state === 'GRACE' && !rotation?.ending
      ? `end it with "rotor expire-now ${app.appId}" or "rotor cancel ${app.appId}"`
      : app.state === 'ROTATING' && app.issuer === 'hubspot' && !rotation?.handoff && !rotation?.ending
        ? `it waits for the new HubSpot token: hand it over with "rotor submit ${app.appId} --token-stdin"`
        : app.state === 'ROTATING'
          ? 'wait until it finishes or fails'
          : `start one with "rotor rotate ${app.appId} --expire now|later"`;
  return new RotationConflictError(`app "${app.appId}": ${running}; ${next}`, { cause });
}

/**
 * The registry in DynamoDB: apps with their lifecycle state, rotation history, token hashes and
 * audit events. Every change of an app's state is one conditional write on the app's own item, so
 * two actions can never both win, and every method may be called again with the same arguments.
 */
export class Registry {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;

  public constructor(options: RegistryOptions) {
    this.#client = options.documentClient;
    this.#tableName = options.tableName;
  }

  /** Registers a new app; refuses an app id that is taken. */
  public async createApp(app: AppRecord): Promise<void> {
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: { ...keys.app(app.appId), ...app, dueShard: DUE_SHARD, dueAt: dueAtOf(app) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) {
        throw new RotationConflictError(`app "${app.appId}" is already registered`, { cause: error });
      }
      throw error;
    }
  }

  /** Reads an app with a strongly consistent read, or `undefined`. */
  public async findApp(appId: string): Promise<AppRecord | undefined> {
    const { Item } = await this.#client.send(
      new GetCommand({ TableName: this.#tableName, Key: keys.app(appId), ConsistentRead: true }),
    );
    return stripKeys<AppRecord>(Item);
  }

  /** Reads an app, failing with {@link AppNotFoundError} when it is not registered. */
  public async getApp(appId: string): Promise<AppRecord> {
    const app = await this.findApp(appId);
    if (!app) throw new AppNotFoundError(`no app "${appId}" is registered with Rotor`);
    return app;
  }

  /**
   * Every registered app, ordered by id. The app ids come from the sparse `due` index, which holds
   * one small item per app (a Query, never a Scan); the apps themselves from BatchGetItem.
   */
  public async listApps(): Promise<AppRecord[]> {
    const appKeys: { pk: string; sk: string }[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.#client.send(
        new QueryCommand({
          TableName: this.#tableName,
          IndexName: DUE_INDEX.indexName,
          KeyConditionExpression: '#shard = :shard',
          ExpressionAttributeNames: { '#shard': DUE_INDEX.partitionKey },
          ExpressionAttributeValues: { ':shard': DUE_SHARD },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) appKeys.push({ pk: String(item.pk), sk: String(item.sk) });
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    const apps: AppRecord[] = [];
    for (let i = 0; i < appKeys.length; i += 100) {
      let pending: Record<string, unknown>[] = appKeys.slice(i, i + 100);
      for (let attempt = 0; pending.length > 0; attempt += 1) {
        if (attempt > 0)
          await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
        const { Responses, UnprocessedKeys } = await this.#client.send(
          new BatchGetCommand({
            RequestItems: { [this.#tableName]: { Keys: pending, ConsistentRead: true } },
          }),
        );
        for (const item of Responses?.[this.#tableName] ?? [])
          apps.push(stripKeys<AppRecord>(item) as AppRecord);
        pending = UnprocessedKeys?.[this.#tableName]?.Keys ?? [];
        if (attempt > 8 && pending.length > 0) {
          throw new RotorError("DynamoDB kept the registry's apps unprocessed; try again in a moment");
        }
      }
    }
    return apps.sort((a, b) => a.appId.localeCompare(b.appId));
  }

  /**
   * Removes an app from the registry with one conditional delete: only while it is ACTIVE with no
   * rotation, else a {@link RotationConflictError} that names the rotation. Its rotation history, token
   * hashes and audit events stay. Returns the app as it was.
   */
  public async removeApp(appId: string): Promise<AppRecord> {
    const app = await this.getApp(appId);
    try {
      await this.#client.send(
        new DeleteCommand({
          TableName: this.#tableName,
          Key: keys.app(appId),
          ConditionExpression: '#state = :active AND attribute_not_exists(activeRotation)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':active': 'ACTIVE' },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      throw conflictError(await this.getApp(appId), error);
    }
    return app;
  }

  /**
   * Takes the rotation lock: ACTIVE → ROTATING. Calling it again for the same rotation succeeds;
   * any other rotation in progress makes it fail with {@link RotationConflictError}.
   */
  public async lockForRotation(appId: string, rotation: ActiveRotation, now: string): Promise<AppRecord> {
    const app = await this.getApp(appId);
    const next: AppRecord = { ...app, state: 'ROTATING', activeRotation: rotation, updatedAt: now };
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: keys.app(appId),
          UpdateExpression:
            'SET #state = :rotating, activeRotation = :rotation, updatedAt = :now, dueAt = :due',
          ConditionExpression: '#state = :active',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':rotating': 'ROTATING',
            ':active': 'ACTIVE',
            ':rotation': rotation,
            ':now': now,
            ':due': dueAtOf(next),
          },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const current = await this.getApp(appId);
      if (current.activeRotation?.rotationId !== rotation.rotationId) throw conflictError(current, error);
      await this.#recordRotationStart(appId, rotation);
      return current;
    }
    await this.#recordRotationStart(appId, rotation);
    return next;
  }

  /** Records the Secrets Manager version that will hold the new token of the running rotation. */
  public async attachNewVersion(appId: string, rotationId: string, versionId: string): Promise<void> {
    const updated = await this.#updateRunningRotation(
      appId,
      rotationId,
      'SET activeRotation.newVersionId = :version',
      { ':version': versionId },
      {
        also: '(attribute_not_exists(activeRotation.newVersionId) OR activeRotation.newVersionId = :version)',
        evenWhileEnding: true,
      },
    );
    if (!updated) throw conflictError(await this.getApp(appId));
  }

  /**
   * Makes the new token current: ROTATING → GRACE (expire-later, with `expiresAt`) or → ACTIVE
   * (expire-now). Returns the app as it now is; a second call for the same rotation changes nothing.
   */
  public async promoteNewToken(
    appId: string,
    rotationId: string,
    now: string,
    expiresAt?: string,
  ): Promise<AppRecord> {
    const app = await this.getApp(appId);
    if (app.state !== 'ROTATING' && app.lastRotation?.rotationId === rotationId) {
      await this.#recordPromotion(app, rotationId);
      return app;
    }
    const rotation = app.activeRotation;
    if (app.state !== 'ROTATING' || rotation?.rotationId !== rotationId || !rotation.newVersionId) {
      throw conflictError(app);
    }
    const grace = rotation.mode === 'expire-later';
    const next: AppRecord = {
      ...app,
      state: grace ? 'GRACE' : 'ACTIVE',
      activeRotation: grace
        ? { ...rotation, expiresAt: expiresAt ?? addSeconds(now, rotation.graceSeconds) }
        : undefined,
      currentVersionId: rotation.newVersionId,
      tokenIssuedAt: now,
      lastRotation: { rotationId, outcome: grace ? 'in-grace' : 'completed', at: now },
      updatedAt: now,
      // A HubSpot token's scopes come with it; the next rotation compares against these.
      ...(app.hubspot && rotation.handoff
        ? { hubspot: { ...app.hubspot, scopes: rotation.handoff.scopes } }
        : {}),
    };
    try {
      await this.#replaceApp(next, '#state = :rotating AND activeRotation.rotationId = :rotation', {
        ':rotating': 'ROTATING',
        ':rotation': rotationId,
      });
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return this.promoteNewToken(appId, rotationId, now, expiresAt);
    }
    await this.#recordPromotion(next, rotationId);
    return next;
  }

  async #recordRotationStart(appId: string, rotation: ActiveRotation): Promise<void> {
    const record: RotationRecord = { ...rotation, appId, status: 'rotating' };
    await this.#putIfAbsent(keys.rotation(appId, rotation.rotationId), { ...record });
  }

  /** Brings a rotation's history record in line with the app after its new token became current. */
  async #recordPromotion(app: AppRecord, rotationId: string): Promise<void> {
    const inGrace = app.state === 'GRACE' && app.activeRotation?.rotationId === rotationId;
    const values: Record<string, unknown> = {
      ':status': inGrace ? 'grace' : 'completed',
      ':version': app.currentVersionId,
      ':rotating': 'rotating',
    };
    let update = 'SET #status = :status, newVersionId = :version';
    const handoff = app.activeRotation?.rotationId === rotationId ? app.activeRotation.handoff : undefined;
    if (handoff) {
      update += ', handoff = :handoff';
      values[':handoff'] = handoff;
    }
    if (inGrace) {
      update += ', expiresAt = :expiresAt';
      values[':expiresAt'] = app.activeRotation?.expiresAt;
    } else {
      update += ', finishedAt = :finishedAt';
      values[':finishedAt'] = app.lastRotation?.at;
    }
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: keys.rotation(app.appId, rotationId),
          UpdateExpression: update,
          ConditionExpression: '#status = :rotating',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      // Already recorded by an earlier attempt, or moved on by a later step of the lifecycle.
      if (!isConditionFailure(error)) throw error;
    }
  }

  /**
   * Keeps the task token of the workflow that now waits for a HubSpot app's new token, so that
   * `rotor submit` can wake it. Returns the app as it now is, or `undefined` when this rotation is no
   * longer running (ended while the workflow was between two waits).
   */
  public async recordHandoffTaskToken(
    appId: string,
    rotationId: string,
    taskToken: string,
  ): Promise<AppRecord | undefined> {
    return this.#updateRunningRotation(appId, rotationId, 'SET activeRotation.handoffTaskToken = :token', {
      ':token': taskToken,
    });
  }

  /**
   * Records the HubSpot token a `rotor submit` handed over (its scopes, never the token). Only once per
   * rotation: a second, different handoff is a RotationConflictError.
   */
  public async recordHandoff(appId: string, rotationId: string, handoff: Handoff): Promise<void> {
    const updated = await this.#updateRunningRotation(
      appId,
      rotationId,
      'SET activeRotation.handoff = :handoff',
      { ':handoff': handoff },
      { also: 'attribute_not_exists(activeRotation.handoff)' },
    );
    if (!updated) throw conflictError(await this.getApp(appId));
  }

  /** Counts one more handoff reminder of a running rotation; `undefined` when the rotation is no longer running. */
  public async countHandoffReminder(appId: string, rotationId: string): Promise<AppRecord | undefined> {
    return this.#updateRunningRotation(
      appId,
      rotationId,
      'SET activeRotation.handoffReminders = if_not_exists(activeRotation.handoffReminders, :zero) + :one',
      { ':zero': 0, ':one': 1 },
    );
  }

  /**
   * One conditional write on the running rotation `rotationId` (the app ROTATING with it, and unless
   * `evenWhileEnding`, no action claimed its end yet; plus the `also` condition). Returns the app as
   * it now is, or `undefined` when the condition does not hold.
   */
  async #updateRunningRotation(
    appId: string,
    rotationId: string,
    update: string,
    values: Record<string, unknown>,
    options: { also?: string; evenWhileEnding?: boolean } = {},
  ): Promise<AppRecord | undefined> {
    const conditions = ['#state = :rotating', 'activeRotation.rotationId = :rotation'];
    if (!options.evenWhileEnding) conditions.push('attribute_not_exists(activeRotation.ending)');
    if (options.also) conditions.push(options.also);
    try {
      const { Attributes } = await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: keys.app(appId),
          UpdateExpression: update,
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ...values, ':rotating': 'ROTATING', ':rotation': rotationId },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return stripKeys<AppRecord>(Attributes);
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return undefined;
    }
  }

  /** Notes on the running rotation which step failed (the rotation hook calls this; the workflow reads it). */
  public async recordStepFailure(appId: string, rotationId: string, failure: StepFailure): Promise<void> {
    // When the rotation has ended already, there is nothing left to tell it.
    await this.#updateRunningRotation(
      appId,
      rotationId,
      'SET activeRotation.failure = :failure',
      { ':failure': failure },
      { evenWhileEnding: true },
    );
  }

  /**
   * Claims the end of a rotation for one action, with one conditional write: the app must be in
   * `from` for this rotation, and no other action may have claimed it. Claiming again for the same
   * action succeeds (so an interrupted action can be finished); returns `undefined` when the
   * rotation is not there to end (finished already, or another action claimed it).
   */
  public async claimEnding(
    appId: string,
    rotationId: string,
    from: AppState,
    ending: RotationEnding,
  ): Promise<AppRecord | undefined> {
    try {
      const { Attributes } = await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: keys.app(appId),
          UpdateExpression: 'SET activeRotation.ending = :ending',
          ConditionExpression:
            '#state = :from AND activeRotation.rotationId = :rotation AND ' +
            '(attribute_not_exists(activeRotation.ending) OR activeRotation.ending = :ending)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':from': from, ':rotation': rotationId, ':ending': ending },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return stripKeys<AppRecord>(Attributes);
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return undefined;
    }
  }

  /**
   * Completes a claimed ending: the app becomes `next` (ACTIVE, without the rotation) and the
   * rotation's history record gets its final status. Does nothing if the claim is gone.
   */
  public async completeEnding(
    claimed: AppRecord,
    next: AppRecord,
    record: {
      status: RotationStatus;
      finishedAt: string;
      endedBy: string;
      failedStep?: string;
      failure?: StepFailure;
      hubspotCheck?: HubSpotCheck;
    },
  ): Promise<boolean> {
    const rotation = claimed.activeRotation;
    if (!rotation?.ending) throw new RotorError(`app "${claimed.appId}" has no claimed ending to complete`);
    try {
      await this.#replaceApp(
        next,
        '#state = :from AND activeRotation.rotationId = :rotation AND activeRotation.ending = :ending',
        { ':from': claimed.state, ':rotation': rotation.rotationId, ':ending': rotation.ending },
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return false;
    }
    const { ending: _ending, handoffTaskToken: _taskToken, ...history } = rotation;
    await this.putRotation({ ...history, appId: claimed.appId, ...record });
    return true;
  }

  /** Notes that a reminder went out, which moves the app's next due date. */
  public async recordReminder(app: AppRecord, at: string): Promise<void> {
    const next: AppRecord = { ...app, lastReminderAt: at, updatedAt: at };
    await this.#client.send(
      new UpdateCommand({
        TableName: this.#tableName,
        Key: keys.app(app.appId),
        UpdateExpression: 'SET lastReminderAt = :at, dueAt = :due',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':at': at, ':due': dueAtOf(next) },
      }),
    );
  }

  /**
   * The apps whose `dueAt` is at or before `now`, from the sparse `due` index (a Query, never a
   * Scan), oldest first, a page at a time.
   */
  public async findDueApps(
    now: string,
    limit: number,
    startKey?: Record<string, unknown>,
  ): Promise<{ appIds: string[]; nextKey?: Record<string, unknown> }> {
    const { Items = [], LastEvaluatedKey } = await this.#client.send(
      new QueryCommand({
        TableName: this.#tableName,
        IndexName: DUE_INDEX.indexName,
        KeyConditionExpression: '#shard = :shard AND #due <= :now',
        ExpressionAttributeNames: { '#shard': DUE_INDEX.partitionKey, '#due': DUE_INDEX.sortKey },
        ExpressionAttributeValues: { ':shard': DUE_SHARD, ':now': now },
        Limit: limit,
        ExclusiveStartKey: startKey,
      }),
    );
    return { appIds: Items.map((item) => String(item.pk).slice('APP#'.length)), nextKey: LastEvaluatedKey };
  }

  /**
   * Claims the right to send one notification. Returns false when it was claimed before, so a
   * retried task never sends the same email twice.
   */
  public async claimNotification(appId: string, key: string, at: string): Promise<boolean> {
    const existing = await this.#putIfAbsent(keys.notification(appId, key), { status: 'sending', at });
    return existing === undefined;
  }

  /** Records what became of a claimed notification. */
  public async settleNotification(appId: string, key: string, status: 'sent' | 'failed', detail?: string) {
    await this.#client.send(
      new UpdateCommand({
        TableName: this.#tableName,
        Key: keys.notification(appId, key),
        UpdateExpression: 'SET #status = :status, detail = :detail',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':status': status, ':detail': detail ?? null },
      }),
    );
  }

  /** Gives a claim back after a failure that is worth retrying (throttling), so the retry can send. */
  public async releaseNotification(appId: string, key: string): Promise<void> {
    await this.#client.send(
      new DeleteCommand({ TableName: this.#tableName, Key: keys.notification(appId, key) }),
    );
  }

  /** Writes (or rewrites) the history record of a rotation. */
  public async putRotation(record: RotationRecord): Promise<void> {
    await this.#client.send(
      new PutCommand({
        TableName: this.#tableName,
        Item: { ...keys.rotation(record.appId, record.rotationId), ...record },
      }),
    );
  }

  /** Reads one rotation's history record. */
  public async findRotation(appId: string, rotationId: string): Promise<RotationRecord | undefined> {
    const { Item } = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: keys.rotation(appId, rotationId),
        ConsistentRead: true,
      }),
    );
    return stripKeys<RotationRecord>(Item);
  }

  /** An app's rotations, newest first. */
  public async listRotations(appId: string, limit = 50): Promise<RotationRecord[]> {
    const { Items = [] } = await this.#client.send(
      new QueryCommand({
        TableName: this.#tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': keys.app(appId).pk, ':prefix': keys.rotationPrefix },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return Items.map((item) => stripKeys<RotationRecord>(item) as RotationRecord);
  }

  /**
   * Registers the hash of a new token version. Writing the same version again changes nothing;
   * a hash that is already registered for another version is refused.
   */
  public async registerTokenVersion(record: TokenVersionRecord): Promise<void> {
    await this.#putIfAbsent(keys.versionPointer(record.appId, record.versionId), {
      tokenHash: record.tokenHash,
    });
    const existing = await this.#putIfAbsent(keys.token(record.tokenHash), { ...record });
    if (existing && (existing.appId !== record.appId || existing.versionId !== record.versionId)) {
      throw new RotorError(
        `the token of version ${record.versionId} is already registered for another version; a token is never reused`,
      );
    }
  }

  /** Looks a token version up by the hash of its token (strongly consistent). */
  public async findTokenByHash(tokenHash: string): Promise<TokenVersionRecord | undefined> {
    const { Item } = await this.#client.send(
      new GetCommand({ TableName: this.#tableName, Key: keys.token(tokenHash), ConsistentRead: true }),
    );
    return stripKeys<TokenVersionRecord>(Item);
  }

  /** Looks a token version up by its Secrets Manager version id. */
  public async findTokenVersion(appId: string, versionId: string): Promise<TokenVersionRecord | undefined> {
    const { Item } = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: keys.versionPointer(appId, versionId),
        ConsistentRead: true,
      }),
    );
    const tokenHash = Item?.tokenHash;
    return typeof tokenHash === 'string' ? this.findTokenByHash(tokenHash) : undefined;
  }

  /**
   * Adds `uses` to a token's count for the hour of `at`, and moves its last use to `at`: one write,
   * which the verifier makes at most once a minute per token. Hour counts expire after 35 days.
   */
  public async recordTokenUse(tokenHash: string, uses: number, at: string): Promise<void> {
    const hourEnd = Date.parse(`${at.slice(0, 13)}:00:00Z`) + 3_600_000;
    await this.#client.send(
      new UpdateCommand({
        TableName: this.#tableName,
        Key: keys.tokenUse(tokenHash, at),
        UpdateExpression: 'ADD uses :uses SET lastUsedAt = :at, #ttl = :ttl',
        ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
        ExpressionAttributeValues: {
          ':uses': uses,
          ':at': at,
          ':ttl': Math.floor(hourEnd / 1000) + 35 * 86_400,
        },
      }),
    );
  }

  /** How often a token version was used since `since` (to the hour), and when last. */
  public async tokenUsage(
    appId: string,
    versionId: string,
    since: string,
  ): Promise<{ uses: number; lastUsedAt?: string }> {
    const version = await this.findTokenVersion(appId, versionId);
    return version ? this.tokenUsageByHash(version.tokenHash, since) : { uses: 0 };
  }

  /** {@link Registry.tokenUsage} for a version already read: one Query, no lookup. */
  public async tokenUsageByHash(
    tokenHash: string,
    since: string,
  ): Promise<{ uses: number; lastUsedAt?: string }> {
    const { Items = [] } = await this.#client.send(
      new QueryCommand({
        TableName: this.#tableName,
        KeyConditionExpression: 'pk = :pk AND sk >= :from',
        ExpressionAttributeValues: {
          ':pk': keys.token(tokenHash).pk,
          ':from': keys.tokenUse(tokenHash, since).sk,
        },
      }),
    );
    let uses = 0;
    let lastUsedAt: string | undefined;
    for (const item of Items) {
      if (!String(item.sk).startsWith(keys.tokenUsePrefix)) continue;
      uses += Number(item.uses ?? 0);
      if (typeof item.lastUsedAt === 'string' && (!lastUsedAt || item.lastUsedAt > lastUsedAt)) {
        lastUsedAt = item.lastUsedAt;
      }
    }
    return lastUsedAt ? { uses, lastUsedAt } : { uses };
  }

  /**
   * Moves a token version to `status` if it is in one of `from`; if it already has `status`, nothing
   * changes. `expiresAt` goes with `grace`, `revokedAt` with `revoked`.
   */
  public async setTokenStatus(
    appId: string,
    versionId: string,
    change: {
      status: TokenStatus;
      from: readonly TokenStatus[];
      expiresAt?: string;
      revokedAt?: string;
      /** Drops `expiresAt` (a grace token made current again by a cancel). */
      removeExpiry?: boolean;
    },
  ): Promise<TokenVersionRecord> {
    const version = await this.findTokenVersion(appId, versionId);
    if (!version) throw new RotorError(`app "${appId}" has no registered token for version ${versionId}`);
    if (version.status === change.status) return version;
    const sets = ['#status = :status'];
    const values: Record<string, unknown> = { ':status': change.status };
    if (change.expiresAt) {
      sets.push('expiresAt = :expiresAt');
      values[':expiresAt'] = change.expiresAt;
    }
    if (change.revokedAt) {
      sets.push('revokedAt = :revokedAt');
      values[':revokedAt'] = change.revokedAt;
    }
    const removes = change.removeExpiry ? ' REMOVE expiresAt' : '';
    const allowed = change.from.map((_, i) => `:from${i}`);
    change.from.forEach((status, i) => {
      values[`:from${i}`] = status;
    });
    try {
      const { Attributes } = await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: keys.token(version.tokenHash),
          UpdateExpression: `SET ${sets.join(', ')}${removes}`,
          ConditionExpression: `#status IN (${allowed.join(', ')})`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return stripKeys<TokenVersionRecord>(Attributes) as TokenVersionRecord;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const now = await this.findTokenVersion(appId, versionId);
      if (now?.status === change.status) return now;
      throw new RotorError(
        `token version ${versionId} of app "${appId}" is ${now?.status}, not ${change.from.join(' or ')}`,
        { cause: error },
      );
    }
  }

  /** Appends an audit event (idempotent per eventId). */
  public async appendAudit(event: AuditEvent): Promise<void> {
    await this.#putIfAbsent(
      { pk: keys.auditDay(event.at), sk: `${event.at}#${event.eventId}` },
      { ...event },
    );
  }

  /** The audit events of one UTC day, oldest first. */
  public async listAuditDay(day: string): Promise<AuditEvent[]> {
    const { Items = [] } = await this.#client.send(
      new QueryCommand({
        TableName: this.#tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.auditDay(day) },
      }),
    );
    return Items.map((item) => stripKeys<AuditEvent>(item) as AuditEvent);
  }

  /**
   * The audit events from `since` to `until` (ISO times), oldest first: one Query per UTC day, each
   * on its own partition. Stops after `limit` events and says so.
   */
  public async listAudit(
    since: string,
    until: string,
    limit = 1000,
  ): Promise<{ events: AuditEvent[]; truncated: boolean }> {
    const events: AuditEvent[] = [];
    const lastDay = until.slice(0, 10);
    for (
      let day = since.slice(0, 10);
      day <= lastDay;
      day = addSeconds(`${day}T00:00:00.000Z`, 86_400).slice(0, 10)
    ) {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await this.#client.send(
          new QueryCommand({
            TableName: this.#tableName,
            KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
            ExpressionAttributeValues: { ':pk': keys.auditDay(day), ':from': since, ':to': `${until}~` },
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) {
          if (events.length === limit) return { events, truncated: true };
          events.push(stripKeys<AuditEvent>(item) as AuditEvent);
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    }
    return { events, truncated: false };
  }

  async #replaceApp(app: AppRecord, condition: string, values: Record<string, unknown>): Promise<void> {
    await this.#client.send(
      new PutCommand({
        TableName: this.#tableName,
        Item: { ...keys.app(app.appId), ...app, dueShard: DUE_SHARD, dueAt: dueAtOf(app) },
        ConditionExpression: condition,
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: values,
      }),
    );
  }

  /** Puts an item unless one exists; returns the existing item when there was one. */
  async #putIfAbsent(
    key: { pk: string; sk: string },
    item: Record<string, unknown>,
  ): Promise<Record<string, unknown> | undefined> {
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: { ...key, ...item },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return undefined;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const { Item } = await this.#client.send(
        new GetCommand({ TableName: this.#tableName, Key: key, ConsistentRead: true }),
      );
      return Item;
    }
  }
}
