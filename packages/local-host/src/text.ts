/**
 * A host.json or binding value as text: strings as they are, numbers and booleans
 * printed, anything else as JSON, so a wrong type reads `{"a":1}` in the error, not
 * `[object Object]`.
 */
export function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value) ?? String(value);
}
