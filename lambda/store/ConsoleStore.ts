import { createHash, randomBytes } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { LinkAction } from '../contract/console.ts';
import { keys, TTL_ATTRIBUTE } from '../contract/table.ts';
import { isConditionFailure, stripKeys, type TableOptions } from './items.ts';

/** A sign-in link, an email's button or a session: 256 random bits, of which the table keeps only the SHA-256. */
export function newConsoleSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** Whether a value from a cookie or a URL has the form of {@link newConsoleSecret}'s (no lookup for anything else). */
export function isConsoleSecret(value: string | undefined): value is string {
  return value !== undefined && /^[A-Za-z0-9_-]{43}$/.test(value);
}

function hashOf(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

function epochOf(iso: string): number {
  return Math.ceil(Date.parse(iso) / 1000);
}

export interface SessionRecord {
  readonly email: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  /** The session's CSRF token, which every form of the session carries. */
  readonly csrf: string;
}

export interface ActionLinkRecord {
  /** The admin the email went to: only they can use it. */
  readonly email: string;
  readonly appId: string;
  /** The rotation the button acts on; none for "Rotate now". */
  readonly rotationId?: string;
  readonly action: LinkAction;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly usedAt?: string;
}

/** Why a secret from a link was not taken. */
export type LinkRefusal = 'unknown' | 'used' | 'expired';

export type Taken<T> =
  | { readonly taken: true; readonly record: T }
  | { readonly taken: false; readonly why: LinkRefusal };

/**
 * What the console keeps: which apps each admin address administers, the sign-in links, the sessions,
 * the emails' buttons (each single use) and the counts of sign-in requests. Links and sessions are
 * stored by the SHA-256 of their secret, never the secret, and expire on their own (TTL).
 */
export class ConsoleStore {
  readonly #table: TableOptions;

  public constructor(table: TableOptions) {
    this.#table = table;
  }

  /** Records that these addresses administer the app (idempotent). */
  public async addAdmins(appId: string, emails: readonly string[]): Promise<void> {
    for (const email of emails) {
      await this.#table.documentClient.send(
        new PutCommand({ TableName: this.#table.tableName, Item: { ...keys.adminApp(email, appId), appId } }),
      );
    }
  }

  /** Forgets that these addresses administer the app (idempotent). */
  public async removeAdmins(appId: string, emails: readonly string[]): Promise<void> {
    for (const email of emails) {
      await this.#table.documentClient.send(
        new DeleteCommand({ TableName: this.#table.tableName, Key: keys.adminApp(email, appId) }),
      );
    }
  }

  /** The ids of the apps an address administers, as recorded (the caller checks each app's own list). */
  public async appIdsOf(email: string): Promise<string[]> {
    const appIds: string[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.#table.documentClient.send(
        new QueryCommand({
          TableName: this.#table.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': keys.adminApps(email) },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) appIds.push(String(item.appId));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return appIds.sort();
  }

  /** Stores a sign-in link for an address; returns its secret. */
  public async createSignInLink(email: string, expiresAt: string): Promise<string> {
    const secret = newConsoleSecret();
    await this.#put('SIGNIN', secret, { email, expiresAt });
    return secret;
  }

  /** A sign-in link as stored, used or not (its confirm page speaks its address's language). */
  public async findSignInLink(
    secret: string,
  ): Promise<{ email: string; expiresAt: string; usedAt?: string } | undefined> {
    return this.#get('SIGNIN', secret);
  }

  /** Uses a sign-in link once: the first caller within its time gets its address. */
  public async useSignInLink(secret: string, now: string): Promise<Taken<{ email: string }>> {
    return this.#use<{ email: string }>('SIGNIN', secret, now);
  }

  /** Starts a session; returns its secret (the cookie's value) and its record. */
  public async createSession(
    email: string,
    createdAt: string,
    expiresAt: string,
  ): Promise<{ secret: string; session: SessionRecord }> {
    const secret = newConsoleSecret();
    const session = { email, createdAt, expiresAt, csrf: newConsoleSecret() };
    await this.#put('SESSION', secret, { ...session });
    return { secret, session };
  }

  /** The session a cookie names, while it lasts. */
  public async findSession(secret: string, now: string): Promise<SessionRecord | undefined> {
    const session = await this.#get<SessionRecord>('SESSION', secret);
    return session && session.expiresAt > now ? session : undefined;
  }

  public async endSession(secret: string): Promise<void> {
    await this.#table.documentClient.send(
      new DeleteCommand({
        TableName: this.#table.tableName,
        Key: keys.consoleSecret('SESSION', hashOf(secret)),
      }),
    );
  }

  /** Stores an email's button; returns its secret (the last part of its URL). */
  public async createActionLink(link: Omit<ActionLinkRecord, 'usedAt'>): Promise<string> {
    const secret = newConsoleSecret();
    await this.#put('LINK', secret, { ...link });
    return secret;
  }

  /** An email's button as stored, used or not (the confirm page says which). */
  public async findActionLink(secret: string): Promise<ActionLinkRecord | undefined> {
    return this.#get<ActionLinkRecord>('LINK', secret);
  }

  /** Marks an email's button used, once its action was done: it never works again. */
  public async useActionLink(secret: string, now: string): Promise<Taken<ActionLinkRecord>> {
    return this.#use<ActionLinkRecord>('LINK', secret, now);
  }

  /**
   * Counts one sign-in request for an address or a client IP in the current window; returns the count
   * with this one. The key is stored hashed.
   */
  public async countSignInRequest(
    kind: 'address' | 'ip',
    value: string,
    now: string,
    windowSeconds: number,
  ): Promise<number> {
    const windowMs = windowSeconds * 1000;
    const start = Math.floor(Date.parse(now) / windowMs) * windowMs;
    const { Attributes } = await this.#table.documentClient.send(
      new UpdateCommand({
        TableName: this.#table.tableName,
        Key: keys.signInLimit(kind, hashOf(value.toLowerCase()), new Date(start).toISOString()),
        UpdateExpression: 'ADD #count :one SET #ttl = :ttl',
        ExpressionAttributeNames: { '#count': 'count', '#ttl': TTL_ATTRIBUTE },
        ExpressionAttributeValues: { ':one': 1, ':ttl': Math.ceil((start + 2 * windowMs) / 1000) },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(Attributes?.count ?? 1);
  }

  async #put(kind: 'SIGNIN' | 'SESSION' | 'LINK', secret: string, record: Record<string, unknown>) {
    await this.#table.documentClient.send(
      new PutCommand({
        TableName: this.#table.tableName,
        Item: {
          ...keys.consoleSecret(kind, hashOf(secret)),
          ...record,
          [TTL_ATTRIBUTE]: epochOf(String(record.expiresAt)),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async #get<T>(kind: 'SIGNIN' | 'SESSION' | 'LINK', secret: string): Promise<T | undefined> {
    const { Item } = await this.#table.documentClient.send(
      new GetCommand({
        TableName: this.#table.tableName,
        Key: keys.consoleSecret(kind, hashOf(secret)),
        ConsistentRead: true,
      }),
    );
    if (!Item) return undefined;
    const { [TTL_ATTRIBUTE]: _ttl, ...record } = stripKeys<Record<string, unknown>>(Item) ?? {};
    return record as T;
  }

  async #use<T>(kind: 'SIGNIN' | 'LINK', secret: string, now: string): Promise<Taken<T>> {
    try {
      const { Attributes } = await this.#table.documentClient.send(
        new UpdateCommand({
          TableName: this.#table.tableName,
          Key: keys.consoleSecret(kind, hashOf(secret)),
          UpdateExpression: 'SET usedAt = :now',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(usedAt) AND expiresAt > :now',
          ExpressionAttributeValues: { ':now': now },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const { [TTL_ATTRIBUTE]: _ttl, ...record } = stripKeys<Record<string, unknown>>(Attributes) ?? {};
      return { taken: true, record: record as T };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const found = await this.#get<{ usedAt?: string; expiresAt: string }>(kind, secret);
      return { taken: false, why: !found ? 'unknown' : found.usedAt ? 'used' : 'expired' };
    }
  }
}
