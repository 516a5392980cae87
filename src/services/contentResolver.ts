import { PermanentError } from '../core/errors';
import { parseImageConfig, type StoredConfig } from '../core/imageConfig';
import { parseManifest, type ImageManifest, type ParsedManifest } from '../core/manifest';
import { IMAGE_CONFIG_TYPES } from '../core/mediaTypes';
import { buildPlatformImage, type PlatformImage } from '../core/sizing';

/** Reads manifests and config blobs from a registry (with the service's identity). */
export interface FetchedManifest {
  digest: string;
  mediaType: string;
  content: Buffer;
}

/** A manifest as served: the bytes and the media type they were served with. */
export type RawManifest = Pick<FetchedManifest, 'mediaType' | 'content'>;

/** A manifest as stored by digest. */
export interface StoredManifest {
  manifest: ParsedManifest;
  /** Parsed by an older parser (MANIFEST_PARSER_VERSION): parse again, from `raw` or the registry. */
  stale: boolean;
  /** What it was parsed from, when the row could hold it. */
  raw?: RawManifest;
}

export interface RegistryReader {
  getManifest(registry: string, repository: string, digest: string): Promise<FetchedManifest>;
  getBlob(registry: string, repository: string, digest: string): Promise<Buffer>;
}

/** Content stored by digest, per registry: a digest names immutable bytes. */
export interface ContentStore {
  getManifest(registry: string, digest: string): Promise<StoredManifest | undefined>;
  /**
   * `raw` is kept with the parse when the row can hold it, so a later parser can parse it
   * again without the registry. `config`, the manifest's config blob read with it, is
   * stored in the same write.
   */
  putManifest(registry: string, digest: string, manifest: ParsedManifest, raw?: RawManifest, config?: ConfigRecord): Promise<void>;
  /** Manifests among `digests` stored by the current parser; stale ones are left out, for `getManifest` to report. */
  getManifests(registry: string, digests: string[]): Promise<Map<string, ParsedManifest>>;
  /** `stale`: parsed by an older parser; parse again when the blob can be fetched. */
  getConfig(registry: string, digest: string): Promise<{ config: StoredConfig; stale: boolean } | undefined>;
  putConfig(registry: string, digest: string, config: StoredConfig): Promise<void>;
}

/** A parsed config blob and its digest. */
export interface ConfigRecord {
  digest: string;
  config: StoredConfig;
}

/** For reads that answer from what is stored: they never reach out to a registry. */
export const storedOnly: RegistryReader = {
  getManifest: async (_r, _p, digest) => {
    throw new PermanentError(`manifest ${digest} is not stored`);
  },
  getBlob: async (_r, _p, digest) => {
    throw new PermanentError(`blob ${digest} is not stored`);
  },
};

/**
 * Resolves digests to parsed content, stored first, registry second. Every registry
 * fetch is written back before anything is made of it, so a retry after a transient
 * failure resumes where the last attempt stopped instead of fetching again. An image
 * manifest the table did not hold is written with its config, in one request: its config
 * is not looked up in the table either (a new manifest almost always names a new config,
 * and the registry is asked for it in any case when the table lacks it).
 */
export class ContentResolver {
  /** Logical registry requests this resolver made (manifest and blob GETs, not SDK retries). */
  registryRequests = 0;
  /** Image manifests parsed but not yet written, by digest: they are written with their config. */
  readonly #unwritten = new Map<string, { raw: RawManifest; fetched: boolean }>();
  readonly #absent = new Set<string>();

  constructor(
    private readonly content: ContentStore,
    private readonly registry: RegistryReader,
    private readonly registryName: string,
    private readonly repository: string,
  ) {}

  /**
   * A stored parse by an older parser is parsed again: from the bytes stored with it, or
   * else fetched again. When the registry no longer has them (or this resolver reads
   * stored content only), the older parse is served rather than none.
   */
  async manifest(digest: string, known?: Map<string, ParsedManifest>): Promise<ParsedManifest> {
    const current = known?.get(digest);
    if (current) return current;
    const stored = await this.content.getManifest(this.registryName, digest);
    if (!stored) this.#absent.add(digest);
    if (stored && !stored.stale) return stored.manifest;
    if (stored?.raw) return this.#parseAndStore(digest, stored.raw, false);
    this.registryRequests++;
    let fetched: FetchedManifest;
    try {
      fetched = await this.registry.getManifest(this.registryName, this.repository, digest);
    } catch (e) {
      if (stored && e instanceof PermanentError) return stored.manifest;
      throw e;
    }
    return this.#parseAndStore(digest, fetched);
  }

  async #parseAndStore(digest: string, raw: RawManifest, fetched = true): Promise<ParsedManifest> {
    const parsed = parseManifest(raw.content, raw.mediaType);
    const bytes = { mediaType: raw.mediaType, content: raw.content };
    if (parsed.kind === 'image' && IMAGE_CONFIG_TYPES.has(parsed.config.mediaType)) this.#unwritten.set(digest, { raw: bytes, fetched });
    else await this.content.putManifest(this.registryName, digest, parsed, bytes);
    return parsed;
  }

  /**
   * Whether this resolver found no stored row of the manifest. Content is stored before a
   * point is made of it and never removed, so no trend point names such a digest yet. An
   * image record may (a delete delivered before its push, an attempt that failed).
   */
  firstSeen(digest: string): boolean {
    return this.#absent.has(digest);
  }

  /** Manifests among `digests` stored by the current parser, fetched from the table in one query. */
  async knownManifests(digests: string[]): Promise<Map<string, ParsedManifest>> {
    return this.content.getManifests(this.registryName, digests);
  }

  async platformImage(digest: string, manifest: ImageManifest, indexPlatform?: string): Promise<PlatformImage> {
    const unwritten = this.#unwritten.get(digest);
    this.#unwritten.delete(digest);
    let read: { config?: StoredConfig; fetched: boolean };
    try {
      read = await this.#config(manifest, unwritten?.fetched === true);
    } catch (e) {
      // Keep what was fetched, so the retry asks the registry for the config alone.
      if (unwritten) await this.content.putManifest(this.registryName, digest, manifest, unwritten.raw);
      throw e;
    }
    const { config, fetched } = read;
    const fresh = config && fetched ? { digest: manifest.config.digest, config } : undefined;
    if (unwritten) await this.content.putManifest(this.registryName, digest, manifest, unwritten.raw, fresh);
    else if (fresh) await this.content.putConfig(this.registryName, fresh.digest, fresh.config);
    return buildPlatformImage(digest, manifest, config && !('error' in config) ? config : undefined, indexPlatform);
  }

  /** @returns the manifest's config, and whether it came from the registry (and is to be written). */
  async #config(manifest: ImageManifest, newManifest: boolean): Promise<{ config?: StoredConfig; fetched: boolean }> {
    // Artifacts (Helm charts, signatures, SBOMs) carry other configs; they have no history or platform to read.
    if (!IMAGE_CONFIG_TYPES.has(manifest.config.mediaType)) return { fetched: false };
    const digest = manifest.config.digest;
    const stored = newManifest ? undefined : await this.content.getConfig(this.registryName, digest);
    if (stored && !stored.stale) return { config: stored.config, fetched: false };
    this.registryRequests++;
    let blob: Buffer;
    try {
      blob = await this.registry.getBlob(this.registryName, this.repository, digest);
    } catch (e) {
      // An older reading beats none: the blob may be gone, or this resolver may read stored content only.
      if (stored && e instanceof PermanentError) return { config: stored.config, fetched: false };
      throw e;
    }
    return { config: parseImageConfig(blob), fetched: true };
  }
}
