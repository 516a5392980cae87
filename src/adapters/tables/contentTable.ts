import { odata } from '@azure/data-tables';
import type { ImageConfigSummary } from '../../core/imageConfig';
import { escapeKey } from '../../core/keys';
import type { ParsedManifest } from '../../core/manifest';
import { packJson, readJsonRow, unpackJson } from './entities';
import type { Tables } from './tables';

/**
 * Content-addressed records per registry: a digest names immutable bytes, so a manifest
 * or config stored here is never fetched from the registry again, whichever repository
 * or tag it shows up under.
 */

export type StoredConfig = ImageConfigSummary | { error: string };

const manifestKey = (digest: string) => `m|${digest}`;
const configKey = (digest: string) => `c|${digest}`;

export class ContentTable {
  constructor(private readonly tables: Tables) {}

  async getManifest(registry: string, digest: string): Promise<ParsedManifest | undefined> {
    return this.#get<ParsedManifest>(registry, manifestKey(digest));
  }

  async putManifest(registry: string, digest: string, manifest: ParsedManifest): Promise<void> {
    await this.#put(registry, manifestKey(digest), manifest);
  }

  async getConfig(registry: string, digest: string): Promise<StoredConfig | undefined> {
    return this.#get<StoredConfig>(registry, configKey(digest));
  }

  async putConfig(registry: string, digest: string, config: StoredConfig): Promise<void> {
    await this.#put(registry, configKey(digest), config);
  }

  /** Manifests already known, in one round trip per 100 digests rather than one each. */
  async getManifests(registry: string, digests: string[]): Promise<Map<string, ParsedManifest>> {
    const found = new Map<string, ParsedManifest>();
    const client = await this.tables.get('content');
    for (let i = 0; i < digests.length; i += 100) {
      const batch = digests.slice(i, i + 100);
      const rowFilter = batch.map((d) => odata`RowKey eq ${manifestKey(d)}`).join(' or ');
      const entities = client.listEntities<Record<string, unknown>>({
        queryOptions: { filter: odata`PartitionKey eq ${escapeKey(registry)}` + ` and (${rowFilter})` },
      });
      for await (const e of entities) {
        const m = unpackJson<ParsedManifest>(e, 'json');
        if (m) found.set(String(e.rowKey).slice(2), m);
      }
    }
    return found;
  }

  async #get<T>(registry: string, rowKey: string): Promise<T | undefined> {
    const client = await this.tables.get('content');
    return (await readJsonRow<T>(client, escapeKey(registry), rowKey))?.value;
  }

  async #put(registry: string, rowKey: string, value: unknown): Promise<void> {
    const client = await this.tables.get('content');
    // Same digest, same bytes: a concurrent writer stores the identical record, so last-writer-wins is safe.
    await client.upsertEntity({ partitionKey: escapeKey(registry), rowKey, ...packJson('json', value) }, 'Replace');
  }
}
