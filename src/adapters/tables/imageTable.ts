import { ImageRecordSchema, type ImageRecord } from '../../core/image';
import { repositoryKey } from '../../core/keys';
import { readJsonRow, updateJsonRow, type JsonRowRead } from './entities';
import type { ImageRead, ImageStore } from '../../services/ingest';
import type { Tables } from './tables';

/** Per-repository image records, keyed by manifest digest within the repository's partition. */
export class ImageTable implements ImageStore {
  constructor(private readonly tables: Tables) {}

  async get(registry: string, repository: string, digest: string): Promise<ImageRecord | undefined> {
    const client = await this.tables.get('images');
    return (await readJsonRow(client, repositoryKey(registry, repository), digest, ImageRecordSchema))?.value;
  }

  /** The record with what `update` needs to change it without reading it again. */
  async read(registry: string, repository: string, digest: string): Promise<ImageRead & JsonRowRead<ImageRecord>> {
    const client = await this.tables.get('images');
    const row = await readJsonRow(client, repositoryKey(registry, repository), digest, ImageRecordSchema);
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
    // status and tags as plain columns too, so the table reads sensibly in Storage Explorer.
    const columns = (r: ImageRecord) => ({ status: r.status, tags: r.tags.join(',') });
    return updateJsonRow(
      client,
      repositoryKey(registry, repository),
      digest,
      ImageRecordSchema,
      change,
      columns,
      first && 'row' in first ? (first as JsonRowRead<ImageRecord>) : first?.absent ? { row: undefined } : undefined,
    );
  }
}
