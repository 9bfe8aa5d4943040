import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { DEFAULT_TOKEN_PREFIX } from '../contract/tokenFormat.ts';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** Random bytes in a managed token: 256 bits. */
export const TOKEN_RANDOM_BYTES = 32;
/** 62^43 > 2^256, so 43 base62 characters hold the 32 random bytes. */
const BODY_LENGTH = 43;
/** 62^6 > 2^32, so 6 base62 characters hold a CRC-32. */
const CHECKSUM_LENGTH = 6;

function toBase62(value: bigint, length: number): string {
  let out = '';
  let rest = value;
  while (rest > 0n) {
    out = BASE62[Number(rest % 62n)] + out;
    rest /= 62n;
  }
  return out.padStart(length, '0');
}

function checksumOf(prefixAndBody: string): string {
  return toBase62(BigInt(crc32(prefixAndBody)), CHECKSUM_LENGTH);
}

/**
 * Mints a managed token: the prefix, 256 bits from `crypto.randomBytes` in base62, and a CRC-32
 * checksum, so a secret scanner can match the shape and a typo is refused without a lookup.
 *
 * @example
 * mintToken('rtr_'); // 'rtr_0Xb…' (53 characters)
 */
export function mintToken(prefix: string = DEFAULT_TOKEN_PREFIX): string {
  const body = toBase62(BigInt(`0x${randomBytes(TOKEN_RANDOM_BYTES).toString('hex')}`), BODY_LENGTH);
  return `${prefix}${body}${checksumOf(prefix + body)}`;
}

/**
 * Tells whether a string has the shape of a token minted with this prefix and a checksum that
 * matches. It needs no lookup, so malformed tokens cost nothing to refuse.
 */
export function isWellFormedToken(token: string, prefix: string = DEFAULT_TOKEN_PREFIX): boolean {
  if (typeof token !== 'string' || token.length !== prefix.length + BODY_LENGTH + CHECKSUM_LENGTH)
    return false;
  if (!token.startsWith(prefix)) return false;
  const body = token.slice(prefix.length, prefix.length + BODY_LENGTH);
  const checksum = token.slice(prefix.length + BODY_LENGTH);
  for (const char of body + checksum) if (!BASE62.includes(char)) return false;
  return checksumOf(prefix + body) === checksum;
}

/** The SHA-256 hash of a token, hex encoded: the only form in which Rotor stores a token. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Compares two hex hashes in constant time. */
export function hashesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}

/** What a Rotor secret's `SecretString` holds. */
export interface SecretPayload {
  readonly token: string;
  readonly issuedAt: string;
}

/** Writes the `SecretString` of a secret version. */
export function serializeSecret(payload: SecretPayload): string {
  return JSON.stringify({ token: payload.token, issuedAt: payload.issuedAt });
}

/**
 * Reads the `SecretString` of a secret version. The error it throws says what is wrong with the
 * shape and never repeats the value.
 */
export function parseSecret(secretString: string | undefined): SecretPayload {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString ?? '');
  } catch {
    throw new Error('the secret value is not JSON; Rotor expects {"token": "...", "issuedAt": "<ISO-8601>"}');
  }
  const { token, issuedAt } = (parsed ?? {}) as Record<string, unknown>;
  if (typeof token !== 'string' || token.length === 0) {
    throw new Error(
      'the secret value has no "token" string; Rotor expects {"token": "...", "issuedAt": "..."}',
    );
  }
  return { token, issuedAt: typeof issuedAt === 'string' ? issuedAt : '' };
}
