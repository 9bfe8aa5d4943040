import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { RotorError } from '../contract/errors.ts';
import { keys, TTL_ATTRIBUTE } from '../contract/table.ts';
import { isConditionFailure, putIfAbsent, stripKeys, type TableOptions } from './items.ts';
import type { TokenStatus, TokenVersionRecord } from './model.ts';

/**
 * Token versions: the hash of each token (never the token), its status and expiry, found by hash or by
 * Secrets Manager version id, and its hourly use counts.
 */
export class TokenStore {
  readonly #table: TableOptions;

  public constructor(table: TableOptions) {
    this.#table = table;
  }

  /**
   * Registers the hash of a new token version. Writing the same version again changes nothing;
   * a hash that is already registered for another version is refused.
   */
  public async registerTokenVersion(record: TokenVersionRecord): Promise<void> {
    await putIfAbsent(this.#table, keys.versionPointer(record.appId, record.versionId), {
      tokenHash: record.tokenHash,
    });
    const existing = await putIfAbsent(this.#table, keys.token(record.tokenHash), { ...record });
    if (existing && (existing.appId !== record.appId || existing.versionId !== record.versionId)) {
      throw new RotorError(
        `the token of version ${record.versionId} is already registered for another version; a token is never reused`,
      );
    }
  }

  /** Looks a token version up by the hash of its token (strongly consistent). */
  public async findTokenByHash(tokenHash: string): Promise<TokenVersionRecord | undefined> {
    const { Item } = await this.#table.documentClient.send(
      new GetCommand({ TableName: this.#table.tableName, Key: keys.token(tokenHash), ConsistentRead: true }),
    );
    return stripKeys<TokenVersionRecord>(Item);
  }

  /** Looks a token version up by its Secrets Manager version id. */
  public async findTokenVersion(appId: string, versionId: string): Promise<TokenVersionRecord | undefined> {
    const { Item } = await this.#table.documentClient.send(
      new GetCommand({
        TableName: this.#table.tableName,
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
    await this.#table.documentClient.send(
      new UpdateCommand({
        TableName: this.#table.tableName,
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

  /** {@link TokenStore.tokenUsage} for a version already read: one Query, no lookup. */
  public async tokenUsageByHash(
    tokenHash: string,
    since: string,
  ): Promise<{ uses: number; lastUsedAt?: string }> {
    const { Items = [] } = await this.#table.documentClient.send(
      new QueryCommand({
        TableName: this.#table.tableName,
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
      const { Attributes } = await this.#table.documentClient.send(
        new UpdateCommand({
          TableName: this.#table.tableName,
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
}
