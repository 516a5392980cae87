import type { FetchedManifest } from './contentResolver';

/**
 * What a registry holds, listed: repositories, their tags, and (where the registry offers
 * it) their manifests. Backfill and reconcile read a registry through this alone, so the
 * ACR path (`/acr/v1/…` through `ContainerRegistryClient`) and the OCI Distribution path
 * (`/v2/_catalog`, `/v2/<name>/tags/list`) are interchangeable to them.
 *
 * Cursors are opaque strings a caller stores and hands back to continue a listing where
 * it stopped (after a crash, in the next queued unit); `undefined` starts from the top.
 */
export interface RegistryCatalog {
  /** Whether `tags` can order by last update (ACR): a reconcile then reads only what changed since its watermark. */
  readonly ordersTagsByUpdate: boolean;
  /** One page of repository names, in the registry's (lexical) order. */
  repositories(registry: string, opts?: PageOptions): Promise<Page<string>>;
  /**
   * One page of a repository's tags. Distribution lists names only, lexically; ACR adds
   * each tag's digest and times, and can order by last update (newest first), which is
   * what lets a reconcile stop at its watermark.
   */
  tags(registry: string, repository: string, opts?: PageOptions & { order?: TagOrder }): Promise<Page<TagEntry>>;
  /**
   * A tag's manifest, fetched by tag: its digest (the sha256 of the bytes served, checked
   * against `Docker-Content-Digest`) and bytes, for a catalog whose tag listing has no
   * digests. Undefined when the tag is gone (404).
   */
  manifestByTag(registry: string, repository: string, tag: string): Promise<FetchedManifest | undefined>;
  /** Whether a manifest still exists (HEAD by digest): false only on 404. */
  manifestExists(registry: string, repository: string, digest: string): Promise<boolean>;
  /**
   * One page of every manifest of a repository, tagged or not, with its tags and times.
   * Only ACR offers this listing; `undefined` from a catalog that cannot list manifests.
   */
  manifests?(registry: string, repository: string, opts?: PageOptions): Promise<Page<ManifestEntry>>;
}

export interface PageOptions {
  /** Continue after this cursor (from an earlier page's `next`). */
  cursor?: string;
  /** Entries per page asked for; the registry may answer fewer. */
  pageSize?: number;
}

export type TagOrder = 'name' | 'lastUpdatedDescending';

export interface Page<T> {
  items: T[];
  /** Where the next page starts; absent on the last page. */
  next?: string;
}

export interface TagEntry {
  tag: string;
  /** Known from the listing (ACR); absent when only `manifestByTag` can say (Distribution). */
  digest?: string;
  /** The registry's own times (ACR `createdTime` / `lastUpdateTime`), ISO 8601 UTC, millisecond precision. */
  createdAt?: string;
  updatedAt?: string;
}

export interface ManifestEntry {
  digest: string;
  tags: string[];
  mediaType?: string;
  createdAt?: string;
  updatedAt?: string;
}

/**
 * Every HTTP request a catalog sends (retries included) passes `gate` first, so one rate
 * applies across instances (BACKFILL_REQUESTS_PER_SECOND); a 429 reports its Retry-After
 * to `throttled`, which pauses every instance, before the request is tried again.
 */
export interface RequestGate {
  gate(registry: string): Promise<void>;
  throttled(registry: string, retryAfterMs: number): Promise<void>;
}
