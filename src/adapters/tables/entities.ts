import { odata, type TableClient } from '@azure/data-tables';
import type { z } from 'zod';
import { StoredRecordError } from '../../core/errors';
import { describeIssues } from '../../core/validation';

/**
 * Table Storage encodings shared by the table adapters. Numbers are stored as Int64
 * because a JS number written plainly becomes Edm.Double (or Int32), and sizes over
 * 2 GiB must round-trip exactly.
 */

export function int64(n: number): bigint {
  if (!Number.isSafeInteger(n)) throw new RangeError(`${n} is not a safe integer`);
  return BigInt(n);
}

/**
 * An integer column as a number, for a schema to check: anything that is not a stored
 * integer within 2^53 is passed on as it is, for the schema to refuse and name.
 */
export function intColumn(value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value;
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return intColumn(BigInt(value));
  return value;
}

/**
 * An optional column, as a property only when it holds something: absent optional
 * columns are written as '' where a Merge has to clear them.
 */
export function optionalColumn(entity: Record<string, unknown>, name: string): Record<string, unknown> {
  const value = entity[name];
  return value === undefined || value === null || value === '' ? {} : { [name]: value };
}

/** A column holding JSON text (`JSON.stringify` of a small value), parsed for a schema to check. */
export function jsonColumn(table: string, entity: Record<string, unknown>, name: string): unknown {
  const text = entity[name];
  if (typeof text !== 'string') return text;
  try {
    return JSON.parse(text);
  } catch {
    throw rowError(table, entity, `${name}: not valid JSON`);
  }
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

/**
 * A binary property holds at most 64 KiB: bytes are split across `<name>0`, `<name>1`, …
 * (`<name>Chunks` of them), like JSON text, but stored as Edm.Binary, one byte a byte
 * where a string costs two.
 */
const BYTES_CHUNK = 64 * 1024;

export function packBytes(name: string, bytes: Uint8Array): Record<string, number | Uint8Array> {
  const out: Record<string, number | Uint8Array> = { [`${name}Chunks`]: Math.ceil(bytes.length / BYTES_CHUNK) };
  for (let i = 0, c = 0; i < bytes.length; i += BYTES_CHUNK, c++) out[`${name}${c}`] = bytes.subarray(i, i + BYTES_CHUNK);
  return out;
}

/** The bytes `packBytes(name, …)` wrote, or undefined when the row holds none under `name`. */
export function unpackBytes(table: string, entity: Record<string, unknown>, name: string): Buffer | undefined {
  const chunks = entity[`${name}Chunks`];
  if (chunks === undefined) return undefined;
  if (typeof chunks !== 'number' || !Number.isInteger(chunks) || chunks < 0)
    throw rowError(table, entity, `${name}Chunks: expected a chunk count, got ${describeValue(chunks)}`);
  const parts: Uint8Array[] = [];
  for (let c = 0; c < chunks; c++) {
    const part = entity[`${name}${c}`];
    if (!(part instanceof Uint8Array)) throw rowError(table, entity, `${name}${c}: expected part ${c + 1} of ${chunks} as binary, got ${describeValue(part)}`);
    parts.push(part);
  }
  return Buffer.concat(parts);
}

/** The most an entity may hold, keys and property names included. */
export const MAX_ENTITY_BYTES = 1024 * 1024;

/**
 * An entity's size as Table Storage counts it against MAX_ENTITY_BYTES (the documented
 * formula: 4 bytes, the keys at 2 bytes a character, and per property 8 bytes, its name
 * at 2 bytes a character and its value), to decide what fits before writing it.
 */
export function entityBytes(entity: Record<string, unknown>): number {
  let size = 4 + (String(entity.partitionKey).length + String(entity.rowKey).length) * 2;
  for (const [name, value] of Object.entries(entity)) {
    if (name !== 'partitionKey' && name !== 'rowKey') size += 8 + name.length * 2 + valueBytes(value);
  }
  return size;
}

function valueBytes(value: unknown): number {
  if (typeof value === 'string') return 4 + value.length * 2;
  if (value instanceof Uint8Array) return 4 + value.length;
  if (typeof value === 'boolean') return 1;
  if (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) < 2 ** 31) return 4;
  if (typeof value === 'number' || typeof value === 'bigint' || value instanceof Date) return 8;
  throw new TypeError(`no Table Storage size for a ${typeof value}`);
}

/** The StoredRecordError for a row of `table`; a query's `select` must include the keys for the error to name it. */
export function rowError(table: string, entity: Record<string, unknown>, issues: string): StoredRecordError {
  return new StoredRecordError(table, String(entity.partitionKey), String(entity.rowKey), issues);
}

/**
 * What a row holds, checked against the schema of what is written there: what is read
 * back from storage is a boundary like any other.
 */
export function parseRow<S extends z.ZodType>(table: string, entity: Record<string, unknown>, schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw rowError(table, entity, describeIssues(parsed.error));
  return parsed.data;
}

/** The JSON document `packJson(name, …)` wrote, reassembled and checked against `schema`. */
export function unpackJson<S extends z.ZodType>(table: string, entity: Record<string, unknown>, name: string, schema: S): z.output<S> {
  const chunks = entity[`${name}Chunks`];
  if (typeof chunks !== 'number' || !Number.isInteger(chunks) || chunks < 1)
    throw rowError(table, entity, `${name}Chunks: expected a chunk count, got ${describeValue(chunks)}`);
  let text = '';
  for (let c = 0; c < chunks; c++) {
    const part = entity[`${name}${c}`];
    if (typeof part !== 'string') throw rowError(table, entity, `${name}${c}: expected part ${c + 1} of ${chunks} of the JSON, got ${describeValue(part)}`);
    text += part;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw rowError(table, entity, `${name}: not valid JSON`);
  }
  return parseRow(table, entity, schema, json);
}

/** A stored value's type, never the value: it may be large, and rows hold things like route URLs. */
function describeValue(value: unknown): string {
  return value === undefined ? 'nothing' : `a ${typeof value}`;
}

/** Storage SDK errors are RestErrors carrying the HTTP status. */
export function statusOf(e: unknown): number | undefined {
  const status = (e as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

interface JsonRowClient {
  readonly tableName: string;
  getEntity<T extends object>(partitionKey: string, rowKey: string): Promise<T & { etag: string }>;
  createEntity(entity: { partitionKey: string; rowKey: string }): Promise<{ etag?: string }>;
  updateEntity(entity: { partitionKey: string; rowKey: string }, mode: 'Replace', options: { etag: string }): Promise<{ etag?: string }>;
}

/** Reads a row holding one JSON document (`packJson('json', …)`) of `schema`, or undefined when absent. */
export async function readJsonRow<S extends z.ZodType>(
  client: JsonRowClient,
  partitionKey: string,
  rowKey: string,
  schema: S,
): Promise<{ value: z.output<S>; etag: string } | undefined> {
  let entity: Record<string, unknown>;
  try {
    entity = await client.getEntity<Record<string, unknown>>(partitionKey, rowKey);
  } catch (e) {
    if (statusOf(e) === 404) return undefined;
    throw e;
  }
  return { value: unpackJson(client.tableName, entity, 'json', schema), etag: String(entity.etag) };
}

/** A read of a JSON row kept for a later update of it: the row as read (absent: undefined) and its ETag. */
export interface JsonRowRead<T> {
  row: { value: T; etag: string } | undefined;
  /** Remembered from an earlier event rather than read by this one: a change that leaves it as it was is written all the same, conditional on its ETag, since the row itself may have changed or gone since. */
  remembered?: true;
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
  schema: z.ZodType<T>,
  change: (current: T | undefined) => T | Promise<T>,
  extra: (value: T) => Record<string, unknown> = () => ({}),
  first?: JsonRowRead<T>,
  /** Told the row as it stands after the update (the written value and its ETag, or the unchanged one). */
  stored?: (row: { value: T; etag: string }) => void,
): Promise<T> {
  // The caller's own earlier read stands in for the first one; a conflict reads afresh.
  let known = first;
  // 404: the row was deleted since it was read (an operator's repair, or a cached read): read again, create it.
  return retryOnConflict(
    `update ${rowKey}`,
    10,
    async () => {
      const remembered = known?.remembered === true;
      const current = known ? known.row : await readJsonRow(client, partitionKey, rowKey, schema);
      known = undefined;
      const next = await change(current?.value);
      if (current && !remembered && JSON.stringify(next) === JSON.stringify(current.value)) {
        stored?.(current);
        return next;
      }
      const entity = { partitionKey, rowKey, ...extra(next), ...packJson('json', next) };
      const answer = current ? await client.updateEntity(entity, 'Replace', { etag: current.etag }) : await client.createEntity(entity);
      if (answer.etag) stored?.({ value: next, etag: answer.etag });
      return next;
    },
    [412, 409, 404],
  );
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

/**
 * Table Storage allows at most 15 discrete comparisons in a `$filter` (the REST
 * reference, "Querying tables and entities"): one for the partition, 14 row keys.
 */
export const KEYS_PER_LOOKUP = 14;

/**
 * The rows of one partition among `rowKeys` that exist, by RowKey: one query per 14 keys,
 * in parallel, instead of one point read per key.
 */
export async function lookupRows(
  client: Pick<TableClient, 'listEntities'>,
  partitionKey: string,
  rowKeys: readonly string[],
): Promise<Map<string, Record<string, unknown>>> {
  const found = new Map<string, Record<string, unknown>>();
  const batches: string[][] = [];
  for (let i = 0; i < rowKeys.length; i += KEYS_PER_LOOKUP) batches.push(rowKeys.slice(i, i + KEYS_PER_LOOKUP));
  await Promise.all(
    batches.map(async (batch) => {
      const rows = batch.map((rk) => odata`RowKey eq ${rk}`).join(' or ');
      const filter = odata`PartitionKey eq ${partitionKey}` + ` and (${rows})`;
      for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) found.set(String(e.rowKey), e);
    }),
  );
  return found;
}
