import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';

/** Where the registry's items live: the document client and the one table. */
export interface TableOptions {
  readonly documentClient: DynamoDBDocumentClient;
  readonly tableName: string;
}

/** Whether a DynamoDB call failed because its condition did not hold. */
export function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error instanceof Error && error.name === 'ConditionalCheckFailedException')
  );
}

/** `iso` moved by `seconds`, as an ISO time. */
export function addSeconds(iso: string, seconds: number): string {
  return new Date(Date.parse(iso) + seconds * 1000).toISOString();
}

/** An item without its table keys and its place in the `due` index: the record it holds. */
export function stripKeys<T>(item: Record<string, unknown> | undefined): T | undefined {
  if (!item) return undefined;
  const { pk: _pk, sk: _sk, dueShard: _shard, dueAt: _due, ...rest } = item;
  return rest as T;
}

/** Puts an item unless one exists; returns the existing item when there was one. */
export async function putIfAbsent(
  table: TableOptions,
  key: { pk: string; sk: string },
  item: Record<string, unknown>,
): Promise<Record<string, unknown> | undefined> {
  try {
    await table.documentClient.send(
      new PutCommand({
        TableName: table.tableName,
        Item: { ...key, ...item },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return undefined;
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const { Item } = await table.documentClient.send(
      new GetCommand({ TableName: table.tableName, Key: key, ConsistentRead: true }),
    );
    return Item;
  }
}
