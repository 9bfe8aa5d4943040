/**
 * Benchmark (a): how many tokens a warm TokenVerifier (the authorizer's) checks per second, against
 * the limit — a bare loop of SHA-256 plus a Map lookup, the least any verifier must do — and against
 * the naive way, a GetSecretValue per call to the Secrets Manager emulator. All three in one run.
 */
import { createHash, randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { hashToken, mintToken, serializeSecret } from '../lambda/domain/tokens.ts';
import { TokenVerifier } from '../lambda/domain/tokenVerifier.ts';
import { Registry } from '../lambda/store/Registry.ts';
import { createRegistryTable, startLocalDynamoDb } from '../local/dynamodb.ts';
import { startSecretsManagerEmulator } from '../local/secrets-manager/emulator.ts';
import { median, ratio, round } from './harness.ts';

export interface VerifyBenchOptions {
  /** Calls per timed run of the in-process loops. @default 200_000 */
  readonly calls?: number;
  /** Calls per timed run of the naive GetSecretValue loop. @default 300 */
  readonly naiveCalls?: number;
  /** Timed runs of each (after a warm-up). @default 5 */
  readonly runs?: number;
}

const CREDENTIALS = { accessKeyId: 'bench', secretAccessKey: 'bench' };
const REGION = 'eu-central-1';

/** Calls per second of `loop(n)`, the median of `runs` timed runs after one warm-up. */
async function perSecond(runs: number, calls: number, loop: (n: number) => Promise<void> | void) {
  await loop(Math.min(calls, 1000));
  const rates: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const started = performance.now();
    await loop(calls);
    rates.push(calls / ((performance.now() - started) / 1000));
  }
  return median(rates);
}

export async function measureVerifyThroughput(options: VerifyBenchOptions = {}) {
  const calls = options.calls ?? 200_000;
  const naiveCalls = options.naiveCalls ?? 300;
  const runs = options.runs ?? 5;
  const dynamo = await startLocalDynamoDb();
  const secrets = await startSecretsManagerEmulator({ region: REGION });
  try {
    const dynamoClient = new DynamoDBClient({
      endpoint: dynamo.url,
      region: REGION,
      credentials: CREDENTIALS,
    });
    await createRegistryTable(dynamoClient, 'rotor-bench-verify');
    const registry = new Registry({
      documentClient: DynamoDBDocumentClient.from(dynamoClient),
      tableName: 'rotor-bench-verify',
    });
    const token = mintToken();
    const now = new Date().toISOString();
    await registry.tokens.registerTokenVersion({
      appId: 'bench-app',
      versionId: randomUUID(),
      tokenHash: hashToken(token),
      status: 'current',
      createdAt: now,
    });

    // The verifier as the authorizer runs it; its use counts are written once a minute at most.
    const verifier = new TokenVerifier({ registry });
    if (!(await verifier.verify(token)).valid) throw new Error('the bench token does not verify');
    const warm = await perSecond(runs, calls, async (n) => {
      for (let i = 0; i < n; i += 1) await verifier.verify(token);
    });

    // The limit: hash the token and look the hash up, nothing else.
    const known = new Map([[hashToken(token), { status: 'current' }]]);
    let found = 0;
    const limit = await perSecond(runs, calls, (n) => {
      for (let i = 0; i < n; i += 1) {
        if (known.get(createHash('sha256').update(token).digest('hex'))) found += 1;
      }
    });
    if (found === 0) throw new Error('the limit loop found nothing');

    // The naive way: ask Secrets Manager for the current token on every call and compare.
    const secretsManager = new SecretsManagerClient({
      endpoint: secrets.url,
      region: REGION,
      credentials: CREDENTIALS,
    });
    await secretsManager.send(
      new CreateSecretCommand({
        Name: 'rotor/bench-app',
        SecretString: serializeSecret({ token, issuedAt: now }),
      }),
    );
    const naive = await perSecond(runs, naiveCalls, async (n) => {
      for (let i = 0; i < n; i += 1) {
        const value = await secretsManager.send(new GetSecretValueCommand({ SecretId: 'rotor/bench-app' }));
        if (!value.SecretString?.includes(token)) throw new Error('the naive lookup lost the token');
      }
    });
    secretsManager.destroy();
    dynamoClient.destroy();

    const ofLimit = ratio(warm, limit);
    return {
      verifyWarmPerSecond: Math.round(warm),
      limitPerSecond: Math.round(limit),
      naiveGetSecretValuePerSecond: round(naive, 1),
      warmOfLimit: ofLimit,
      warmOverNaive: ratio(warm, naive),
      calls,
      naiveCalls,
      runs,
      target: {
        rule: 'verify with a warm cache reaches at least half the limit (warmOfLimit >= 0.5)',
        met: ofLimit >= 0.5,
      },
    };
  } finally {
    await secrets.close();
    await dynamo.close();
  }
}
