import { formatDuration } from '../lambda/contract/duration.ts';
import type { CliIo } from './io.ts';

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, dim: 2, bold: 1 } as const;
export type Colour = keyof typeof CODES;

/** Colours only on a terminal, and never when NO_COLOR is set or `--no-color` is given. */
export function colours(io: CliIo, enabled = true): (colour: Colour, text: string) => string {
  const on = enabled && io.isTTY && !io.env.NO_COLOR;
  return (colour, text) => (on ? `\u001b[${CODES[colour]}m${text}\u001b[0m` : text);
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: strips the colour codes it adds
const ANSI = /\u001b\[[0-9;]*m/g;
const width = (text: string) => text.replace(ANSI, '').length;

/** A plain table: a header row and aligned columns, two spaces apart, no trailing blanks. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, i) =>
    Math.max(width(header), ...rows.map((row) => width(row[i] ?? ''))),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - width(cell))))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** `2026-11-30 14:05` in the given time zone. */
export function localTime(iso: string, timeZone = 'UTC'): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat('sv-SE', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).format(date);
}

const UNITS = [
  ['d', 86_400],
  ['h', 3600],
  ['m', 60],
  ['s', 1],
] as const;

/** A span such as `6d 23h`, `3h 12m` or `45s`: the largest unit and the next one, if not zero. */
export function span(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  const first = UNITS.findIndex(([, size]) => total >= size);
  if (first === -1) return '0s';
  const [unit, size] = UNITS[first] as (typeof UNITS)[number];
  const amount = Math.floor(total / size);
  const next = UNITS[first + 1];
  const rest = next ? Math.floor((total - amount * size) / next[1]) : 0;
  return next && rest > 0 ? `${amount}${unit} ${rest}${next[0]}` : `${amount}${unit}`;
}

/** `in 6d 23h` or `3m ago`. */
export function relative(iso: string, now: Date): string {
  const seconds = (Date.parse(iso) - now.getTime()) / 1000;
  return seconds >= 0 ? `in ${span(seconds)}` : `${span(-seconds)} ago`;
}

export { formatDuration };

/** Writes the value as JSON for scripts. */
export function printJson(io: CliIo, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}
