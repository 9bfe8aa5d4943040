import { DEFAULT_TOKEN_PREFIX } from '../contract/tokenFormat.ts';
import type { TokenStore } from '../store/TokenStore.ts';
import { hashesEqual, hashToken, isWellFormedToken } from './tokens.ts';

/** Why a token was refused. `malformed` is decided without a lookup. */
export type RefusalReason = 'malformed' | 'unknown' | 'pending' | 'revoked' | 'expired';

export type VerifyResult =
  | {
      readonly valid: true;
      readonly appId: string;
      readonly versionId: string;
      readonly status: 'current' | 'grace';
      readonly expiresAt?: string;
    }
  | { readonly valid: false; readonly reason: RefusalReason };

export interface VerifyOptions {
  /** The registry (only its token versions are read). */
  readonly registry: { readonly tokens: Pick<TokenStore, 'findTokenByHash'> };
  /** @default 'rtr_' */
  readonly prefix?: string;
  /** @default new Date() */
  readonly now?: Date;
}

/**
 * Verifies a managed token: accepts the current token, and a grace token until its `expiresAt`;
 * refuses pending, revoked, expired, unknown and malformed ones (malformed without a lookup).
 * Only the token's SHA-256 hash is looked up, and hashes are compared in constant time.
 *
 * @example
 * const result = await verifyToken(bearer, { registry });
 * if (!result.valid) return deny(result.reason);
 */
export async function verifyToken(token: string, options: VerifyOptions): Promise<VerifyResult> {
  if (!isWellFormedToken(token, options.prefix ?? DEFAULT_TOKEN_PREFIX))
    return { valid: false, reason: 'malformed' };
  const tokenHash = hashToken(token);
  const version = await options.registry.tokens.findTokenByHash(tokenHash);
  if (!version || !hashesEqual(version.tokenHash, tokenHash)) return { valid: false, reason: 'unknown' };
  switch (version.status) {
    case 'current':
      return { valid: true, appId: version.appId, versionId: version.versionId, status: 'current' };
    case 'grace': {
      const now = options.now ?? new Date();
      if (!version.expiresAt || Date.parse(version.expiresAt) <= now.getTime())
        return { valid: false, reason: 'expired' };
      return {
        valid: true,
        appId: version.appId,
        versionId: version.versionId,
        status: 'grace',
        expiresAt: version.expiresAt,
      };
    }
    case 'pending':
      return { valid: false, reason: 'pending' };
    default:
      return { valid: false, reason: 'revoked' };
  }
}
