import { createHash, randomBytes } from 'node:crypto';
import { object, optional, regex, string } from 'zod/mini';

/** What an app id may look like: a lowercase slug. */
export const APP_ID_PATTERN = /^[a-z0-9][a-z0-9-]{2,47}$/;

/** Rotation ids are also execution names: at most 80 characters of `[A-Za-z0-9_-]`. */
export const ROTATION_ID_PATTERN = /^[A-Za-z0-9_-]{1,80}$/;

/** The ids every lifecycle task gets. */
export const rotationRef = object({
  appId: string().check(regex(APP_ID_PATTERN)),
  rotationId: string().check(regex(ROTATION_ID_PATTERN)),
});

/** An app id, and optionally a rotation. */
export const appRef = object({
  appId: string().check(regex(APP_ID_PATTERN)),
  rotationId: optional(string().check(regex(ROTATION_ID_PATTERN))),
});

/**
 * A new rotation id: the UTC start time, so ids sort by age, and 6 random hex digits.
 *
 * @example
 * newRotationId(new Date('2026-11-28T14:05:12Z')); // 'r-20261128T140512Z-3fa9c1'
 */
export function newRotationId(now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  return `r-${stamp}-${randomBytes(3).toString('hex')}`;
}

/** The id under which an operator's keyed request is kept on the rotation it ends: caller and key, hashed. */
export function requestIdForKey(caller: string, appId: string, key: string): string {
  return createHash('sha256')
    .update(JSON.stringify(['rotor-request', caller, appId, key]))
    .digest('hex')
    .slice(0, 32);
}

/**
 * The rotation id of a start-rotation request with an idempotency key: the same for every retry of it
 * (so a retry finds the lock its first attempt took and starts that rotation's execution, which is
 * named after it), different for another caller, app or key. `r-k` and 32 hex digits (128 bits of
 * SHA-256): it fits {@link ROTATION_ID_PATTERN}, and starts with `r-` as every rotation id.
 *
 * @example
 * rotationIdForKey('arn:aws:iam::123456789012:user/alice', 'billing-api', 'a1b2-c3'); // 'r-k5d41…'
 */
export function rotationIdForKey(caller: string, appId: string, key: string): string {
  const digest = createHash('sha256')
    .update(JSON.stringify(['rotor-rotation', caller, appId, key]))
    .digest('hex');
  return `r-k${digest.slice(0, 32)}`;
}
