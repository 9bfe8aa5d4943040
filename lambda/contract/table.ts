/**
 * The registry's single DynamoDB table: its key schema (shared by the CDK construct and the local
 * stand-ins, so both always agree) and the key of every kind of item.
 *
 * | item | pk | sk |
 * | --- | --- | --- |
 * | app | `APP#<appId>` | `APP` |
 * | rotation | `APP#<appId>` | `ROTATION#<rotationId>` |
 * | version pointer | `APP#<appId>` | `VERSION#<versionId>` |
 * | sent notification | `APP#<appId>` | `NOTIFY#<rotation or reminder>#<event>#<recipient>` |
 * | token version | `TOKEN#<sha256>` | `TOKEN` |
 * | token use in one hour | `TOKEN#<sha256>` | `USE#<yyyy-mm-ddThh>` |
 * | audit event | `AUDIT#<yyyy-mm-dd>` | `<iso time>#<eventId>` |
 * | idempotency record (Powertools) | `IDEMPOTENCY` | `operator-api#<sha256 of caller and key>` |
 * | console: an admin's app | `ADMIN#<address>` | `APP#<appId>` |
 * | console: sign-in link, session, email button | `SIGNIN#<sha256>`, `SESSION#<sha256>`, `LINK#<sha256>` | the kind |
 * | console: sign-in requests in a quarter hour | `LIMIT#<address or ip>#<sha256>` | `<window start>` |
 *
 * App items also carry `dueShard`/`dueAt`, the sparse `due` index that the daily sweep queries, and
 * with `tokenIssuedAt` the `tokenAge` index of its daily gauges.
 */
export const TABLE_KEYS = { partitionKey: 'pk', sortKey: 'sk' } as const;

/** The sparse index of apps by the time they next need attention. */
export const DUE_INDEX = { indexName: 'due', partitionKey: 'dueShard', sortKey: 'dueAt' } as const;

/**
 * The apps by the issue time of their current token (the same shard, sort key `tokenIssuedAt`), with the
 * little the sweep's daily gauges need (OldestTokenAgeDays, DaysUntilNextDue, OverdueTokens): a Query on
 * it reads one small item per app, never the apps themselves and never a Scan.
 */
export const TOKEN_AGE_INDEX = {
  indexName: 'tokenAge',
  partitionKey: 'dueShard',
  sortKey: 'tokenIssuedAt',
  projected: ['intervalSeconds', 'state'],
} as const;

/** The one `dueShard` value; the index holds one small item per app, well within one partition's limits. */
export const DUE_SHARD = 'DUE';

/**
 * The attribute DynamoDB's time to live reads (epoch seconds): usage counts and idempotency records
 * expire on their own.
 */
export const TTL_ATTRIBUTE = 'expiresAtEpoch';

export const keys = {
  app: (appId: string) => ({ pk: `APP#${appId}`, sk: 'APP' }),
  rotation: (appId: string, rotationId: string) => ({ pk: `APP#${appId}`, sk: `ROTATION#${rotationId}` }),
  rotationPrefix: 'ROTATION#',
  versionPointer: (appId: string, versionId: string) => ({ pk: `APP#${appId}`, sk: `VERSION#${versionId}` }),
  token: (tokenHash: string) => ({ pk: `TOKEN#${tokenHash}`, sk: 'TOKEN' }),
  tokenUse: (tokenHash: string, at: string) => ({ pk: `TOKEN#${tokenHash}`, sk: `USE#${at.slice(0, 13)}` }),
  tokenUsePrefix: 'USE#',
  notification: (appId: string, key: string) => ({ pk: `APP#${appId}`, sk: `NOTIFY#${key}` }),
  auditDay: (at: string) => `AUDIT#${at.slice(0, 10)}`,
  adminApp: (email: string, appId: string) => ({ pk: `ADMIN#${email.toLowerCase()}`, sk: `APP#${appId}` }),
  adminApps: (email: string) => `ADMIN#${email.toLowerCase()}`,
  consoleSecret: (kind: 'SIGNIN' | 'SESSION' | 'LINK', hash: string) => ({ pk: `${kind}#${hash}`, sk: kind }),
  signInLimit: (kind: 'address' | 'ip', hash: string, windowStart: string) => ({
    pk: `LIMIT#${kind}#${hash}`,
    sk: windowStart,
  }),
} as const;

/**
 * The operator API's idempotency records (Powertools' DynamoDB persistence layer): all in one partition
 * of small items that expire after a day, the sort key naming the API and the hashed caller and key.
 */
export const IDEMPOTENCY_RECORDS = { partitionKey: 'IDEMPOTENCY', keyPrefix: 'operator-api' } as const;
