import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import {
  IdempotencyKeyInProgressError,
  IdempotencyKeyReusedError,
  ValidationError,
} from '../contract/errors.ts';
import { IDEMPOTENCY_HEADER, IDEMPOTENCY_KEY_PATTERN } from '../contract/routes.ts';
import { IDEMPOTENCY_RECORDS, TABLE_KEYS, TTL_ATTRIBUTE } from '../contract/table.ts';

/** How long a request's first answer is kept for its replays. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

/**
 * How long an unfinished first request blocks its replays when the runtime cannot say how long it may
 * still run (local mode, tests): the operator API function's timeout. On Lambda its remaining time.
 */
const DEFAULT_REMAINING_MS = 30_000;

/** The answer of a request, as it is kept for its replays. */
export interface StoredAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** One state-changing request with a key: the caller and the key name it, the rest must match. */
export interface KeyedRequest {
  readonly caller: string;
  readonly key: string;
  readonly method: string;
  readonly path: string;
  readonly body: string;
}

/** Where the first answers of keyed requests are kept: the registry table. */
export interface IdempotencyStore {
  /**
   * Runs `run` once per caller and key: a replay of the same request gets the first answer without
   * running it again; another request with the same key is an IdempotencyKeyReusedError; a replay while
   * the first still runs an IdempotencyKeyInProgressError. A thrown error is not kept, so a retry runs
   * again.
   */
  answerOnce(
    request: KeyedRequest,
    run: () => Promise<StoredAnswer>,
    remainingMs?: () => number,
  ): Promise<{ answer: StoredAnswer; replayed: boolean }>;
}

/**
 * The idempotency key of a request, from its `Idempotency-Key` header (any case), or undefined when it
 * has none. A malformed key, or more than one, is a ValidationError that says what is allowed.
 */
export function idempotencyKeyOf(
  headers: Record<string, string | undefined> | null | undefined,
  multiValueHeaders?: Record<string, string[] | undefined> | null,
): string | undefined {
  const name = IDEMPOTENCY_HEADER.toLowerCase();
  const values = Object.entries(multiValueHeaders ?? {})
    .filter(([header]) => header.toLowerCase() === name)
    .flatMap(([, list]) => list ?? []);
  const value = Object.entries(headers ?? {}).find(([header]) => header.toLowerCase() === name)?.[1];
  if (value === undefined && values.length === 0) return undefined;
  if (values.length > 1) {
    throw new ValidationError(`Send one ${IDEMPOTENCY_HEADER} header, not ${values.length}`);
  }
  const key = value ?? values[0] ?? '';
  if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
    throw new ValidationError(
      `Header ${IDEMPOTENCY_HEADER} must be 1 to 128 letters, digits, "_", "-", ":" or "." (such as a UUID), not ${
        key.length > 128 ? `${key.length} characters` : JSON.stringify(key)
      }`,
    );
  }
  return key;
}

/**
 * The idempotency store of the operator API: Powertools' idempotency utility with its DynamoDB
 * persistence layer on the registry table (one partition, `IDEMPOTENCY`, of items that expire through
 * the table's time to live after 24 hours). Records are keyed by the caller's ARN and the key; the
 * method, path and body are checked on a replay.
 *
 * @example
 * const store = idempotencyStore({ tableName, client: new DynamoDBClient({}) });
 * const { answer } = await store.answerOnce({ caller, key, method, path, body }, () => act());
 */
export function idempotencyStore(options: { tableName: string; client: DynamoDBClient }): IdempotencyStore {
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName: options.tableName,
    awsSdkV3Client: options.client,
    keyAttr: TABLE_KEYS.partitionKey,
    sortKeyAttr: TABLE_KEYS.sortKey,
    staticPkValue: IDEMPOTENCY_RECORDS.partitionKey,
    expiryAttr: TTL_ATTRIBUTE,
  });
  const config = new IdempotencyConfig({
    eventKeyJmesPath: '[caller, key]',
    payloadValidationJmesPath: 'request',
    throwOnNoIdempotencyKey: true,
    expiresAfterSeconds: IDEMPOTENCY_TTL_SECONDS,
    hashFunction: 'sha256',
  });
  return {
    async answerOnce(request, run, remainingMs) {
      let ran = false;
      const once = makeIdempotent(
        async (_payload: unknown, _context: Context): Promise<StoredAnswer> => {
          ran = true;
          // Kept as plain JSON: what the first caller got, and what DynamoDB can store.
          return JSON.parse(JSON.stringify(await run())) as StoredAnswer;
        },
        { persistenceStore, config, keyPrefix: IDEMPOTENCY_RECORDS.keyPrefix },
      );
      const { caller, key, ...rest } = request;
      // Powertools reads the remaining time of an invocation from a Lambda context.
      const context = {
        getRemainingTimeInMillis: remainingMs ?? (() => DEFAULT_REMAINING_MS),
      } as unknown as Context;
      try {
        const answer = await once({ caller, key, request: rest }, context);
        return { answer, replayed: !ran };
      } catch (error) {
        throw translated(error as Error, key);
      }
    },
  };
}

function translated(error: Error, key: string): Error {
  if (error.name === 'IdempotencyValidationError') {
    return new IdempotencyKeyReusedError(
      `${IDEMPOTENCY_HEADER} "${key}" was already used for another request (another method, path or body); send a fresh key with each new request`,
      { cause: error },
    );
  }
  if (error.name === 'IdempotencyAlreadyInProgressError') {
    return new IdempotencyKeyInProgressError(
      `the first request with ${IDEMPOTENCY_HEADER} "${key}" is still in progress; retry it in a moment to get its answer`,
      { cause: error },
    );
  }
  return error;
}
