import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../contract/table.ts';
import { addSeconds, putIfAbsent, stripKeys, type TableOptions } from './items.ts';
import type { AuditEvent } from './model.ts';

/** The audit log: one partition per UTC day, one item per event. */
export class AuditStore {
  readonly #table: TableOptions;

  public constructor(table: TableOptions) {
    this.#table = table;
  }

  /** Appends an audit event (idempotent per eventId). */
  public async appendAudit(event: AuditEvent): Promise<void> {
    await putIfAbsent(
      this.#table,
      { pk: keys.auditDay(event.at), sk: `${event.at}#${event.eventId}` },
      { ...event },
    );
  }

  /** The audit events of one UTC day, oldest first. */
  public async listAuditDay(day: string): Promise<AuditEvent[]> {
    const { Items = [] } = await this.#table.documentClient.send(
      new QueryCommand({
        TableName: this.#table.tableName,
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
        const page = await this.#table.documentClient.send(
          new QueryCommand({
            TableName: this.#table.tableName,
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
}
