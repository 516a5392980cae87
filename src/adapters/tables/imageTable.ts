import { ImageRecordSchema, type ImageRecord } from '../../core/image';
import { repositoryKey } from '../../core/keys';
import { readJsonRow, updateJsonRow } from './entities';
import type { Tables } from './tables';

/** Per-repository image records, keyed by manifest digest within the repository's partition. */
export class ImageTable {
  constructor(private readonly tables: Tables) {}

  async get(registry: string, repository: string, digest: string): Promise<ImageRecord | undefined> {
    const client = await this.tables.get('images');
    return (await readJsonRow(client, repositoryKey(registry, repository), digest, ImageRecordSchema))?.value;
  }

  async update(registry: string, repository: string, digest: string, change: (existing: ImageRecord | undefined) => ImageRecord): Promise<ImageRecord> {
    const client = await this.tables.get('images');
    // status and tags as plain columns too, so the table reads sensibly in Storage Explorer.
    return updateJsonRow(client, repositoryKey(registry, repository), digest, ImageRecordSchema, change, (r) => ({ status: r.status, tags: r.tags.join(',') }));
  }
}
