import { z } from 'zod';
import { CONFIG_PARSER_VERSION, StoredConfigSchema, type StoredConfig } from '../../core/imageConfig';
import type { ConfigRecord, ContentStore, RawManifest, StoredManifest } from '../../services/contentResolver';
import { escapeKey } from '../../core/keys';
import { isCurrentManifestParse, MANIFEST_PARSER_VERSION, ParsedManifestSchema, type ParsedManifest } from '../../core/manifest';
import { entityBytes, lookupRows, MAX_ENTITY_BYTES, packBytes, packJson, parseRow, statusOf, unpackBytes, unpackJson } from './entities';
import type { Tables } from './tables';

/**
 * Content-addressed records per registry: a digest names immutable bytes, so a manifest
 * or config stored here is never fetched from the registry again, whichever repository
 * or tag it shows up under, unless an older parser read it. Each row carries `parser`,
 * the version of the parser that made it; manifest rows also keep the bytes they were
 * parsed from (`raw`, with `rawMediaType`) when the row can hold them, so a newer parser
 * can read them again without the registry.
 */

const manifestKey = (digest: string) => `m|${digest}`;
const configKey = (digest: string) => `c|${digest}`;

const configRow = (registry: string, digest: string, config: StoredConfig) => ({
  partitionKey: escapeKey(registry),
  rowKey: configKey(digest),
  parser: CONFIG_PARSER_VERSION,
  ...packJson('json', config),
});

const RawColumnsSchema = z.object({ rawMediaType: z.string() });

export class ContentTable implements ContentStore {
  constructor(private readonly tables: Tables) {}

  async getManifest(registry: string, digest: string): Promise<StoredManifest | undefined> {
    const client = await this.tables.get('content');
    const entity = await this.#entity(registry, manifestKey(digest));
    if (!entity) return undefined;
    const manifest = unpackJson(client.tableName, entity, 'json', ParsedManifestSchema);
    const content = unpackBytes(client.tableName, entity, 'raw');
    const raw = content && { mediaType: parseRow(client.tableName, entity, RawColumnsSchema, entity).rawMediaType, content };
    return { manifest, stale: !isCurrentManifestParse(entity.parser), ...(raw ? { raw } : {}) };
  }

  async putManifest(registry: string, digest: string, manifest: ParsedManifest, raw?: RawManifest, config?: ConfigRecord): Promise<void> {
    const parse = { partitionKey: escapeKey(registry), rowKey: manifestKey(digest), parser: MANIFEST_PARSER_VERSION, ...packJson('json', manifest) };
    const withRaw = raw && { ...parse, rawMediaType: raw.mediaType, ...packBytes('raw', raw.content) };
    // A manifest may be 4 MiB, an entity 1 MiB: one too large to keep is fetched again when its parse is stale.
    const row = withRaw && entityBytes(withRaw) <= MAX_ENTITY_BYTES ? withRaw : parse;
    if (!config) return this.#put(row);
    // Both rows share the registry's partition: one entity-group transaction (two rows of at most 1 MiB each, under its 4 MiB).
    const client = await this.tables.get('content');
    await client.submitTransaction([
      ['upsert', row, 'Replace'],
      ['upsert', configRow(registry, config.digest, config.config), 'Replace'],
    ]);
  }

  /** `stale`: parsed by an older parser (CONFIG_PARSER_VERSION); parse again when the blob can be fetched. */
  async getConfig(registry: string, digest: string): Promise<{ config: StoredConfig; stale: boolean } | undefined> {
    const client = await this.tables.get('content');
    const entity = await this.#entity(registry, configKey(digest));
    return entity && { config: unpackJson(client.tableName, entity, 'json', StoredConfigSchema), stale: entity.parser !== CONFIG_PARSER_VERSION };
  }

  async putConfig(registry: string, digest: string, config: StoredConfig): Promise<void> {
    await this.#put(configRow(registry, digest, config));
  }

  /**
   * Manifests already known, in one round trip per 14 digests (the most one filter may
   * name) rather than one each. Only current parses count as known: a stale one is read
   * again alone, with its raw bytes.
   */
  async getManifests(registry: string, digests: string[]): Promise<Map<string, ParsedManifest>> {
    const found = new Map<string, ParsedManifest>();
    const client = await this.tables.get('content');
    const rows = await lookupRows(client, escapeKey(registry), [...new Set(digests)].map(manifestKey));
    for (const [rowKey, e] of rows) {
      if (isCurrentManifestParse(e.parser)) found.set(rowKey.slice(2), unpackJson(client.tableName, e, 'json', ParsedManifestSchema));
    }
    return found;
  }

  async #entity(registry: string, rowKey: string): Promise<Record<string, unknown> | undefined> {
    const client = await this.tables.get('content');
    try {
      return await client.getEntity<Record<string, unknown>>(escapeKey(registry), rowKey);
    } catch (e) {
      if (statusOf(e) === 404) return undefined;
      throw e;
    }
  }

  async #put(entity: { partitionKey: string; rowKey: string; [property: string]: unknown }): Promise<void> {
    const client = await this.tables.get('content');
    // Same digest, same bytes: a concurrent writer stores the identical record, so last-writer-wins is safe.
    await client.upsertEntity(entity, 'Replace');
  }
}
