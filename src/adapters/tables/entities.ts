import { odata } from '@azure/data-tables';

/**
 * Table Storage encodings shared by the table adapters. Numbers are stored as Int64
 * because a JS number written plainly becomes Edm.Double (or Int32), and sizes over
 * 2 GiB must round-trip exactly.
 */

export function int64(n: number): bigint {
  if (!Number.isSafeInteger(n)) throw new RangeError(`${n} is not a safe integer`);
  return BigInt(n);
}

export function readInt(value: unknown): number {
  if (typeof value === 'bigint') {
    const n = Number(value);
    if (!Number.isSafeInteger(n)) throw new RangeError(`stored value ${value} exceeds 2^53`);
    return n;
  }
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return readInt(BigInt(value));
  throw new TypeError(`stored value is not an integer: ${String(value)}`);
}

/**
 * A string property holds at most 64 KiB (32K UTF-16 characters); larger JSON is split
 * across `<name>0`, `<name>1`, … and reassembled on read. Entities stay under 1 MiB
 * because callers bound what they store (layers per manifest, step text length).
 */
const CHUNK_CHARS = 30_000;
// Strings are stored as UTF-16: 12 chunks of 30K characters stay well under the 1 MiB entity cap.
export const MAX_JSON_CHARS = 12 * CHUNK_CHARS;

export function packJson(name: string, value: unknown): Record<string, string | number> {
  const text = JSON.stringify(value);
  if (text.length > MAX_JSON_CHARS) throw new RangeError(`${name} is ${text.length} characters, over the ${MAX_JSON_CHARS} an entity can hold`);
  const out: Record<string, string | number> = { [`${name}Chunks`]: Math.max(1, Math.ceil(text.length / CHUNK_CHARS)) };
  for (let i = 0, c = 0; i < Math.max(text.length, 1); i += CHUNK_CHARS, c++) out[`${name}${c}`] = text.slice(i, i + CHUNK_CHARS);
  return out;
}

export function unpackJson<T>(entity: Record<string, unknown>, name: string): T | undefined {
  const chunks = entity[`${name}Chunks`];
  if (typeof chunks !== 'number') return undefined;
  let text = '';
  for (let c = 0; c < chunks; c++) text += String(entity[`${name}${c}`] ?? '');
  return JSON.parse(text) as T;
}

/** Storage SDK errors are RestErrors carrying the HTTP status. */
export function statusOf(e: unknown): number | undefined {
  const status = (e as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

interface JsonRowClient {
  getEntity<T extends object>(partitionKey: string, rowKey: string): Promise<T & { etag: string }>;
  createEntity(entity: { partitionKey: string; rowKey: string }): Promise<unknown>;
  updateEntity(entity: { partitionKey: string; rowKey: string }, mode: 'Replace', options: { etag: string }): Promise<unknown>;
}

/** Reads a row holding one JSON document (`packJson('json', …)`), or undefined when absent. */
export async function readJsonRow<T>(client: JsonRowClient, partitionKey: string, rowKey: string): Promise<{ value: T; etag: string } | undefined> {
  try {
    const entity = await client.getEntity<Record<string, unknown>>(partitionKey, rowKey);
    const value = unpackJson<T>(entity, 'json');
    return value === undefined ? undefined : { value, etag: String(entity.etag) };
  } catch (e) {
    if (statusOf(e) === 404) return undefined;
    throw e;
  }
}

/**
 * Optimistic concurrency on one JSON row: concurrent events for the same image or
 * repository must all land, none overwriting another. `change` reruns on conflict, so it
 * may read other state (it is re-read each time) but must not write; returning an
 * unchanged value skips the write.
 */
export async function updateJsonRow<T>(
  client: JsonRowClient,
  partitionKey: string,
  rowKey: string,
  change: (current: T | undefined) => T | Promise<T>,
  extra: (value: T) => Record<string, unknown> = () => ({}),
): Promise<T> {
  return retryOnConflict(`update ${rowKey}`, 10, async () => {
    const current = await readJsonRow<T>(client, partitionKey, rowKey);
    const next = await change(current?.value);
    if (current && JSON.stringify(next) === JSON.stringify(current.value)) return next;
    const entity = { partitionKey, rowKey, ...extra(next), ...packJson('json', next) };
    if (current) await client.updateEntity(entity, 'Replace', { etag: current.etag });
    else await client.createEntity(entity);
    return next;
  });
}

/** Another writer won the race `tries` times in a row; the queue retries the whole event. */
export class ConflictError extends Error {
  override readonly name = 'ConflictError';
  constructor(
    readonly what: string,
    readonly tries: number,
    options: { cause: unknown },
  ) {
    super(`could not ${what} after ${tries} attempts: other writers kept changing it`, options);
  }
}

/**
 * Optimistic concurrency, one loop for every adapter: runs `attempt` (which must re-read
 * whatever it writes against) again while it loses an ETag race (412) or a create race
 * (409), at most `tries` times.
 */
export async function retryOnConflict<T>(what: string, tries: number, attempt: () => Promise<T>, conflicts: readonly number[] = [412, 409]): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (e) {
      const status = statusOf(e);
      if (status === undefined || !conflicts.includes(status)) throw e;
      if (i >= tries) throw new ConflictError(what, tries, { cause: e });
    }
  }
}

/** The first key after every key that starts with `prefix` (keys here end in a `|` separator). */
export function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/** Rows of one partition whose RowKey starts with `prefix`: a key-range query, never a scan. */
export function prefixFilter(partitionKey: string, prefix: string): string {
  return odata`PartitionKey eq ${partitionKey} and RowKey ge ${prefix} and RowKey lt ${prefixEnd(prefix)}`;
}
