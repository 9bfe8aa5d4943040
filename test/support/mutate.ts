/**
 * `value` with its last character replaced by another one: a near-miss of a right value that is
 * never the right value itself (replacing it with a fixed character is no change when the value
 * already ends in that character).
 */
export function withLastCharacterChanged(value: string): string {
  if (value.length === 0) throw new Error('cannot change the last character of an empty string');
  const replacement = value.endsWith('x') ? 'y' : 'x';
  return `${value.slice(0, -1)}${replacement}`;
}
