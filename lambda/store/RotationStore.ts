import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../contract/table.ts';
import { putIfAbsent, stripKeys, type TableOptions } from './items.ts';
import type { ActiveRotation, RotationRecord } from './model.ts';

/** The history of an app's rotations: one record per rotation, written as it starts and as it ends. */
export class RotationStore {
  readonly #table: TableOptions;

  public constructor(table: TableOptions) {
    this.#table = table;
  }

  /** Records the start of a rotation (status `rotating`), once: a record already there stays as it is. */
  public async recordRotationStart(appId: string, rotation: ActiveRotation): Promise<void> {
    const record: RotationRecord = { ...rotation, appId, status: 'rotating' };
    await putIfAbsent(this.#table, keys.rotation(appId, rotation.rotationId), { ...record });
  }

  /** Writes (or rewrites) the history record of a rotation. */
  public async putRotation(record: RotationRecord): Promise<void> {
    await this.#table.documentClient.send(
      new PutCommand({
        TableName: this.#table.tableName,
        Item: { ...keys.rotation(record.appId, record.rotationId), ...record },
      }),
    );
  }

  /** Reads one rotation's history record. */
  public async findRotation(appId: string, rotationId: string): Promise<RotationRecord | undefined> {
    const { Item } = await this.#table.documentClient.send(
      new GetCommand({
        TableName: this.#table.tableName,
        Key: keys.rotation(appId, rotationId),
        ConsistentRead: true,
      }),
    );
    return stripKeys<RotationRecord>(Item);
  }

  /** An app's rotations, newest first. */
  public async listRotations(appId: string, limit = 50): Promise<RotationRecord[]> {
    const { Items = [] } = await this.#table.documentClient.send(
      new QueryCommand({
        TableName: this.#table.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': keys.app(appId).pk, ':prefix': keys.rotationPrefix },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return Items.map((item) => stripKeys<RotationRecord>(item) as RotationRecord);
  }
}
