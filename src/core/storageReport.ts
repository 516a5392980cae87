import { z } from 'zod';
import type { BlobReference, StoredBlob } from './storage';

const Bytes = z.number().int().nonnegative();

export const RepositoryStorageSchema = z.object({
  repository: z.string(),
  /** Bytes of blobs only this repository's live manifests use: deleting the repository frees them. */
  exclusiveBytes: Bytes,
  /** Bytes of blobs it shares with other repositories (each shared blob counts in every user). */
  sharedBytes: Bytes,
  manifests: Bytes,
});
export type RepositoryStorage = z.infer<typeof RepositoryStorageSchema>;

export const StorageReportSchema = z.object({
  uniqueBytes: Bytes,
  blobCount: Bytes,
  /** Blobs no remaining manifest references: still stored until the registry removes them. */
  reclaimableBytes: Bytes,
  reclaimableBlobCount: Bytes,
  repositories: z.array(RepositoryStorageSchema),
  growth: z.object({
    windowDays: Bytes,
    from: z.string(),
    to: z.string(),
    bytesAtStart: Bytes,
    /** Negative while deletes free more than pushes add. */
    bytesPerDay: z.number().int(),
    daily: z.array(z.object({ date: z.string(), uniqueBytes: Bytes })),
  }),
});
export type StorageReport = z.infer<typeof StorageReportSchema>;

const DAY_MS = 86_400_000;

/** Unique bytes over time: each blob is live from its first push until it became reclaimable. */
export function storageReport(blobs: StoredBlob[], references: BlobReference[], now: Date, windowDays: number): StorageReport {
  const live = blobs.filter((b) => !b.reclaimableSince);
  const reclaimable = blobs.filter((b) => b.reclaimableSince);
  const sum = (bs: StoredBlob[]) => bs.reduce((s, b) => s + b.sizeBytes, 0);

  const users = new Map<string, Set<string>>();
  const manifests = new Map<string, Set<string>>();
  for (const r of references) {
    if (!r.live) continue;
    if (!users.has(r.blobDigest)) users.set(r.blobDigest, new Set());
    users.get(r.blobDigest)!.add(r.repository);
    if (!manifests.has(r.repository)) manifests.set(r.repository, new Set());
    manifests.get(r.repository)!.add(r.manifestDigest);
  }
  const perRepo = new Map<string, RepositoryStorage>();
  const entry = (repository: string) => {
    let e = perRepo.get(repository);
    if (!e) perRepo.set(repository, (e = { repository, exclusiveBytes: 0, sharedBytes: 0, manifests: manifests.get(repository)?.size ?? 0 }));
    return e;
  };
  for (const b of live) {
    const repos = users.get(b.digest);
    if (!repos) continue;
    for (const repo of repos) {
      if (repos.size === 1) entry(repo).exclusiveBytes += b.sizeBytes;
      else entry(repo).sharedBytes += b.sizeBytes;
    }
  }

  // A sweep over +size at first push and -size when reclaimable gives the curve in one pass.
  const changes = blobs.flatMap((b) => [
    { at: Date.parse(b.firstSeenAt), delta: b.sizeBytes },
    ...(b.reclaimableSince ? [{ at: Date.parse(b.reclaimableSince), delta: -b.sizeBytes }] : []),
  ]);
  changes.sort((a, b) => a.at - b.at);
  const bytesAt = (t: number) => changes.reduce((s, c) => (c.at <= t ? s + c.delta : s), 0);
  const end = now.getTime();
  const start = end - windowDays * DAY_MS;
  const daily: { date: string; uniqueBytes: number }[] = [];
  let i = 0;
  let running = 0;
  for (let d = windowDays; d >= 0; d--) {
    const t = end - d * DAY_MS;
    while (i < changes.length && changes[i]!.at <= t) running += changes[i++]!.delta;
    daily.push({ date: new Date(t).toISOString().slice(0, 10), uniqueBytes: running });
  }
  const bytesAtStart = bytesAt(start);
  const uniqueBytes = sum(live);
  return {
    uniqueBytes,
    blobCount: live.length,
    reclaimableBytes: sum(reclaimable),
    reclaimableBlobCount: reclaimable.length,
    repositories: [...perRepo.values()].sort(
      (a, b) => b.exclusiveBytes + b.sharedBytes - (a.exclusiveBytes + a.sharedBytes) || a.repository.localeCompare(b.repository),
    ),
    growth: {
      windowDays,
      from: new Date(start).toISOString(),
      to: now.toISOString(),
      bytesAtStart,
      // Whole bytes: a fraction of a byte per day is noise, not precision.
      bytesPerDay: Math.round((uniqueBytes - bytesAtStart) / windowDays),
      daily,
    },
  };
}
