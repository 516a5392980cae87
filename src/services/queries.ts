import type { ContentAnalysisStore } from './contentAnalysis';
import { contentView } from './contentView';
import { isFailure, type ImageRecord, type PlatformSummary } from '../core/image';
import type { PlatformImage } from '../core/sizing';
import { latestPoint, type RepositorySummary } from '../core/repository';
import type { TrendPoint } from '../core/trend';
import { ContentResolver, storedOnly, type ContentStore } from './contentResolver';
import type { PlatformDetail } from '../http/contract/image';

export interface TrendQuery {
  registry: string;
  repository: string;
  tag?: string;
  platform?: string;
  since?: string;
  until?: string;
  limit: number;
  /** RowKey of the last point already returned. */
  after?: string;
}

/** The trend's points, page by page, oldest first. */
export interface TrendReader {
  query(q: TrendQuery): Promise<{ points: TrendPoint[]; last?: string; more: boolean }>;
  /** Whether the repository has any point at all. */
  any(registry: string, repository: string): Promise<boolean>;
  /** Points of a platform manifest, any tag: they name the index it was pushed in. */
  ofDigest(registry: string, repository: string, digest: string): Promise<{ point: TrendPoint }[]>;
}

export interface RepositoryPageQuery {
  limit: number;
  /** RowKey of the last repository already returned. */
  after?: string;
}

/** A page of the registry's repositories in key order; `last` is the RowKey to continue after. */
export interface RepositoryPage {
  repositories: RepositorySummary[];
  last?: string;
  more: boolean;
}

export interface QueryStores {
  content: ContentStore;
  images: { get(registry: string, repository: string, digest: string): Promise<ImageRecord | undefined> };
  points: TrendReader;
  repositories: {
    get(registry: string, repository: string): Promise<RepositorySummary | undefined>;
    list(registry: string, q: RepositoryPageQuery): Promise<RepositoryPage>;
  };
}

export async function getTrend(stores: QueryStores, q: TrendQuery): Promise<{ known: false } | { known: true; points: TrendPoint[]; after?: string }> {
  const page = await stores.points.query(q);
  // The points are the truth; a missing summary row (a crash before it was written) must not hide them.
  if (
    page.points.length === 0 &&
    !q.after &&
    !(await stores.repositories.get(q.registry, q.repository)) &&
    !(await stores.points.any(q.registry, q.repository))
  ) {
    return { known: false };
  }
  return { known: true, points: page.points, ...(page.more && page.last ? { after: page.last } : {}) };
}

export type PlatformLookup =
  { ok: true; image: PlatformImage; record: ImageRecord; indexDigest?: string } | { ok: false; status: 400 | 404; error: string; platforms?: string[] };

/**
 * A stored platform image by its own digest, or by an index digest and a platform. An
 * index with a single platform needs no `platform`.
 */
export async function findPlatformImage(stores: QueryStores, registry: string, repository: string, digest: string, platform?: string): Promise<PlatformLookup> {
  const record = await stores.images.get(registry, repository, digest);
  if (!record) {
    // A platform manifest pushed only inside its index (Distribution, a backfill) has no record of its own, yet
    // its points, baselines and alerts name it: found through the index its points name.
    const indexDigest = (await stores.points.ofDigest(registry, repository, digest)).find((p) => p.point.indexDigest)?.point.indexDigest;
    if (indexDigest) {
      const index = await stores.images.get(registry, repository, indexDigest);
      const entry = index?.platforms.find((p): p is PlatformSummary => !isFailure(p) && p.digest === digest);
      if (index && entry && (!platform || platform === entry.platform)) return findPlatformImage(stores, registry, repository, indexDigest, entry.platform);
    }
    return { ok: false, status: 404, error: `no image ${digest} recorded in ${registry}/${repository}` };
  }
  const available = record.platforms.filter((p): p is PlatformSummary => !isFailure(p));
  if (available.length === 0)
    return { ok: false, status: 404, error: `image ${digest} has no readable platform (${record.status}${record.reason ? `: ${record.reason}` : ''})` };
  let entry: PlatformSummary | undefined;
  if (record.kind === 'index') {
    if (!platform && available.length > 1) {
      return {
        ok: false,
        status: 400,
        error: `${digest} is an index of ${available.length} platforms; choose one with platform=`,
        platforms: available.map((p) => p.platform),
      };
    }
    entry = platform ? available.find((p) => p.platform === platform) : available[0];
    if (!entry) return { ok: false, status: 404, error: `index ${digest} has no platform ${platform}`, platforms: available.map((p) => p.platform) };
  } else {
    entry = available[0]!;
    if (platform && entry.platform !== platform) return { ok: false, status: 404, error: `image ${digest} is ${entry.platform}, not ${platform}` };
  }
  const resolver = new ContentResolver(stores.content, storedOnly, registry, repository);
  const manifest = await resolver.manifest(entry.digest);
  if (manifest.kind !== 'image') return { ok: false, status: 404, error: `manifest ${entry.digest} is not an image` };
  const image = await resolver.platformImage(entry.digest, manifest, entry.platform);
  return { ok: true, image, record, ...(record.kind === 'index' ? { indexDigest: digest } : {}) };
}

export async function getImageDetail(
  stores: QueryStores & { layers?: Pick<ContentAnalysisStore, 'image' | 'layers'> },
  registry: string,
  repository: string,
  digest: string,
) {
  const record = await stores.images.get(registry, repository, digest);
  if (!record) return undefined;
  const resolver = new ContentResolver(stores.content, storedOnly, registry, repository);
  const platforms = await Promise.all(
    record.platforms.map(async (entry) => {
      if (isFailure(entry)) return entry;
      const manifest = await resolver.manifest(entry.digest);
      if (manifest.kind !== 'image') return entry;
      const image = await resolver.platformImage(entry.digest, manifest, entry.platform);
      return {
        ...entry,
        mediaType: image.mediaType,
        os: image.os,
        architecture: image.architecture,
        variant: image.variant,
        created: image.created,
        config: image.config,
        history: image.history,
        layers: image.layers,
        ...(stores.layers ? { content: await contentView(stores.layers, registry, entry.digest) } : {}),
      } satisfies PlatformDetail;
    }),
  );
  return { ...withoutRegistry(record), platforms };
}

function withoutRegistry(r: ImageRecord) {
  const { registry: _r, repository: _p, ...rest } = r;
  return rest;
}

export async function listRepositories(stores: QueryStores, registry: string, q: RepositoryPageQuery) {
  const page = await stores.repositories.list(registry, q);
  return {
    repositories: page.repositories.map((r) => ({
      repository: r.repository,
      firstSeenAt: r.firstSeenAt,
      latest: latestPoint(r) ?? null,
      latestByPlatform: r.latestByPlatform,
      ...(r.lastError ? { lastError: r.lastError } : {}),
      ...(r.deletedAt ? { deletedAt: r.deletedAt } : {}),
    })),
    ...(page.more && page.last ? { after: page.last } : {}),
  };
}

/** Every live repository the service tracks in a registry, page by page (reconcile's repository deletes). */
export async function trackedRepositories(repositories: Pick<QueryStores['repositories'], 'list'>, registry: string): Promise<string[]> {
  const out: string[] = [];
  let after: string | undefined;
  do {
    const page = await repositories.list(registry, { limit: 1000, ...(after ? { after } : {}) });
    for (const r of page.repositories) if (!r.deletedAt) out.push(r.repository);
    after = page.more ? page.last : undefined;
  } while (after);
  return out;
}
