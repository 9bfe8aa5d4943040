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
import { DUE_INDEX, DUE_SHARD, keys, TOKEN_AGE_INDEX } from '../contract/table.ts';
import { MAX_WEBHOOKS_PER_APP } from '../contract/webhooks.ts';
import { ConsoleStore } from './ConsoleStore.ts';
import { conflictError } from './conflictError.ts';
import { dueAtOf } from './dueAt.ts';
import { isConditionFailure, stripKeys, type TableOptions } from './items.ts';
import {
  type AppRecord,
  type AppState,
  type DueApp,
  type DueSoonReminder,
  noticeId,
  type PendingNotice,
  type WebhookRef,
} from './model.ts';

/** The settings of an app that `rotor apps update` changes; each one left out stays as it is. */
export type AppSettingsChange = Partial<Pick<AppRecord, 'remindBeforeSeconds' | 'noticeBeforeSeconds'>>;

/** What the `tokenAge` index holds of one app. */
export interface TokenAge {
  readonly appId: string;
  readonly tokenIssuedAt: string;
  readonly intervalSeconds: number;
  readonly state: AppState;
}

/**
 * An app's own item: registering, reading, listing and removing it, its place in the `due` index, and
 * the emails queued in its outbox. {@link AppStore} adds the rotation's transitions on the same item.
 */
export class AppItems {
  protected readonly client: DynamoDBDocumentClient;
  protected readonly tableName: string;
  /** Which apps each admin address administers, for the console's sign-in and app list. */
  readonly #admins: ConsoleStore;

  public constructor(table: TableOptions) {
    this.client = table.documentClient;
    this.tableName = table.tableName;
    this.#admins = new ConsoleStore(table);
  }

  /**
   * Registers a new app; refuses an app id that is taken. Its admins' addresses are recorded for the
   * console first: a crash in between leaves an entry for no app, which the console ignores.
   */
  public async createApp(app: AppRecord): Promise<void> {
    await this.#admins.addAdmins(
      app.appId,
      app.admins.map((admin) => admin.email),
    );
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
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
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.app(appId), ConsistentRead: true }),
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
    for await (const item of this.shardItems(DUE_INDEX)) {
      appKeys.push({ pk: String(item.pk), sk: String(item.sk) });
    }
    const apps: AppRecord[] = [];
    for (const item of await this.batchGetItems(appKeys, { consistent: true })) {
      apps.push(stripKeys<AppRecord>(item) as AppRecord);
    }
    return apps.sort((a, b) => a.appId.localeCompare(b.appId));
  }

  /**
   * The items of these keys, from BatchGetItem (100 keys a request, `parallel` requests at a time, the
   * keys DynamoDB left unprocessed again with backoff), in no particular order; a missing item is left out.
   */
  protected async batchGetItems(
    keyList: readonly Record<string, unknown>[],
    options: { consistent?: boolean; projection?: readonly string[]; parallel?: number } = {},
  ): Promise<Record<string, unknown>[]> {
    const found: Record<string, unknown>[] = [];
    const names = options.projection
      ? Object.fromEntries(options.projection.map((name, i) => [`#p${i}`, name]))
      : undefined;
    const getChunk = async (chunk: readonly Record<string, unknown>[]) => {
      let pending: Record<string, unknown>[] = [...chunk];
      for (let attempt = 0; pending.length > 0; attempt += 1) {
        if (attempt > 0)
          await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
        const { Responses, UnprocessedKeys } = await this.client.send(
          new BatchGetCommand({
            RequestItems: {
              [this.tableName]: {
                Keys: pending,
                ConsistentRead: options.consistent ?? false,
                ...(names
                  ? { ProjectionExpression: Object.keys(names).join(', '), ExpressionAttributeNames: names }
                  : {}),
              },
            },
          }),
        );
        found.push(...(Responses?.[this.tableName] ?? []));
        pending = UnprocessedKeys?.[this.tableName]?.Keys ?? [];
        if (attempt > 8 && pending.length > 0) {
          throw new RotorError("DynamoDB kept the registry's apps unprocessed; try again in a moment");
        }
      }
    };
    const chunks: Record<string, unknown>[][] = [];
    for (let i = 0; i < keyList.length; i += 100) chunks.push(keyList.slice(i, i + 100));
    const parallel = Math.max(1, options.parallel ?? 1);
    for (let i = 0; i < chunks.length; i += parallel) {
      await Promise.all(chunks.slice(i, i + parallel).map(getChunk));
    }
    return found;
  }

  /**
   * Removes an app from the registry with one conditional delete: only while it is ACTIVE with no
   * rotation, else a {@link RotationConflictError} that names the rotation. Its rotation history, token
   * hashes and audit events stay. Returns the app as it was.
   */
  public async removeApp(appId: string): Promise<AppRecord> {
    const app = await this.getApp(appId);
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
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
    await this.#admins.removeAdmins(
      appId,
      app.admins.map((admin) => admin.email),
    );
    return app;
  }

  /**
   * Adds a webhook to a registered app, with one conditional write: the app must exist and have fewer
   * than {@link MAX_WEBHOOKS_PER_APP} webhooks. Returns false when it has that many already.
   */
  public async addWebhook(appId: string, webhook: WebhookRef): Promise<boolean> {
    const app = await this.getApp(appId);
    const first = !app.webhooks;
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.app(appId),
          UpdateExpression: first ? 'SET webhooks = :webhooks' : 'SET webhooks.#id = :webhook',
          ConditionExpression: first
            ? 'attribute_exists(pk) AND attribute_not_exists(webhooks)'
            : 'attribute_exists(pk) AND size(webhooks) < :max',
          ...(first ? {} : { ExpressionAttributeNames: { '#id': webhook.webhookId } }),
          ExpressionAttributeValues: first
            ? { ':webhooks': { [webhook.webhookId]: webhook } }
            : { ':webhook': webhook, ':max': MAX_WEBHOOKS_PER_APP },
        }),
      );
      return true;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // The app went away, or another write made the map first or filled it: judge again from the item.
      const now = await this.getApp(appId);
      if (now.webhooks && Object.keys(now.webhooks).length >= MAX_WEBHOOKS_PER_APP) return false;
      return this.addWebhook(appId, webhook);
    }
  }

  /** Removes one webhook of an app; returns it, or `undefined` when the app has no such webhook. */
  public async removeWebhook(appId: string, webhookId: string): Promise<WebhookRef | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.app(appId),
          UpdateExpression: 'REMOVE webhooks.#id',
          ConditionExpression: 'attribute_exists(webhooks.#id)',
          ExpressionAttributeNames: { '#id': webhookId },
          ReturnValues: 'UPDATED_OLD',
        }),
      );
      return (Attributes?.webhooks as Record<string, WebhookRef> | undefined)?.[webhookId];
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return undefined;
    }
  }

  /**
   * Changes an app's own settings (the before-due reminders, the pre-expiry notice time) and moves its place
   * in the `due` index with them, in one conditional write on the item as it was read: if any other write
   * came in between (a new state, an email queued), it reads and tries again, so the due date it writes is
   * never computed from a stale item. A rotation already running keeps the notice time it started with.
   * Returns the app as it now is.
   */
  public async updateSettings(appId: string, change: AppSettingsChange, now: string): Promise<AppRecord> {
    const names = Object.keys(change) as (keyof AppSettingsChange)[];
    if (names.length === 0) throw new RotorError(`no setting of app "${appId}" to change`);
    for (let attempt = 0; ; attempt += 1) {
      const { Item } = await this.client.send(
        new GetCommand({ TableName: this.tableName, Key: keys.app(appId), ConsistentRead: true }),
      );
      const app = stripKeys<AppRecord>(Item);
      if (!app) throw new AppNotFoundError(`no app "${appId}" is registered with Rotor`);
      const next: AppRecord = { ...app, ...change, updatedAt: now };
      try {
        await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: keys.app(appId),
            UpdateExpression: `SET ${names.map((name) => `#${name} = :${name}`).join(', ')}, updatedAt = :now, dueAt = :due`,
            ConditionExpression: 'updatedAt = :was AND dueAt = :wasDue',
            ExpressionAttributeNames: Object.fromEntries(names.map((name) => [`#${name}`, name])),
            ExpressionAttributeValues: {
              ...Object.fromEntries(names.map((name) => [`:${name}`, change[name]])),
              ':now': now,
              ':due': dueAtOf(next),
              ':was': app.updatedAt,
              ':wasDue': Item?.dueAt,
            },
          }),
        );
        return next;
      } catch (error) {
        if (!isConditionFailure(error) || attempt >= 4) throw error;
      }
    }
  }

  /**
   * Queues the 24-hour notice of a grace period, once: the app must be in GRACE with this rotation, no
   * ending claimed, and the notice not queued before. Returns whether this call queued it.
   */
  public async queueExpiryNotice(appId: string, rotationId: string, at: string): Promise<boolean> {
    const notice: PendingNotice = { event: 'TOKEN_EXPIRES_IN_24H', rotationId, at };
    const app = await this.getApp(appId);
    const queue = this.queueNotice(app, notice);
    // Due as the item will be: the grace period (every sweep looks), the notice, anything else it owes.
    const next: AppRecord = {
      ...app,
      ...(app.activeRotation ? { activeRotation: { ...app.activeRotation, noticedAt: at } } : {}),
      outbox: queue.outbox,
    };
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
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

  /**
   * Queues a ROTATION_REMINDER and notes when, which moves the app's next due date, in one write: only
   * while the app is ACTIVE and no reminder went out since `notBefore`. Returns whether this call queued it.
   */
  public async queueReminder(app: AppRecord, at: string, notBefore: string): Promise<boolean> {
    const notice: PendingNotice = { event: 'ROTATION_REMINDER', occasion: `reminder-${at.slice(0, 10)}`, at };
    const queue = this.queueNotice(app, notice);
    // Due as the item will be, the reminder in its outbox too: a sweep that died before sending it
    // would otherwise leave it there until the next reminder period.
    const next: AppRecord = { ...app, lastReminderAt: at, updatedAt: at, outbox: queue.outbox };
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
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

  /**
   * Queues a before-due reminder (ROTATION_DUE_SOON) and notes it on the app, in one write: only while the
   * app is ACTIVE with the token the reminder is about, and only if this due date has had no reminder
   * this short or shorter. So each reminder goes out once per due date, a re-run of the sweep queues
   * nothing, and a new token (a new due date) gets fresh ones. Returns whether this call queued it.
   */
  public async queueDueSoonReminder(app: AppRecord, reminder: DueSoonReminder, at: string): Promise<boolean> {
    const notice: PendingNotice = {
      event: 'ROTATION_DUE_SOON',
      // The due date and the reminder's days: the ledger key of each email, once per due date and recipient.
      occasion: `due-${reminder.dueAt}-${Math.round(reminder.beforeSeconds / 86_400)}d`,
      dueSoon: reminder,
      at,
    };
    const queue = this.queueNotice(app, notice);
    const next: AppRecord = { ...app, dueSoonReminder: reminder, outbox: queue.outbox };
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.app(app.appId),
          UpdateExpression: `SET dueSoonReminder = :reminder, dueAt = :due${queue.set}`,
          ConditionExpression:
            '#state = :active AND tokenIssuedAt = :issued AND intervalSeconds = :interval AND ' +
            '(attribute_not_exists(dueSoonReminder) OR dueSoonReminder.dueAt <> :dueAt OR ' +
            'dueSoonReminder.beforeSeconds > :before)',
          ExpressionAttributeNames: { '#state': 'state', ...queue.names },
          ExpressionAttributeValues: {
            ':active': 'ACTIVE',
            ':issued': app.tokenIssuedAt,
            ':interval': app.intervalSeconds,
            ':reminder': reminder,
            ':dueAt': reminder.dueAt,
            ':before': reminder.beforeSeconds,
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
  public ackNotice(appId: string, id: string): Promise<void> {
    return this.removeEntry(appId, 'outbox', id);
  }

  /** Forgets an execution that was stopped (nothing happens if it is gone already). */
  public clearPendingStop(appId: string, rotationId: string): Promise<void> {
    return this.removeEntry(appId, 'pendingStops', rotationId);
  }

  /** Removes one entry of one of the app's maps, if it is still there. */
  private async removeEntry(appId: string, map: 'outbox' | 'pendingStops', key: string): Promise<void> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.app(appId),
          UpdateExpression: `REMOVE ${map}.#key`,
          ConditionExpression: `attribute_exists(${map}.#key)`,
          ExpressionAttributeNames: { '#key': key },
          ReturnValues: 'ALL_NEW',
        }),
      );
      // With the entry gone the app may not need the sweep again until much later (a delivered
      // reminder: its next reminder), so its place in the `due` index moves now, not at the next visit.
      const app = Attributes ? (stripKeys<AppRecord>(Attributes) as AppRecord) : undefined;
      if (app && Attributes?.dueAt !== dueAtOf(app)) await this.refreshDueAt(app);
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
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
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

  /**
   * Records the execution that now runs a rotation (a new one, started because the first was gone).
   * Returns false, changing nothing, when the rotation is no longer the app's (it ended meanwhile).
   */
  public async attachExecution(appId: string, rotationId: string, executionArn: string): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.app(appId),
          UpdateExpression: 'SET activeRotation.executionArn = :arn',
          ConditionExpression: 'activeRotation.rotationId = :rotation',
          ExpressionAttributeValues: { ':arn': executionArn, ':rotation': rotationId },
        }),
      );
      return true;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return false;
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
  ): Promise<{
    appIds: string[];
    due: { appId: string; dueAt: string }[];
    nextKey?: Record<string, unknown>;
  }> {
    const { Items = [], LastEvaluatedKey } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: DUE_INDEX.indexName,
        KeyConditionExpression: '#shard = :shard AND #due <= :now',
        ExpressionAttributeNames: { '#shard': DUE_INDEX.partitionKey, '#due': DUE_INDEX.sortKey },
        ExpressionAttributeValues: { ':shard': DUE_SHARD, ':now': now },
        Limit: limit,
        ExclusiveStartKey: startKey,
      }),
    );
    const due = Items.map((item) => ({
      appId: String(item.pk).slice('APP#'.length),
      dueAt: String(item[DUE_INDEX.sortKey]),
    }));
    return { appIds: due.map((app) => app.appId), due, nextKey: LastEvaluatedKey };
  }

  /**
   * Every app due at or before `now` (the `due` index, page by page), with what the sweep's plan needs
   * of each: its state, and the most recipients one of its emails has (its admins and customer contacts,
   * from BatchGetItem of those attributes only, eventually consistent: SweepApp reads the app again).
   */
  public async dueApps(now: string): Promise<DueApp[]> {
    const due = new Map<string, string>();
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.findDueApps(now, 10_000, startKey);
      for (const app of page.due) due.set(keys.app(app.appId).pk, app.dueAt);
      startKey = page.nextKey;
    } while (startKey);
    const items = await this.batchGetItems(
      [...due.keys()].map((pk) => keys.app(pk.slice('APP#'.length))),
      { projection: ['pk', 'state', 'admins', 'customers'], parallel: 8 },
    );
    return items.map((item) => ({
      appId: String(item.pk).slice('APP#'.length),
      dueAt: due.get(String(item.pk)) ?? '',
      state: item.state as AppState,
      recipients:
        (Array.isArray(item.admins) ? item.admins.length : 0) +
        (Array.isArray(item.customers) ? item.customers.length : 0),
    }));
  }

  /**
   * Every app's current token issue time, interval and state, oldest token first, from the `tokenAge`
   * index (a Query of one small item per app, never a Scan, never the app items).
   */
  public async tokenAges(): Promise<TokenAge[]> {
    const ages: TokenAge[] = [];
    for await (const item of this.shardItems(TOKEN_AGE_INDEX)) {
      ages.push({
        appId: String(item.pk).slice('APP#'.length),
        tokenIssuedAt: String(item.tokenIssuedAt),
        intervalSeconds: Number(item.intervalSeconds),
        state: item.state as AppState,
      });
    }
    return ages;
  }

  /** Every item of one of the app items' sparse indexes (one shard), page by page, in its sort order. */
  protected async *shardItems(index: {
    readonly indexName: string;
    readonly partitionKey: string;
  }): AsyncGenerator<Record<string, unknown>> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: index.indexName,
          KeyConditionExpression: '#shard = :shard',
          ExpressionAttributeNames: { '#shard': index.partitionKey },
          ExpressionAttributeValues: { ':shard': DUE_SHARD },
          ExclusiveStartKey: startKey,
        }),
      );
      yield* page.Items ?? [];
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  /**
   * The part of an UpdateExpression that queues `notice` in the app's outbox (`, outbox.#notice = :notice`),
   * or creates the outbox of an app item written before outboxes existed.
   */
  /**
   * The update clause that queues `notice` in the app's outbox, and the outbox as it will be (a write
   * that also sets `dueAt` computes it from that, so the queued email keeps the app due).
   */
  protected queueNotice(
    app: Pick<AppRecord, 'outbox'>,
    notice: PendingNotice | readonly PendingNotice[] | undefined,
  ): {
    set: string;
    names: Record<string, string>;
    values: Record<string, unknown>;
    outbox: NonNullable<AppRecord['outbox']>;
  } {
    const notices: readonly PendingNotice[] =
      notice === undefined ? [] : Array.isArray(notice) ? notice : [notice as PendingNotice];
    const outbox = {
      ...app.outbox,
      ...Object.fromEntries(notices.map((queued) => [noticeId(queued), queued])),
    };
    if (!app.outbox) return { set: ', outbox = :outbox', names: {}, values: { ':outbox': outbox }, outbox };
    return {
      set: notices.map((_, index) => `, outbox.#notice${index} = :notice${index}`).join(''),
      names: Object.fromEntries(notices.map((queued, index) => [`#notice${index}`, noticeId(queued)])),
      values: Object.fromEntries(notices.map((queued, index) => [`:notice${index}`, queued])),
      outbox,
    };
  }

  protected async replaceApp(
    app: AppRecord,
    condition: string,
    values: Record<string, unknown>,
  ): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.app(app.appId), ...app, dueShard: DUE_SHARD, dueAt: dueAtOf(app) },
        ConditionExpression: condition,
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: values,
      }),
    );
  }

  /**
   * One conditional write on the running rotation `rotationId` (the app ROTATING with it, and unless
   * `evenWhileEnding`, no action claimed its end yet; plus the `also` condition). Returns the app as
   * it now is, or `undefined` when the condition does not hold.
   */
  protected async updateRunningRotation(
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
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
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
}
