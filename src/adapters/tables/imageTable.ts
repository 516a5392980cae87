import { ImageRecordSchema, type ImageRecord } from '../../core/image';
import { repositoryKey } from '../../core/keys';
import { readJsonRow, updateJsonRow, type JsonRowRead } from './entities';
import type { ImageRead, ImageStore } from '../../services/ingest';
import type { Tables } from './tables';

/** Records whose last known ETag is kept: a digest pushed again (a new tag) is updated without reading first. */
const KNOWN_ROWS = 1000;

/**
 * Per-repository image records, keyed by manifest digest within the repository's
 * partition. The record this instance last wrote or read is kept with its ETag, and a
 * push's read answers it without a request (`remembered`): its update is conditional on
 * that ETag, so when another instance changed the record since, the update reads it again.
 */
export class ImageTable implements ImageStore {
  readonly #known = new Map<string, { value: ImageRecord; etag: string }>();

  constructor(private readonly tables: Tables) {}

  #remember(key: string, row: { value: ImageRecord; etag: string }): void {
    this.#known.delete(key);
    this.#known.set(key, row);
    if (this.#known.size > KNOWN_ROWS) this.#known.delete(this.#known.keys().next().value!);
  }

  async get(registry: string, repository: string, digest: string): Promise<ImageRecord | undefined> {
    const client = await this.tables.get('images');
    return (await readJsonRow(client, repositoryKey(registry, repository), digest, ImageRecordSchema))?.value;
  }

  /** The record with what `update` needs to change it without reading it again: remembered, or read. */
  async read(registry: string, repository: string, digest: string): Promise<ImageRead & JsonRowRead<ImageRecord>> {
    const key = `${repositoryKey(registry, repository)}|${digest}`;
    const known = this.#known.get(key);
    if (known) return { record: known.value, row: known, remembered: true };
    const client = await this.tables.get('images');
    const row = await readJsonRow(client, repositoryKey(registry, repository), digest, ImageRecordSchema);
    if (row) this.#remember(key, row);
    return { record: row?.value, row };
  }

  async update(
    registry: string,
    repository: string,
    digest: string,
    change: (existing: ImageRecord | undefined) => ImageRecord,
    first?: ImageRead,
  ): Promise<ImageRecord> {
    const client = await this.tables.get('images');
    const key = `${repositoryKey(registry, repository)}|${digest}`;
    // status and tags as plain columns too, so the table reads sensibly in Storage Explorer.
    const columns = (r: ImageRecord) => ({ status: r.status, tags: r.tags.join(',') });
    try {
      return await updateJsonRow(
        client,
        repositoryKey(registry, repository),
        digest,
        ImageRecordSchema,
        change,
        columns,
        first && 'row' in first ? (first as JsonRowRead<ImageRecord>) : first?.absent ? { row: undefined } : undefined,
        (row) => this.#remember(key, row),
      );
    } catch (e) {
      this.#known.delete(key);
      throw e;
    }
  }
}
