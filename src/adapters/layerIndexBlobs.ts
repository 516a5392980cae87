import { createGunzip, gzipSync } from 'node:zlib';
import { createInterface } from 'node:readline';
import type { ContainerClient } from '@azure/storage-blob';
import { z } from 'zod';
import type { StorageConnection } from '../config';
import { StoredRecordError } from '../core/errors';
import { FileEntrySchema, type LayerIndex } from '../core/layerIndex';
import { LAYER_INDEX_CONTAINER } from '../names';
import { blobServiceClient, boundedStorageCall, type StorageRetry } from './storage';

/**
 * A layer's file index, one blob per registry and layer digest: gzip'd NDJSON, a header
 * line then one entry per line, so a reader streams it and a person can `zcat` it. A
 * table entity holds 1 MiB; a layer of 100,000 files needs several.
 */

const FORMAT = 'acrsize-layer-index';
const VERSION = 1;

const HeaderSchema = z.object({
  format: z.literal(FORMAT),
  version: z.literal(VERSION),
  digest: z.string(),
  diffId: z.string(),
  uncompressedBytes: z.number().int().nonnegative(),
  entries: z.number().int().nonnegative(),
});

/** Uploads of a few MB: longer tries than a table call's, still bounded. */
export const BLOB_RETRY: StorageRetry = { tryTimeoutMs: 30_000, maxTries: 3, retryDelayMs: 500 };

export class LayerIndexBlobs {
  readonly #container: ContainerClient;
  #created: Promise<unknown> | undefined;

  constructor(
    conn: StorageConnection,
    private readonly retry: StorageRetry = BLOB_RETRY,
  ) {
    this.#container = blobServiceClient(conn).getContainerClient(LAYER_INDEX_CONTAINER);
  }

  static blobName(registry: string, digest: string): string {
    const [algorithm, hex] = digest.split(':');
    return `${registry}/${algorithm}/${hex}.ndjson.gz`;
  }

  async put(registry: string, digest: string, index: LayerIndex): Promise<void> {
    const header = {
      format: FORMAT,
      version: VERSION,
      digest,
      diffId: index.diffId,
      uncompressedBytes: index.uncompressedBytes,
      entries: index.entries.length,
    };
    const lines = [JSON.stringify(header), ...index.entries.map((e) => JSON.stringify(e))];
    const body = gzipSync(lines.join('\n') + '\n');
    await this.#ensureContainer();
    const blob = this.#container.getBlockBlobClient(LayerIndexBlobs.blobName(registry, digest));
    await boundedStorageCall('blob', this.retry, (abortSignal) =>
      blob.uploadData(body, { abortSignal, blobHTTPHeaders: { blobContentType: 'application/x-ndjson', blobContentEncoding: 'gzip' } }),
    );
  }

  /** The index as stored, or undefined when no blob holds it. */
  async get(registry: string, digest: string): Promise<LayerIndex | undefined> {
    const name = LayerIndexBlobs.blobName(registry, digest);
    const blob = this.#container.getBlockBlobClient(name);
    let body: Buffer;
    try {
      body = await boundedStorageCall('blob', this.retry, (abortSignal) => blob.downloadToBuffer(0, undefined, { abortSignal }));
    } catch (e) {
      const status = (e as { statusCode?: number }).statusCode;
      if (status === 404) return undefined;
      throw e;
    }
    return parseIndex(name, body);
  }

  async #ensureContainer(): Promise<void> {
    this.#created ??= boundedStorageCall('blob', this.retry, (abortSignal) => this.#container.createIfNotExists({ abortSignal })).catch((e: unknown) => {
      this.#created = undefined;
      throw e;
    });
    await this.#created;
  }
}

async function parseIndex(name: string, gz: Buffer): Promise<LayerIndex> {
  const bad = (issue: string) => new StoredRecordError(LAYER_INDEX_CONTAINER, name, '', issue);
  const gunzip = createGunzip();
  gunzip.end(gz);
  const lines = createInterface({ input: gunzip, crlfDelay: Infinity });
  let header: z.infer<typeof HeaderSchema> | undefined;
  const entries: LayerIndex['entries'] = [];
  let n = 0;
  try {
    for await (const line of lines) {
      n++;
      if (line === '') continue;
      const json = JSON.parse(line) as unknown;
      if (!header) {
        const h = HeaderSchema.safeParse(json);
        if (!h.success) throw bad(`line 1 is not a ${FORMAT} v${VERSION} header`);
        header = h.data;
        continue;
      }
      const entry = FileEntrySchema.safeParse(json);
      if (!entry.success) throw bad(`line ${n} is not a file entry`);
      entries.push(entry.data);
    }
  } catch (e) {
    if (e instanceof StoredRecordError) throw e;
    throw bad(`unreadable at line ${n + 1}: ${(e as Error).message}`);
  }
  if (!header) throw bad('empty');
  if (entries.length !== header.entries) throw bad(`holds ${entries.length} entries, its header says ${header.entries}`);
  return { entries, uncompressedBytes: header.uncompressedBytes, diffId: header.diffId };
}
