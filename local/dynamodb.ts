import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { CreateTableCommand, type DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { DUE_INDEX, TABLE_KEYS, TOKEN_AGE_INDEX } from '../lambda/contract/table.ts';
import { accessKeyIdOf, closeServer, httpDate, listen } from './awsJsonServer.ts';
import { AWS_JSON_FAULTS, localFaults } from './faults.ts';

export interface LocalDynamoDb {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Starts dynalite, the DynamoDB stand-in, on 127.0.0.1 (port 0 picks a free one). With `path`, the
 * data is kept in that folder across restarts; without it, in memory.
 */
export async function startLocalDynamoDb(
  options: { port?: number; path?: string } = {},
): Promise<LocalDynamoDb> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, path: options.path });
  frontDynalite(server);
  const port = await listen(server, options.port ?? 0);
  return { url: `http://127.0.0.1:${port}`, port, close: () => closeServer(server) };
}

/**
 * Puts two things in front of dynalite's own handling: the `Date` of each answer in this process's time
 * (see httpDate), and the planned DynamoDB faults (local/faults.ts, tests only).
 */
function frontDynalite(server: Server): void {
  const [dynaliteListener] = server.listeners('request') as ((...args: unknown[]) => void)[];
  if (!dynaliteListener) return;
  server.removeAllListeners('request');
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    response.setHeader('date', httpDate());
    const fault = localFaults.takeCallFault('dynamodb', accessKeyIdOf(request.headers.authorization));
    if (!fault) {
      dynaliteListener(request, response);
      return;
    }
    request.resume();
    const { type, status, message } = AWS_JSON_FAULTS.dynamodb[fault];
    const body = JSON.stringify({ __type: type, message });
    response.writeHead(status, {
      'content-type': 'application/x-amz-json-1.0',
      'content-length': Buffer.byteLength(body),
    });
    response.end(body);
  });
}

/**
 * Creates the registry table with the same keys and index as the stack's `RegistryTable`
 * (both read them from `lambda/contract/table.ts`). An existing table is left as it is.
 */
export async function createRegistryTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: TABLE_KEYS.partitionKey, AttributeType: 'S' },
          { AttributeName: TABLE_KEYS.sortKey, AttributeType: 'S' },
          { AttributeName: DUE_INDEX.partitionKey, AttributeType: 'S' },
          { AttributeName: DUE_INDEX.sortKey, AttributeType: 'S' },
          { AttributeName: TOKEN_AGE_INDEX.sortKey, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: DUE_INDEX.indexName,
            KeySchema: [
              { AttributeName: DUE_INDEX.partitionKey, KeyType: 'HASH' },
              { AttributeName: DUE_INDEX.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'KEYS_ONLY' },
          },
          {
            IndexName: TOKEN_AGE_INDEX.indexName,
            KeySchema: [
              { AttributeName: TOKEN_AGE_INDEX.partitionKey, KeyType: 'HASH' },
              { AttributeName: TOKEN_AGE_INDEX.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...TOKEN_AGE_INDEX.projected] },
          },
        ],
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
}
