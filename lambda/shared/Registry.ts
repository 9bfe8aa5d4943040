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
import type { NotificationEvent } from '../contract/notificationEvents.ts';
import { DUE_INDEX, DUE_SHARD, keys, TTL_ATTRIBUTE } from '../contract/table.ts';
import {
  type ActiveRotation,
  type AppRecord,
  type AppState,
  type AuditEvent,
  type Handoff,
  type HubSpotCheck,
  noticeId,
  type PendingNotice,
  type RotationEnding,
  type RotationRecord,
  type RotationStatus,
  type StepFailure,
  type TokenStatus,
  type TokenVersionRecord,
} from './model.ts';
import { type NotificationLedger, notificationLedger } from './notificationLedger.ts';

export interface RegistryOptions {
  readonly documentClient: DynamoDBDocumentClient;
  readonly tableName: string;
}

/** A stuck ROTATING app becomes due for repair this long after its rotation started. */
const ROTATING_REPAIR_AFTER_MS = 60 * 60 * 1000;
/** When the sweep first looks at a lock: its execution should have started by then. */
const LOST_LOCK_CHECK_MS = 2 * 60 * 1000;

function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error instanceof Error && error.name === 'ConditionalCheckFailedException')
  );
}

function addSeconds(iso: string, seconds: number): string {
  return new Date(Date.parse(iso) + seconds * 1000).toISOString();
}

/** An email still in the outbox this long after it was queued is the sweep's to deliver. */
export const OUTBOX_SWEEP_AFTER_MS = 15 * 60 * 1000;

/** The 24-hour notice goes out only when the grace period is longer than this. */
export const NOTICE_BEFORE_EXPIRY_SECONDS = 24 * 3600;

/** When a grace period's 24-hour notice is due, if it has one. */
export function noticeAtOf(rotation: Pick<ActiveRotation, 'expiresAt' | 'graceSeconds'>): string | undefined {
  if (!rotation.expiresAt || rotation.graceSeconds <= NOTICE_BEFORE_EXPIRY_SECONDS) return undefined;
  return new Date(Date.parse(rotation.expiresAt) - NOTICE_BEFORE_EXPIRY_SECONDS * 1000).toISOString();
}

/**
 * When the daily sweep should next look at an app (the `dueAt` of the `due` index): the earliest of a
 * claimed ending to finish, a grace period's notice and expiry, a stuck rotation, an email left in the
 * outbox, and the token's age (a reminder repeats at most every `reminderRepeatSeconds`).
 */
export function dueAtOf(
  app: Pick<
    AppRecord,
    | 'state'
    | 'tokenIssuedAt'
    | 'intervalSeconds'
    | 'activeRotation'
    | 'hubspot'
    | 'outbox'
    | 'policy'
    | 'lastReminderAt'
    | 'reminderRepeatSeconds'
  >,
): string {
  const rotation = app.activeRotation;
  const times: number[] = [];
  if (rotation?.endingAt) times.push(Date.parse(rotation.endingAt));
  if (app.state === 'GRACE' && rotation?.expiresAt) {
    // Every sweep looks at a grace period: its execution may be gone (the sweep then starts another).
    times.push(Date.parse(rotation.committedAt ?? rotation.startedAt));
    times.push(Date.parse(rotation.expiresAt));
    const noticeAt = noticeAtOf(rotation);
    if (noticeAt && !rotation.noticedAt) times.push(Date.parse(noticeAt));
  } else if (app.state === 'ROTATING' && rotation) {
    // Soon after the lock the sweep checks that its execution started; an hour on, that it is not stuck.
    times.push(Date.parse(rotation.startedAt) + Math.min(LOST_LOCK_CHECK_MS, stuckAfterMs(app)));
  } else {
    let due = Date.parse(addSeconds(app.tokenIssuedAt, app.intervalSeconds));
    if (app.policy === 'remind' && app.lastReminderAt) {
      due = Math.max(due, Date.parse(addSeconds(app.lastReminderAt, app.reminderRepeatSeconds)));
    }
    times.push(due);
  }
  for (const notice of Object.values(app.outbox ?? {})) {
    times.push(Date.parse(notice.at) + OUTBOX_SWEEP_AFTER_MS);
  }
  return new Date(Math.min(...times)).toISOString();
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

/** A rotation's history record keeps what it was, not the bookkeeping of its claims. */
function historyOf(rotation: ActiveRotation): Omit<ActiveRotation, 'ending' | 'handoffTaskToken'> {
  const {
    ending: _ending,
    handoffTaskToken: _taskToken,
    endingEvent: _event,
    endingAt: _at,
    endingCheck: _check,
    ...history
  } = rotation;
  return history;
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
  /** The ledger of emails on the same table (see notificationLedger.ts). */
  public readonly notifications: NotificationLedger;

  public constructor(options: RegistryOptions) {
    this.#client = options.documentClient;
    this.#tableName = options.tableName;
    this.notifications = notificationLedger(options);
  }

  /** Registers a new app; refuses an app id that is taken. */
  public async createApp(app: AppRecord): Promise<void> {
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: {
            ...keys.app(app.appId),
            outbox: {},
            ...app,
            dueShard: DUE_SHARD,
            dueAt: dueAtOf(app),
          },
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
  public async lockForRotation(
    appId: string,
    rotation: ActiveRotation,
    now: string,
    notice?: PendingNotice,
  ): Promise<AppRecord> {
    const app = await this.getApp(appId);
    const outbox = notice ? { ...app.outbox, [noticeId(notice)]: notice } : (app.outbox ?? {});
    const next: AppRecord = { ...app, state: 'ROTATING', activeRotation: rotation, outbox, updatedAt: now };
    const queue = this.#queueNotice(app, notice);
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: keys.app(appId),
          UpdateExpression: `SET #state = :rotating, activeRotation = :rotation, updatedAt = :now, dueAt = :due${queue.set}`,
          ConditionExpression: '#state = :active AND attribute_not_exists(activeRotation)',
          ExpressionAttributeNames: { '#state': 'state', ...queue.names },
          ExpressionAttributeValues: {
            ':rotating': 'ROTATING',
            ':active': 'ACTIVE',
            ':rotation': rotation,
            ':now': now,
            ':due': dueAtOf(next),
            ...queue.values,
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
   * Commits a rotation to its new token, with one conditional write, before AWSCURRENT moves to it: the
   * app must be ROTATING with this rotation and nobody may have claimed its end (a rollback). Returns the
   * app as it now is (committed again by a retry: the first commit time stays), or `undefined` when the
   * rotation cannot be committed any more.
   */
  public async commitPromotion(
    appId: string,
    rotationId: string,
    now: string,
  ): Promise<AppRecord | undefined> {
    return this.#updateRunningRotation(
      appId,
      rotationId,
      'SET activeRotation.committedAt = if_not_exists(activeRotation.committedAt, :now)',
      { ':now': now },
      { also: 'attribute_exists(activeRotation.newVersionId)' },
    );
  }

  /**
   * Makes a committed rotation's new token current: ROTATING → GRACE (expire-later, with `expiresAt`) or
   * → ACTIVE (expire-now), queuing ROTATION_INITIATED or TOKEN_INVALIDATED in the same write. The history
   * record is written first, so that a crash in between leaves nothing for `rotor history` to get wrong
   * once the next caller finishes the promotion. Returns the app as it is; a second call changes nothing.
   */
  public async promoteNewToken(appId: string, rotationId: string, expiresAt?: string): Promise<AppRecord> {
    const app = await this.getApp(appId);
    const rotation = app.activeRotation;
    if (rotation?.rotationId !== rotationId || app.state !== 'ROTATING') {
      if (app.lastRotation?.rotationId === rotationId || rotation?.rotationId === rotationId) return app;
      throw conflictError(app);
    }
    if (!rotation.newVersionId || !rotation.committedAt) {
      throw new RotorError(`rotation ${rotationId} of app "${appId}" is not committed to a new token`);
    }
    const now = rotation.committedAt;
    const grace = rotation.mode === 'expire-later';
    const notice: PendingNotice = {
      event: grace ? 'ROTATION_INITIATED' : 'TOKEN_INVALIDATED',
      rotationId,
      at: now,
    };
    const promoted: ActiveRotation = {
      ...rotation,
      expiresAt: expiresAt ?? addSeconds(now, rotation.graceSeconds),
    };
    const next: AppRecord = {
      ...app,
      state: grace ? 'GRACE' : 'ACTIVE',
      activeRotation: grace ? promoted : undefined,
      currentVersionId: rotation.newVersionId,
      tokenIssuedAt: now,
      lastRotation: { rotationId, outcome: grace ? 'in-grace' : 'completed', at: now },
      outbox: { ...app.outbox, [noticeId(notice)]: notice },
      updatedAt: now,
      // A HubSpot token's scopes come with it; the next rotation compares against these.
      ...(app.hubspot && rotation.handoff
        ? { hubspot: { ...app.hubspot, scopes: rotation.handoff.scopes } }
        : {}),
    };
    await this.putRotation({
      ...historyOf(grace ? promoted : rotation),
      appId,
      status: grace ? 'grace' : 'completed',
      ...(grace ? {} : { finishedAt: now, endedBy: rotation.startedBy }),
    });
    try {
      await this.#replaceApp(
        next,
        '#state = :rotating AND activeRotation.rotationId = :rotation AND attribute_exists(activeRotation.committedAt)',
        { ':rotating': 'ROTATING', ':rotation': rotationId },
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return this.promoteNewToken(appId, rotationId, expiresAt);
    }
    return next;
  }

  async #recordRotationStart(appId: string, rotation: ActiveRotation): Promise<void> {
    const record: RotationRecord = { ...rotation, appId, status: 'rotating' };
    await this.#putIfAbsent(keys.rotation(appId, rotation.rotationId), { ...record });
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

  /**
   * Queues the handoff reminder of day `day` of a running HubSpot rotation and counts it, once per day:
   * a retried task finds that day's reminder queued. Returns the app as it now is, or `undefined` when the
   * rotation is no longer running.
   */
  public async queueHandoffReminder(
    appId: string,
    rotationId: string,
    day: number,
    at: string,
  ): Promise<AppRecord | undefined> {
    const notice: PendingNotice = {
      event: 'HANDOFF_REMINDER',
      rotationId,
      occasion: `${rotationId}#reminder-${day}`,
      at,
    };
    const app = await this.getApp(appId);
    const queue = this.#queueNotice(app, notice);
    const updated = await this.#updateRunningRotation(
      appId,
      rotationId,
      `SET activeRotation.handoffReminders = :day, dueAt = dueAt${queue.set}`,
      { ':day': day, ...queue.values },
      {
        also: '(attribute_not_exists(activeRotation.handoffReminders) OR activeRotation.handoffReminders < :day)',
        names: queue.names,
      },
    );
    if (updated) return updated;
    const now = await this.getApp(appId);
    return now.state === 'ROTATING' && now.activeRotation?.rotationId === rotationId ? now : undefined;
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
    options: { also?: string; evenWhileEnding?: boolean; names?: Record<string, string> } = {},
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
          ExpressionAttributeNames: { '#state': 'state', ...options.names },
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
   * `from` for this rotation, no other kind of ending may be claimed, and a rollback may not claim a
   * committed rotation. Claiming again for the same kind of ending succeeds and keeps the first
   * claimer, its time and its email (so an interrupted action is finished by whoever comes next, as
   * its first caller meant it). The claim makes the app due for the sweep at once. Returns the app as
   * it now is, or `undefined` when the rotation is not there to end this way.
   */
  public async claimEnding(
    appId: string,
    rotationId: string,
    from: AppState,
    ending: RotationEnding,
    claim: { by: string; at: string; event: NotificationEvent; check?: HubSpotCheck; request?: string },
  ): Promise<AppRecord | undefined> {
    const conditions = [
      '#state = :from',
      'activeRotation.rotationId = :rotation',
      '(attribute_not_exists(activeRotation.ending) OR activeRotation.ending = :ending)',
    ];
    if (ending === 'rollback') conditions.push('attribute_not_exists(activeRotation.committedAt)');
    const sets = [
      'activeRotation.ending = :ending',
      'activeRotation.endedBy = if_not_exists(activeRotation.endedBy, :by)',
      'activeRotation.endingAt = if_not_exists(activeRotation.endingAt, :at)',
      'activeRotation.endingEvent = if_not_exists(activeRotation.endingEvent, :event)',
      'dueAt = :at',
    ];
    const values: Record<string, unknown> = {
      ':from': from,
      ':rotation': rotationId,
      ':ending': ending,
      ':by': claim.by,
      ':at': claim.at,
      ':event': claim.event,
    };
    if (claim.check) {
      sets.push('activeRotation.endingCheck = if_not_exists(activeRotation.endingCheck, :check)');
      values[':check'] = claim.check;
    }
    if (claim.request) {
      sets.push('activeRotation.endingRequest = if_not_exists(activeRotation.endingRequest, :request)');
      values[':request'] = claim.request;
    }
    try {
      const { Attributes } = await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: keys.app(appId),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: values,
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
   * Completes a claimed ending: the rotation's history record gets its final status first, then the
   * app becomes `next` (ACTIVE, without the rotation) with the ending's email queued, in one write that
   * checks the claim is still there. Returns false, changing nothing more, when someone else completed it.
   */
  public async completeEnding(
    claimed: AppRecord,
    next: AppRecord,
    record: {
      status: RotationStatus;
      failedStep?: string;
      failure?: StepFailure;
    },
  ): Promise<boolean> {
    const rotation = claimed.activeRotation;
    if (!rotation?.ending || !rotation.endingAt || !rotation.endingEvent) {
      throw new RotorError(`app "${claimed.appId}" has no claimed ending to complete`);
    }
    const finishedAt = rotation.endingAt;
    await this.putRotation({
      ...historyOf(rotation),
      appId: claimed.appId,
      ...record,
      finishedAt,
      endedBy: rotation.endedBy ?? 'rotor-workflow',
      ...(rotation.endingCheck ? { hubspotCheck: rotation.endingCheck } : {}),
    });
    const notice: PendingNotice = {
      event: rotation.endingEvent,
      rotationId: rotation.rotationId,
      at: finishedAt,
    };
    try {
      await this.#replaceApp(
        { ...next, outbox: { ...claimed.outbox, [noticeId(notice)]: notice } },
        '#state = :from AND activeRotation.rotationId = :rotation AND activeRotation.ending = :ending',
        { ':from': claimed.state, ':rotation': rotation.rotationId, ':ending': rotation.ending },
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return false;
    }
    return true;
  }

  /**
   * Queues the 24-hour notice of a grace period, once: the app must be in GRACE with this rotation, no
   * ending claimed, and the notice not queued before. Returns whether this call queued it.
   */
  public async queueExpiryNotice(appId: string, rotationId: string, at: string): Promise<boolean> {
    const notice: PendingNotice = { event: 'TOKEN_EXPIRES_IN_24H', rotationId, at };
    const app = await this.getApp(appId);
    const queue = this.#queueNotice(app, notice);
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: keys.app(appId),
          UpdateExpression: `SET activeRotation.noticedAt = :at, dueAt = :due${queue.set}`,
          ConditionExpression:
            '#state = :grace AND activeRotation.rotationId = :rotation AND ' +
            'attribute_not_exists(activeRotation.ending) AND attribute_not_exists(activeRotation.noticedAt)',
          ExpressionAttributeNames: { '#state': 'state', ...queue.names },
          ExpressionAttributeValues: {
            ':grace': 'GRACE',
            ':rotation': rotationId,
            ':at': at,
            ':due': app.activeRotation?.expiresAt ?? at,
            ...queue.values,
          },
        }),
      );
      return true;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return false;
    }
  }

  /**
   * Queues a ROTATION_REMINDER and notes when, which moves the app's next due date, in one write: only
   * while the app is ACTIVE and no reminder went out since `notBefore`. Returns whether this call queued it.
   */
  public async queueReminder(app: AppRecord, at: string, notBefore: string): Promise<boolean> {
    const notice: PendingNotice = { event: 'ROTATION_REMINDER', occasion: `reminder-${at.slice(0, 10)}`, at };
    const next: AppRecord = { ...app, lastReminderAt: at, updatedAt: at };
    const queue = this.#queueNotice(app, notice);
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: keys.app(app.appId),
          UpdateExpression: `SET lastReminderAt = :at, dueAt = :due${queue.set}`,
          ConditionExpression:
            '#state = :active AND (attribute_not_exists(lastReminderAt) OR lastReminderAt <= :notBefore)',
          ExpressionAttributeNames: { '#state': 'state', ...queue.names },
          ExpressionAttributeValues: {
            ':active': 'ACTIVE',
            ':at': at,
            ':notBefore': notBefore,
            ':due': dueAtOf(next),
            ...queue.values,
          },
        }),
      );
      return true;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return false;
    }
  }

  /** Takes a delivered notice out of the app's outbox (nothing happens if it is gone already). */
  public async ackNotice(appId: string, id: string): Promise<void> {
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: keys.app(appId),
          UpdateExpression: 'REMOVE outbox.#notice',
          ConditionExpression: 'attribute_exists(outbox.#notice)',
          ExpressionAttributeNames: { '#notice': id },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  /**
   * Moves the app's `dueAt` to what its item now says, so an app whose work is done is not visited
   * again before it is due (a delivered outbox leaves `dueAt` early). Changes nothing if the item moved on.
   */
  public async refreshDueAt(app: AppRecord): Promise<void> {
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: keys.app(app.appId),
          UpdateExpression: 'SET dueAt = :due',
          ConditionExpression: 'updatedAt = :updated',
          ExpressionAttributeValues: { ':due': dueAtOf(app), ':updated': app.updatedAt },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  /** Records the execution that now runs a rotation (a new one, started because the first was gone). */
  public async attachExecution(appId: string, rotationId: string, executionArn: string): Promise<void> {
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: keys.app(appId),
          UpdateExpression: 'SET activeRotation.executionArn = :arn',
          ConditionExpression: 'activeRotation.rotationId = :rotation',
          ExpressionAttributeValues: { ':arn': executionArn, ':rotation': rotationId },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
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

  /**
   * The part of an UpdateExpression that queues `notice` in the app's outbox (`, outbox.#notice = :notice`),
   * or creates the outbox of an app item written before outboxes existed.
   */
  #queueNotice(
    app: Pick<AppRecord, 'outbox'>,
    notice: PendingNotice | undefined,
  ): { set: string; names: Record<string, string>; values: Record<string, unknown> } {
    if (!app.outbox) {
      const outbox = notice ? { [noticeId(notice)]: notice } : {};
      return { set: ', outbox = :outbox', names: {}, values: { ':outbox': outbox } };
    }
    if (!notice) return { set: '', names: {}, values: {} };
    return {
      set: ', outbox.#notice = :notice',
      names: { '#notice': noticeId(notice) },
      values: { ':notice': notice },
    };
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
