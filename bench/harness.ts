/** The benchmark harness's pure parts: sections, statistics, ratios, targets and the readable report. */

/** The median of some measurements (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const at = (index: number) => sorted[index] as number;
  return sorted.length % 2 === 1 ? at(middle) : (at(middle - 1) + at(middle)) / 2;
}

/** `value / baseline`, rounded to two decimals: how many times the baseline a figure is. */
export function ratio(value: number, baseline: number): number {
  if (!(baseline > 0)) throw new RangeError(`ratio against a baseline of ${baseline}`);
  return round(value / baseline, 2);
}

/** Rounds to `digits` decimals. */
export function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** A figure the issue sets a bound on, and whether this run met it. */
export interface Target {
  readonly rule: string;
  readonly met: boolean;
}

/** Every `target` ({ rule, met }) anywhere in a report, with the path where it was found. */
export function findTargets(report: unknown, path = ''): Array<Target & { path: string }> {
  if (typeof report !== 'object' || report === null) return [];
  const found: Array<Target & { path: string }> = [];
  for (const [key, value] of Object.entries(report)) {
    const at = path ? `${path}.${key}` : key;
    if (key === 'target' && isTarget(value)) found.push({ ...value, path: path });
    else found.push(...findTargets(value, at));
  }
  return found;
}

function isTarget(value: unknown): value is Target {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Target).rule === 'string' &&
    typeof (value as Target).met === 'boolean'
  );
}

/**
 * A section's result as `key  value` lines, nested objects as dotted keys, numbers with thousands
 * separators, arrays of plain values joined with commas.
 */
export function renderSection(name: string, result: Record<string, unknown>): string[] {
  const rows = flatten(result);
  const width = Math.max(0, ...rows.map(([key]) => key.length));
  return [`${name}`, ...rows.map(([key, value]) => `  ${key.padEnd(width)}  ${value}`)];
}

function flatten(value: unknown, path = ''): Array<[string, string]> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    return Object.entries(value).flatMap(([key, inner]) => flatten(inner, path ? `${path}.${key}` : key));
  }
  return [[path, formatValue(value)]];
}

function formatValue(value: unknown): string {
  if (typeof value === 'number') return value.toLocaleString('en-US', { maximumFractionDigits: 2 });
  if (Array.isArray(value)) {
    return value.every((item) => typeof item !== 'object' || item === null)
      ? value.map(formatValue).join(', ')
      : JSON.stringify(value);
  }
  return String(value);
}

/** One part of `npm run bench`: a measurement and how to show it. */
export interface BenchSection {
  /** What `--only` selects and the key of the section in the JSON report. */
  readonly name: string;
  /** One line on what is measured against what. */
  readonly title: string;
  readonly run: () => Promise<Record<string, unknown>>;
  /** The readable report; by default every figure as a `key  value` line. */
  readonly render?: (result: never) => string[];
}

/** The sections `--only` names, in their usual order; an unknown name is refused with the known ones. */
export function selectSections(all: readonly BenchSection[], only?: string): BenchSection[] {
  if (!only) return [...all];
  const wanted = only
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = wanted.filter((name) => !all.some((section) => section.name === name));
  if (unknown.length > 0) {
    throw new Error(
      `unknown section ${unknown.join(', ')}; the sections are ${all.map((section) => section.name).join(', ')}`,
    );
  }
  return all.filter((section) => wanted.includes(section.name));
}
