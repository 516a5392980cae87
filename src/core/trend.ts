import type { PlatformImage } from './sizing';

/** One (tag, platform manifest) pair, stamped with the time it was first pushed. */
export interface TrendPoint {
  pushedAt: string;
  tag: string;
  /** The platform manifest's digest. */
  digest: string;
  /** The index the platform was pushed in, for multi-platform tags. */
  indexDigest?: string;
  platform: string;
  sizeBytes: number;
  configSizeBytes: number;
  layerCount: number;
  mediaType: string;
  eventId: string;
}

export function pointsFor(
  push: { tag: string; pushedAt: string; eventId: string; indexDigest?: string },
  platforms: PlatformImage[],
): TrendPoint[] {
  return platforms.map((p) => ({
    pushedAt: push.pushedAt,
    tag: push.tag,
    digest: p.digest,
    ...(push.indexDigest ? { indexDigest: push.indexDigest } : {}),
    platform: p.platform,
    sizeBytes: p.sizeBytes,
    configSizeBytes: p.config.sizeBytes,
    layerCount: p.layerCount,
    mediaType: p.mediaType,
    eventId: push.eventId,
  }));
}
