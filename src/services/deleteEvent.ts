import type { DeleteEvent } from '../core/events';
import { deleteImage, isFailure } from '../core/image';
import { pointRefOf } from '../core/trend';
import type { IngestDeps, IngestOutcome } from './ingest';
import { markDeleted, refreshSummary, type StoredPoint } from './trendPoints';

/**
 * A manifest delete (or, without a digest, a repository delete). It may arrive before the
 * push it undoes (deliveries are unordered), so the image record takes the mark even when
 * no push was seen yet, and everything compares event times: a push after the delete
 * revives the image, an older push delivered later stays deleted. The mark is written
 * first and the references and points read second; a push writes its points first and
 * reads the mark second, so a concurrent pair never both miss each other.
 */
export async function ingestDelete(event: DeleteEvent, deps: IngestDeps): Promise<IngestOutcome> {
  const { registry, repository, digest, timestamp: at } = event;
  const base = { action: 'delete' as const, platforms: 0, pointsAdded: [], pointsRedescribed: 0, registryRequests: 0 };

  if (!digest) {
    const released = await deps.blobs.release(registry, repository, undefined, at);
    await deps.repositories.update(registry, repository, at, (s) => ({ ...s, deletedAt: s.deletedAt && s.deletedAt > at ? s.deletedAt : at }));
    return { ...base, status: 'deleted', reclaimableBytes: released.reclaimableBytes };
  }

  const before = await deps.images.get(registry, repository, digest);
  const record = await deps.images.update(registry, repository, digest, (current) => deleteImage(current, at, { registry, repository, digest }));
  const released = await deps.blobs.release(registry, repository, digest, at);

  // The image's own points, and those its index pushes made for each platform.
  const affected: StoredPoint[] = await deps.points.ofDigest(registry, repository, digest);
  const children = record.kind === 'index' ? record.platforms.filter((p) => !isFailure(p)).map((p) => p.digest) : [];
  for (const child of children) affected.push(...(await deps.points.ofDigest(registry, repository, child)).filter((p) => p.point.indexDigest === digest));
  const refs = affected.map((p) => pointRefOf(registry, repository, p.point));
  if (record.deletedAt) await markDeleted(deps, refs, record.deletedAt);
  if (refs.length > 0)
    await refreshSummary(
      deps,
      registry,
      repository,
      affected.map((p) => p.point.platform),
      at,
    );

  return {
    ...base,
    status: before ? 'deleted' : 'unknown',
    reclaimableBytes: released.reclaimableBytes,
    ...(before ? {} : { reason: 'delete of a manifest this service has not recorded yet: kept, in case its push arrives later' }),
  };
}
