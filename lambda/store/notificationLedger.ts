import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { keys } from '../contract/table.ts';

/**
 * How long a `sending` claim holds before the next attempt may take it over: longer than any Lambda
 * may run (15 minutes is Lambda's own ceiling; the Notify function's timeout is 30 seconds), so a
 * claim this old belongs to an attempt that is dead, never to one still waiting for SES.
 */
export const NOTIFICATION_LEASE_SECONDS = 15 * 60;

/** `sending`: claimed, SES not yet answered; `sent`: SES took it; `failed`: SES refused it for good. */
export type NotificationStatus = 'sending' | 'sent' | 'failed';

/** What one ledger item is about, kept with the claim so a refusal can be shown to the operator. */
export interface NotificationSubject {
  readonly event: string;
  readonly recipient: string;
  readonly rotationId?: string;
}

/**
 * The answer to a claim: either this attempt may send (`tookOver` when it took a dead attempt's
 * claim after the lease), or another attempt has the email, with what became of it.
 */
export type NotificationClaim =
  | { readonly claimed: true; readonly tookOver: boolean }
  | { readonly claimed: false; readonly status: NotificationStatus };

/** An email SES refused for good, as `rotor apps show` lists it. */
export interface UndeliveredNotification {
  readonly event: string;
  readonly recipient: string;
  /** When SES refused it. */
  readonly at: string;
  /** SES's error name and message. */
  readonly reason: string;
  readonly rotationId?: string;
}

export interface NotificationLedgerOptions {
  readonly documentClient: DynamoDBDocumentClient;
  readonly tableName: string;
}

/**
 * The ledger of emails, one item per occasion (a rotation or a reminder day), event and recipient:
 * claimed (`sending`, with the time), then settled (`sent` or `failed`), or released for a retry.
 */
export interface NotificationLedger {
  /**
   * Claims the right to send one email. It is granted when no one claimed it before, or when the
   * claim is still `sending` after {@link NOTIFICATION_LEASE_SECONDS}: its attempt died between the
   * claim and SES's answer. One conditional write checks the old claim's time, so of two attempts
   * that find the same dead claim only one wins.
   */
  claim(appId: string, key: string, subject: NotificationSubject, now: string): Promise<NotificationClaim>;
  /** Records what became of a claimed email (`failed` with SES's reason). */
  settle(appId: string, key: string, status: 'sent' | 'failed', now: string, reason?: string): Promise<void>;
  /**
   * Gives a claim back after a failure worth retrying, so the retry can send. Only the claim taken
   * at `claimedAt` is removed: a claim another attempt took over meanwhile stays.
   */
  release(appId: string, key: string, claimedAt: string): Promise<void>;
  /** The app's emails SES refused for good, newest first. */
  undelivered(appId: string): Promise<UndeliveredNotification[]>;
}

function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

const NOTIFY_PREFIX = keys.notification('', '').sk;

function leaseStartedBefore(now: string): string {
  return new Date(Date.parse(now) - NOTIFICATION_LEASE_SECONDS * 1000).toISOString();
}

/**
 * The notification ledger on the registry table.
 *
 * @example
 * ```ts
 * const ledger = notificationLedger({ documentClient, tableName: 'rotor' });
 * const claim = await ledger.claim('billing-api', key, { event, recipient }, now);
 * ```
 */
export function notificationLedger(options: NotificationLedgerOptions): NotificationLedger {
  const { documentClient: client, tableName } = options;

  async function statusOf(appId: string, key: string): Promise<NotificationStatus> {
    const { Item } = await client.send(
      new GetCommand({ TableName: tableName, Key: keys.notification(appId, key), ConsistentRead: true }),
    );
    // Released between our write and this read: its attempt is retrying it, so it is not settled.
    return (Item?.status as NotificationStatus | undefined) ?? 'sending';
  }

  return {
    async claim(appId, key, subject, now) {
      try {
        const { Attributes } = await client.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              ...keys.notification(appId, key),
              status: 'sending',
              at: now,
              event: subject.event,
              recipient: subject.recipient,
              ...(subject.rotationId ? { rotationId: subject.rotationId } : {}),
            },
            ConditionExpression: 'attribute_not_exists(pk) OR (#status = :sending AND #at <= :leaseStart)',
            ExpressionAttributeNames: { '#status': 'status', '#at': 'at' },
            ExpressionAttributeValues: { ':sending': 'sending', ':leaseStart': leaseStartedBefore(now) },
            ReturnValues: 'ALL_OLD',
          }),
        );
        return { claimed: true, tookOver: Attributes !== undefined };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        return { claimed: false, status: await statusOf(appId, key) };
      }
    },

    async settle(appId, key, status, now, reason) {
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: keys.notification(appId, key),
          UpdateExpression: 'SET #status = :status, detail = :detail, settledAt = :now',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':status': status, ':detail': reason ?? null, ':now': now },
        }),
      );
    },

    async release(appId, key, claimedAt) {
      try {
        await client.send(
          new DeleteCommand({
            TableName: tableName,
            Key: keys.notification(appId, key),
            ConditionExpression: '#status = :sending AND #at = :claimedAt',
            ExpressionAttributeNames: { '#status': 'status', '#at': 'at' },
            ExpressionAttributeValues: { ':sending': 'sending', ':claimedAt': claimedAt },
          }),
        );
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    },

    async undelivered(appId) {
      const found: UndeliveredNotification[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await client.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            FilterExpression: '#status = :failed',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':pk': keys.app(appId).pk,
              ':prefix': NOTIFY_PREFIX,
              ':failed': 'failed',
            },
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) found.push(undeliveredOf(item));
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      return found.sort((a, b) => b.at.localeCompare(a.at));
    },
  };
}

function undeliveredOf(item: Record<string, unknown>): UndeliveredNotification {
  // Items written before the ledger kept the subject: the key holds `<occasion>#<event>#<recipient>`.
  const parts = String(item.sk).split('#');
  return {
    event: String(item.event ?? parts.at(-2)),
    recipient: String(item.recipient ?? parts.at(-1)),
    at: String(item.settledAt ?? item.at),
    reason: String(item.detail ?? 'refused by SES'),
    ...(item.rotationId ? { rotationId: String(item.rotationId) } : {}),
  };
}
