/** Strings longer than this are cut in a description: it names what was sent, it does not echo it. */
const maxShownChars = 40;

/**
 * What a JSON value is, for the "got ..." of an error message: `nothing`, `null`, `true`, `the number 5`,
 * `the string "hot"`, `an array of 3 items`, `an object`.
 */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null || typeof value === 'boolean') return String(value);
  if (typeof value === 'number') return `the number ${value}`;
  if (typeof value === 'string') {
    const shown = value.length > maxShownChars ? `${JSON.stringify(value.slice(0, maxShownChars)).slice(0, -1)}..."` : JSON.stringify(value);
    return value === '' ? 'an empty string' : `the string ${shown}`;
  }
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : `an array of ${value.length} item${value.length === 1 ? '' : 's'}`;
  return typeof value === 'object' ? 'an object' : typeof value;
}
