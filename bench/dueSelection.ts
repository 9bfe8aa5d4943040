/**
 * Benchmark (d): for 100,000 registered apps of which 1% are due, the daily sweep's selection of
 * the due apps (`registry.apps.findDueApps`, a Query on the `due` index, paged as the find-due-apps
 * handler pages it) against the naive way, a full paginated Scan of the table with a filter. Both
 * run against dynalite, started here in-process on 127.0.0.1 with the table `createRegistryTable`
 * creates.
 */

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  ScanCommand,
  type ScanCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { Registry } from '../lambda/store/Registry.ts';
import { createRegistryTable, startLocalDynamoDb } from '../local/dynamodb.ts';
import { appItem, benchAppRecords } from './benchApps.ts';
import { median, ratio, round } from './harness.ts';

export interface DueSelectionOptions {
  /** @default 100_000 */
  readonly apps?: number;
  /** One app in `dueEvery` is due. @default 100 (1%) */
  readonly dueEvery?: number;
  /** Timed runs of each method (after one untimed warm-up each). @default 5 */
  readonly runs?: number;
  /** BatchWriteItem requests in flight while seeding. @default 16 */
  readonly writeConcurrency?: number;
}

/** The find-due-apps handler's page budget (`SWEEP_LIMIT` there). */
const SWEEP_LIMIT = 2000;
const BATCH_SIZE = 25;
const TABLE_NAME = 'rotor-bench-due';

/** The sweep's selection, paged exactly as `lambda/find-due-apps` pages it. */
async function selectWithQuery(
  registry: Registry,
  now: string,
): Promise<{ appIds: string[]; requests: number }> {
  const appIds: string[] = [];
  let startKey: Record<string, unknown> | undefined;
  let requests = 0;
  do {
    const page = await registry.apps.findDueApps(now, SWEEP_LIMIT - appIds.length, startKey);
    requests++;
    appIds.push(...page.appIds);
    startKey = page.nextKey;
  } while (startKey && appIds.length < SWEEP_LIMIT);
  return { appIds, requests };
}

/** The naive selection: read the whole table, 1 MB a page, and keep the app items that are due. */
async function selectWithScan(
  client: DynamoDBDocumentClient,
  now: string,
): Promise<{ appIds: string[]; requests: number }> {
  const appIds: string[] = [];
  let startKey: Record<string, unknown> | undefined;
  let requests = 0;
  do {
    const page: ScanCommandOutput = await client.send(
      new ScanCommand({
        TableName: TABLE_NAME,
        FilterExpression: '#sk = :app AND #due <= :now',
        ExpressionAttributeNames: { '#sk': 'sk', '#due': 'dueAt', '#pk': 'pk' },
        ExpressionAttributeValues: { ':app': 'APP', ':now': now },
        ProjectionExpression: '#pk',
        ExclusiveStartKey: startKey,
      }),
    );
    requests++;
    for (const item of page.Items ?? []) appIds.push(String(item.pk).slice('APP#'.length));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return { appIds, requests };
}

/** Writes the items 25 to a BatchWriteItem request, `concurrency` requests at a time, retrying what comes back unprocessed. */
async function seed(
  client: DynamoDBDocumentClient,
  items: readonly Record<string, unknown>[],
  concurrency: number,
): Promise<number> {
  let next = 0;
  let requests = 0;
  const worker = async () => {
    while (next < items.length) {
      const batch = items.slice(next, next + BATCH_SIZE);
      next += BATCH_SIZE;
      let writes = batch.map((Item) => ({ PutRequest: { Item } }));
      while (writes.length > 0) {
        const { UnprocessedItems } = await client.send(
          new BatchWriteCommand({ RequestItems: { [TABLE_NAME]: writes } }),
        );
        requests++;
        writes = (UnprocessedItems?.[TABLE_NAME] ?? []) as typeof writes;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return requests;
}

async function time<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
}

/** Seeds the apps, then times both selections alternately and checks they find the same apps. */
export async function measureDueSelection(
  options: DueSelectionOptions = {},
): Promise<Record<string, unknown>> {
  const count = options.apps ?? 100_000;
  const dueEvery = options.dueEvery ?? 100;
  const runs = options.runs ?? 5;
  const dynamo = await startLocalDynamoDb();
  const client = new DynamoDBClient({
    endpoint: dynamo.url,
    region: 'eu-central-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  const documentClient = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  try {
    await createRegistryTable(client, TABLE_NAME);
    const now = new Date();
    const apps = benchAppRecords(count, dueEvery, now);
    const seeding = await time(() => seed(documentClient, apps.map(appItem), options.writeConcurrency ?? 16));

    const registry = new Registry({ documentClient, tableName: TABLE_NAME });
    const at = now.toISOString();
    const query = () => selectWithQuery(registry, at);
    const scan = () => selectWithScan(documentClient, at);
    // One untimed run each: connections open, code paths warm.
    const first = { query: await query(), scan: await scan() };
    const queryMs: number[] = [];
    const scanMs: number[] = [];
    for (let run = 0; run < runs; run++) {
      queryMs.push((await time(query)).ms);
      scanMs.push((await time(scan)).ms);
    }

    const expected = apps.filter((_, index) => index % dueEvery === 0).map((app) => app.appId);
    const sameApps = (ids: string[]) =>
      ids.length === expected.length && [...ids].sort().every((id, index) => id === expected[index]);
    if (!sameApps(first.query.appIds) || !sameApps(first.scan.appIds)) {
      throw new Error(
        `the selections disagree: Query found ${first.query.appIds.length}, Scan ${first.scan.appIds.length}, expected ${expected.length}`,
      );
    }
    const queryMedian = median(queryMs);
    const scanMedian = median(scanMs);
    const speedup = ratio(scanMedian, queryMedian);
    return {
      apps: count,
      dueApps: expected.length,
      seeding: {
        ms: Math.round(seeding.ms),
        itemsPerSecond: Math.round(count / (seeding.ms / 1000)),
        batchWriteRequests: seeding.value,
      },
      runs,
      query: {
        medianMs: round(queryMedian, 2),
        runsMs: queryMs.map((ms) => round(ms, 2)),
        requests: first.query.requests,
        appsFound: first.query.appIds.length,
      },
      scan: {
        medianMs: round(scanMedian, 2),
        runsMs: scanMs.map((ms) => round(ms, 2)),
        requests: first.scan.requests,
        appsFound: first.scan.appIds.length,
      },
      sameAppsFound: true,
      queryTimesFasterThanScan: speedup,
      target: { rule: 'the due-app selection is at least 20 times faster than the Scan', met: speedup >= 20 },
    };
  } finally {
    client.destroy();
    await dynamo.close();
  }
}
