import { randomBytes } from 'node:crypto';

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
