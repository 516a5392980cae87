import { odata } from '@azure/data-tables';
import { CONFIG_PARSER_VERSION, StoredConfigSchema, type StoredConfig } from '../../core/imageConfig';
import type { ContentStore } from '../../services/contentResolver';
import { escapeKey } from '../../core/keys';
import { ParsedManifestSchema, type ParsedManifest } from '../../core/manifest';
import type { z } from 'zod';
import { packJson, readJsonRow, statusOf, unpackJson } from './entities';
import type { Tables } from './tables';

/**
 * Content-addressed records per registry: a digest names immutable bytes, so a manifest
 * or config stored here is never fetched from the registry again, whichever repository
 * or tag it shows up under.
 */

const manifestKey = (digest: string) => `m|${digest}`;
const configKey = (digest: string) => `c|${digest}`;

export class ContentTable implements ContentStore {
  constructor(private readonly tables: Tables) {}

  async getManifest(registry: string, digest: string): Promise<ParsedManifest | undefined> {
    return this.#get(registry, manifestKey(digest), ParsedManifestSchema);
  }

  async putManifest(registry: string, digest: string, manifest: ParsedManifest): Promise<void> {
    await this.#put(registry, manifestKey(digest), manifest);
  }

  /** `stale`: parsed by an older parser (CONFIG_PARSER_VERSION); parse again when the blob can be fetched. */
  async getConfig(registry: string, digest: string): Promise<{ config: StoredConfig; stale: boolean } | undefined> {
    const client = await this.tables.get('content');
    try {
      const entity = await client.getEntity<Record<string, unknown>>(escapeKey(registry), configKey(digest));
      return { config: unpackJson(client.tableName, entity, 'json', StoredConfigSchema), stale: entity.parser !== CONFIG_PARSER_VERSION };
    } catch (e) {
      if (statusOf(e) === 404) return undefined;
      throw e;
    }
  }

  async putConfig(registry: string, digest: string, config: StoredConfig): Promise<void> {
    await this.#put(registry, configKey(digest), config, { parser: CONFIG_PARSER_VERSION });
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
        found.set(String(e.rowKey).slice(2), unpackJson(client.tableName, e, 'json', ParsedManifestSchema));
      }
    }
    return found;
  }

  async #get<S extends z.ZodType>(registry: string, rowKey: string, schema: S): Promise<z.output<S> | undefined> {
    const client = await this.tables.get('content');
    return (await readJsonRow(client, escapeKey(registry), rowKey, schema))?.value;
  }

  async #put(registry: string, rowKey: string, value: unknown, extra: Record<string, unknown> = {}): Promise<void> {
    const client = await this.tables.get('content');
    // Same digest, same bytes: a concurrent writer stores the identical record, so last-writer-wins is safe.
    await client.upsertEntity({ partitionKey: escapeKey(registry), rowKey, ...extra, ...packJson('json', value) }, 'Replace');
  }
}
