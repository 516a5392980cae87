/**
 * Table Storage keys forbid `/ \ # ?` and control characters, and repository names are
 * full of `/`. Percent-encoding just those (plus `%` itself and our `|` separator) keeps
 * keys readable in Storage Explorer and reversible.
 */

// eslint-disable-next-line no-control-regex -- Table Storage forbids control characters in keys
const FORBIDDEN = /[%/\\#?|\u0000-\u001f\u007f-\u009f]/g;

export const KEY_SEPARATOR = '|';
/** Table Storage limit for PartitionKey and RowKey, in characters. */
export const MAX_KEY_LENGTH = 1024;

export function escapeKey(value: string): string {
  return value.replace(FORBIDDEN, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'));
}

export function unescapeKey(value: string): string {
  return value.replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

export function joinKey(...parts: string[]): string {
  const key = parts.map(escapeKey).join(KEY_SEPARATOR);
  if (key.length > MAX_KEY_LENGTH) throw new RangeError(`table key longer than ${MAX_KEY_LENGTH} characters`);
  return key;
}

export function splitKey(key: string): string[] {
  return key.split(KEY_SEPARATOR).map(unescapeKey);
}

/** The partition that holds everything about one repository of one registry. */
export function repositoryKey(registry: string, repository: string): string {
  return joinKey(registry, repository);
}

/**
 * A time as 13 digits that sort newest first: Table Storage returns rows in key order
 * only, so "latest N" is a forward range read instead of a whole-partition scan.
 */
export function invertedTime(iso: string): string {
  return String(9_999_999_999_999 - Date.parse(iso)).padStart(13, '0');
}
