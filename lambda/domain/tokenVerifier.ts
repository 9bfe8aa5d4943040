import { DEFAULT_TOKEN_PREFIX } from '../contract/tokenFormat.ts';
import type { TokenStore } from '../store/TokenStore.ts';
import { hashToken, isWellFormedToken } from './tokens.ts';
import { type VerifyResult, verifyToken } from './verifyToken.ts';

export interface TokenVerifierOptions {
  /** The registry (only its token versions are read and their uses counted). */
  readonly registry: { readonly tokens: Pick<TokenStore, 'findTokenByHash' | 'recordTokenUse'> };
  /**
   * How long a result is reused without a lookup. An expire-now or a revocation takes effect within
   * this time. At most 30 seconds. @default 30_000
   */
  readonly cacheTtlMs?: number;
  /** Write each token's use count at most this often (one write per token version). @default 60_000 */
  readonly usageFlushMs?: number;
  /** @default 'rtr_' */
  readonly prefix?: string;
  /** The largest number of tokens cached; the oldest entries go first. @default 10_000 */
  readonly maxEntries?: number;
}

/** The longest a verifier may trust a result: expire-now must bite within it. */
export const MAX_CACHE_TTL_MS = 30_000;

interface CachedResult {
  readonly result: VerifyResult;
  readonly until: number;
}

interface PendingUse {
  uses: number;
  lastUsedMs: number;
  /** When this version's count was last written (0: never). */
  writtenAt: number;
}

/**
 * Verifies managed tokens as an API's authorizer does, many times a second: results are cached in
 * process for a bounded time (keyed by the token's SHA-256, never the token), a grace token is
 * never trusted past its `expiresAt`, and each accepted token's use is counted, with at most one
 * write per token version per `usageFlushMs` (uses in between are added to the next write).
 */
export class TokenVerifier {
  readonly #registry: TokenVerifierOptions['registry'];
  readonly #ttlMs: number;
  readonly #flushMs: number;
  readonly #prefix: string;
  readonly #maxEntries: number;
  readonly #cache = new Map<string, CachedResult>();
  readonly #usage = new Map<string, PendingUse>();

  public constructor(options: TokenVerifierOptions) {
    const ttl = options.cacheTtlMs ?? MAX_CACHE_TTL_MS;
    if (!(Number.isInteger(ttl) && ttl >= 0 && ttl <= MAX_CACHE_TTL_MS)) {
      throw new RangeError(`cacheTtlMs must be a whole number from 0 to ${MAX_CACHE_TTL_MS} (got ${ttl})`);
    }
    this.#registry = options.registry;
    this.#ttlMs = ttl;
    this.#flushMs = options.usageFlushMs ?? 60_000;
    this.#prefix = options.prefix ?? DEFAULT_TOKEN_PREFIX;
    this.#maxEntries = options.maxEntries ?? 10_000;
  }

  /** Accepts the current token and a grace token until its `expiresAt`; refuses every other. */
  public async verify(token: string): Promise<VerifyResult> {
    if (typeof token !== 'string') return { valid: false, reason: 'malformed' };
    const tokenHash = hashToken(token);
    const now = Date.now();
    // Only well-formed tokens are ever cached, so a hit needs no second format check.
    let result = this.#cached(tokenHash, now);
    if (!result) {
      if (!isWellFormedToken(token, this.#prefix)) return { valid: false, reason: 'malformed' };
      result = await verifyToken(token, {
        registry: this.#registry,
        prefix: this.#prefix,
        now: new Date(now),
      });
      this.#remember(tokenHash, result, now);
    }
    if (result.valid) {
      const write = this.#countUse(tokenHash, now);
      if (write) await write;
    }
    return result;
  }

  /** Writes every use counted and not yet written (e.g. before an instance goes idle). */
  public async flushUsage(): Promise<void> {
    const now = Date.now();
    for (const [tokenHash, pending] of this.#usage) {
      if (pending.uses > 0) await this.#write(tokenHash, pending, now);
    }
  }

  #cached(tokenHash: string, now: number): VerifyResult | undefined {
    const entry = this.#cache.get(tokenHash);
    if (!entry) return undefined;
    if (entry.until <= now) {
      this.#cache.delete(tokenHash);
      return undefined;
    }
    return entry.result;
  }

  #remember(tokenHash: string, result: VerifyResult, now: number): void {
    // A token about to be promoted must not stay refused for a whole TTL.
    if (this.#ttlMs === 0 || (!result.valid && result.reason === 'pending')) return;
    let until = now + this.#ttlMs;
    if (result.valid && result.expiresAt) until = Math.min(until, Date.parse(result.expiresAt));
    if (this.#cache.size >= this.#maxEntries) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
    this.#cache.set(tokenHash, { result, until });
  }

  /** Counts one use; returns the write when one is due (at most one per token per flush interval). */
  #countUse(tokenHash: string, now: number): Promise<void> | undefined {
    let pending = this.#usage.get(tokenHash);
    if (!pending) {
      pending = { uses: 0, lastUsedMs: now, writtenAt: 0 };
      this.#usage.set(tokenHash, pending);
    }
    pending.uses += 1;
    pending.lastUsedMs = now;
    return now - pending.writtenAt >= this.#flushMs ? this.#write(tokenHash, pending, now) : undefined;
  }

  async #write(tokenHash: string, pending: PendingUse, now: number): Promise<void> {
    const uses = pending.uses;
    pending.uses = 0;
    pending.writtenAt = now;
    try {
      await this.#registry.tokens.recordTokenUse(tokenHash, uses, new Date(pending.lastUsedMs).toISOString());
    } catch {
      // Counting must never refuse a caller: the uses go into the next write.
      pending.uses += uses;
    }
  }
}
