/**
 * The consumer client: how a service that *uses* a token Rotor rotates reads it. Import it as
 * `rotor/consumer`.
 *
 * @example
 * const tokens = new TokenClient();
 * const response = await tokens.withToken('billing-sync', (token) =>
 *   fetch('https://api.example.com/invoices', { headers: { authorization: `Bearer ${token}` } }),
 * );
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export interface TokenClientOptions {
  /** @default a client with the default credential chain and region */
  readonly secretsManager?: SecretsManagerClient;
  /**
   * How long a token is reused before Secrets Manager is asked again. Keep it well under the grace
   * period (7 days by default): a consumer then picks up a new token long before the old one dies.
   * @default 300_000 (5 minutes)
   */
  readonly ttlMs?: number;
  /** The prefix that turns an app id into its secret's name (the stack's `secretNamePrefix`). @default 'rotor/' */
  readonly secretNamePrefix?: string;
}

/** The longest cache the client allows: 15 minutes, well inside the shortest grace period (1 hour). */
const MAX_TTL_MS = 900_000;

interface Cached {
  readonly token: string;
  readonly until: number;
}

/** What answers "was I refused?": a fetch Response, or anything with a `status` or `statusCode`. */
type CallResult = { status?: number; statusCode?: number } | unknown;

function isUnauthorized(result: CallResult): boolean {
  if (typeof result !== 'object' || result === null) return false;
  const { status, statusCode } = result as { status?: unknown; statusCode?: unknown };
  return status === 401 || statusCode === 401;
}

/** The token in a secret value: Rotor's JSON (`{"token": ...}`) or a bare string (e.g. a HubSpot token). */
function tokenIn(secretString: string | undefined, secretId: string): string {
  if (!secretString) throw new Error(`secret ${secretId} has no string value`);
  try {
    const parsed = JSON.parse(secretString) as unknown;
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      typeof (parsed as { token?: unknown }).token === 'string'
    ) {
      return (parsed as { token: string }).token;
    }
  } catch {
    // not JSON: the value is the token itself
  }
  return secretString.trim();
}

/**
 * Reads the current token (AWSCURRENT) of an app's secret, with a cache. Concurrent callers share one
 * read. `withToken` retries a call once with a fresh token when it is answered 401, which covers the
 * moment between a rotation and the cache's next refresh.
 */
export class TokenClient {
  readonly #secretsManager: SecretsManagerClient;
  readonly #ttlMs: number;
  readonly #prefix: string;
  readonly #cache = new Map<string, Cached>();
  readonly #reading = new Map<string, Promise<string>>();

  public constructor(options: TokenClientOptions = {}) {
    const ttl = options.ttlMs ?? 300_000;
    if (!(Number.isInteger(ttl) && ttl >= 0 && ttl <= MAX_TTL_MS)) {
      throw new RangeError(
        `ttlMs must be a whole number of milliseconds from 0 to ${MAX_TTL_MS} (got ${ttl})`,
      );
    }
    this.#secretsManager = options.secretsManager ?? new SecretsManagerClient({});
    this.#ttlMs = ttl;
    this.#prefix = options.secretNamePrefix ?? 'rotor/';
  }

  /** The secret an app id or a secret name/ARN stands for. */
  public secretIdOf(appOrSecretId: string): string {
    return appOrSecretId.startsWith('arn:') || appOrSecretId.includes('/')
      ? appOrSecretId
      : `${this.#prefix}${appOrSecretId}`;
  }

  /** The current token, from the cache while it is fresh. */
  public async getToken(appOrSecretId: string): Promise<string> {
    const secretId = this.secretIdOf(appOrSecretId);
    const cached = this.#cache.get(secretId);
    if (cached && cached.until > Date.now()) return cached.token;
    return this.#read(secretId);
  }

  /** Forgets the cached token and reads the current one. */
  public async refresh(appOrSecretId: string): Promise<string> {
    const secretId = this.secretIdOf(appOrSecretId);
    this.#cache.delete(secretId);
    return this.#read(secretId);
  }

  /**
   * Calls `call` with the current token; if the answer is a 401 (a `status`/`statusCode` of 401, or an
   * error carrying one), reads the token afresh and calls once more. The second answer is returned
   * (or thrown) as it is.
   */
  public async withToken<T>(appOrSecretId: string, call: (token: string) => Promise<T>): Promise<T> {
    const token = await this.getToken(appOrSecretId);
    let result: T;
    try {
      result = await call(token);
    } catch (error) {
      if (!isUnauthorized(error)) throw error;
      return call(await this.#freshAfter(appOrSecretId, token));
    }
    if (!isUnauthorized(result)) return result;
    return call(await this.#freshAfter(appOrSecretId, token));
  }

  /** A fresh token after `refused` was turned away (another caller may have refreshed already). */
  async #freshAfter(appOrSecretId: string, refused: string): Promise<string> {
    const current = await this.getToken(appOrSecretId);
    return current === refused ? this.refresh(appOrSecretId) : current;
  }

  #read(secretId: string): Promise<string> {
    let reading = this.#reading.get(secretId);
    if (!reading) {
      reading = this.#secretsManager
        .send(new GetSecretValueCommand({ SecretId: secretId }))
        .then((value) => {
          const token = tokenIn(value.SecretString, secretId);
          this.#cache.set(secretId, { token, until: Date.now() + this.#ttlMs });
          return token;
        })
        .finally(() => this.#reading.delete(secretId));
      this.#reading.set(secretId, reading);
    }
    return reading;
  }
}
