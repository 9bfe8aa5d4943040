const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;
const DURATION = /^(\d{1,6})([smhd])$/;

/** Seconds in one day, the unit most Rotor settings are written in. */
export const DAY_SECONDS = UNIT_SECONDS.d;
/** Seconds in one hour. */
export const HOUR_SECONDS = UNIT_SECONDS.h;

/**
 * Parses a duration such as `7d`, `36h`, `90m` or `45s` into seconds.
 * Returns `undefined` for anything else, so callers can word their own error.
 *
 * @example
 * parseDuration('7d'); // 604800
 */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  const [, amount, unit] = match as unknown as [string, string, keyof typeof UNIT_SECONDS];
  return Number(amount) * UNIT_SECONDS[unit];
}

/**
 * Writes seconds in the largest unit that divides them exactly (`604800` → `7d`).
 *
 * @example
 * formatDuration(90 * 60); // '90m'
 */
export function formatDuration(seconds: number): string {
  for (const unit of ['d', 'h', 'm'] as const) {
    if (seconds >= UNIT_SECONDS[unit] && seconds % UNIT_SECONDS[unit] === 0) {
      return `${seconds / UNIT_SECONDS[unit]}${unit}`;
    }
  }
  return `${seconds}s`;
}

/**
 * Writes a time before something as people say it: under two days in hours (`24h`, `36h`), else as
 * {@link formatDuration} does (`3d`).
 *
 * @example
 * formatTimeBefore(86_400); // '24h'
 */
export function formatTimeBefore(seconds: number): string {
  return seconds < 2 * UNIT_SECONDS.d && seconds % UNIT_SECONDS.h === 0
    ? `${seconds / UNIT_SECONDS.h}h`
    : formatDuration(seconds);
}
