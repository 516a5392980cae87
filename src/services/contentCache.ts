import type { StoredConfig } from '../core/imageConfig';
import type { ParsedManifest } from '../core/manifest';
import type { ConfigRecord, ContentStore, RawManifest, StoredManifest } from './contentResolver';

/**
 * Content is immutable by digest, and each event reads some twice or more (the baseline's
 * manifest and config for the new point and again when it settles; a known digest's
 * own). Current parses are kept in process, least recently used out first, so each is
 * read from the table once per instance. Stale parses are never kept: they are read
 * again with their raw bytes, for the resolver to parse anew.
 */
export const CONTENT_CACHE_ENTRIES = 1000;

type Entry = { kind: 'manifest'; manifest: ParsedManifest } | { kind: 'config'; config: StoredConfig };

export class CachedContent implements ContentStore {
  readonly #entries = new Map<string, Entry>();

  constructor(
    private readonly store: ContentStore,
    private readonly capacity = CONTENT_CACHE_ENTRIES,
  ) {}

  async getManifest(registry: string, digest: string): Promise<StoredManifest | undefined> {
    const hit = this.#get(`m|${registry}|${digest}`);
    if (hit?.kind === 'manifest') return { manifest: hit.manifest, stale: false };
    const stored = await this.store.getManifest(registry, digest);
    if (stored && !stored.stale) this.#set(`m|${registry}|${digest}`, { kind: 'manifest', manifest: stored.manifest });
    return stored;
  }

  async putManifest(registry: string, digest: string, manifest: ParsedManifest, raw?: RawManifest, config?: ConfigRecord): Promise<void> {
    await this.store.putManifest(registry, digest, manifest, raw, config);
    this.#set(`m|${registry}|${digest}`, { kind: 'manifest', manifest });
    if (config) this.#set(`c|${registry}|${config.digest}`, { kind: 'config', config: config.config });
  }

  async getManifests(registry: string, digests: string[]): Promise<Map<string, ParsedManifest>> {
    const found = new Map<string, ParsedManifest>();
    const missing: string[] = [];
    for (const d of digests) {
      const hit = this.#get(`m|${registry}|${d}`);
      if (hit?.kind === 'manifest') found.set(d, hit.manifest);
      else missing.push(d);
    }
    if (missing.length === 0) return found;
    for (const [d, manifest] of await this.store.getManifests(registry, missing)) {
      this.#set(`m|${registry}|${d}`, { kind: 'manifest', manifest });
      found.set(d, manifest);
    }
    return found;
  }

  async getConfig(registry: string, digest: string): Promise<{ config: StoredConfig; stale: boolean } | undefined> {
    const hit = this.#get(`c|${registry}|${digest}`);
    if (hit?.kind === 'config') return { config: hit.config, stale: false };
    const stored = await this.store.getConfig(registry, digest);
    if (stored && !stored.stale) this.#set(`c|${registry}|${digest}`, { kind: 'config', config: stored.config });
    return stored;
  }

  async putConfig(registry: string, digest: string, config: StoredConfig): Promise<void> {
    await this.store.putConfig(registry, digest, config);
    this.#set(`c|${registry}|${digest}`, { kind: 'config', config });
  }

  #get(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry) {
      this.#entries.delete(key);
      this.#entries.set(key, entry);
    }
    return entry;
  }

  #set(key: string, entry: Entry): void {
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    if (this.#entries.size > this.capacity) this.#entries.delete(this.#entries.keys().next().value!);
  }
}
