import { isFailure } from '../core/image';
import type { PlatformImage } from '../core/sizing';
import { estimate, parseOverrides, type EstimateContext } from './estimates';
import type { BlobLedger } from './ingest';
import type { ImageContentRecord } from '../core/contentAnalysis';
import type { ContentAnalysisStore } from './contentAnalysis';
import { findPlatformImage, type QueryStores } from './queries';
import type { EstimateAnswer } from '../http/contract/estimate';

type Deps = QueryStores & {
  blobs: Pick<BlobLedger, 'liveBytes'>;
  estimates: EstimateContext;
  /** What the registry has read of images' layers (LAYER_ANALYSIS). */
  layers?: Pick<ContentAnalysisStore, 'images'>;
};

export type WhatIf =
  { ok: true; body: Omit<EstimateAnswer, 'registry' | 'repository'> } | { ok: false; status: 400 | 404; error: string; details?: Record<string, unknown> };

/**
 * Estimates for a stored image with the configured model, or with query overrides for
 * what-if questions ("on Premium?", "at 20 MB/s?"). The baseline is the one given, else
 * the image's own trend baseline.
 */
export async function whatIf(
  deps: Deps,
  q: { registry: string; repository: string; digest: string; platform?: string; baseline?: string },
  overrides: Record<string, string>,
): Promise<WhatIf> {
  const found = await findPlatformImage(deps, q.registry, q.repository, q.digest, q.platform);
  if (!found.ok) return { ok: false, status: found.status, error: found.error, ...(found.platforms ? { details: { platforms: found.platforms } } : {}) };
  const image = found.image;

  let baseline: PlatformImage | undefined;
  if (q.baseline) {
    const b = await findPlatformImage(deps, q.registry, q.repository, q.baseline, image.platform);
    if (!b.ok) return { ok: false, status: b.status, error: `baseline: ${b.error}` };
    baseline = b.image;
  } else {
    // The stored point already compares with the baseline its repository's rule chose
    // (mode, tag, push time): the estimate uses the same one. A digest with several
    // points (tags) is described by its first.
    const points = (await deps.points.ofDigest(q.registry, q.repository, image.digest))
      .map((p) => p.point)
      .filter((p) => !found.indexDigest || p.indexDigest === found.indexDigest);
    const first = points.sort((a, b) => a.pushedAt.localeCompare(b.pushedAt) || a.tag.localeCompare(b.tag))[0];
    if (first?.baselineDigest) {
      const b = await findPlatformImage(deps, q.registry, q.repository, first.baselineDigest, image.platform);
      if (b.ok) baseline = b.image;
    }
  }

  const parsed = parseOverrides(overrides, { profile: deps.estimates.profile(q.registry), pullModel: deps.estimates.pullModel });
  if (!parsed.ok)
    return { ok: false, status: 400, error: parsed.problems.map((p) => `${p.parameter}: ${p.message}`).join('; '), details: { problems: parsed.problems } };

  const summary = found.record.platforms.find((p) => !isFailure(p) && p.digest === image.digest);
  const newRegistryBytes = summary && !isFailure(summary) ? (summary.newRegistryBytes ?? 0) : 0;
  const live = await deps.blobs.liveBytes(q.registry);
  // Layers this registry has read: their uncompressed sizes are measured, not assumed (docs/estimates.md).
  const records: Map<string, ImageContentRecord> = deps.layers
    ? await deps.layers.images(q.registry, [image.digest, ...(baseline ? [baseline.digest] : [])])
    : new Map<string, ImageContentRecord>();
  const measured = [...records.values()].flatMap((r) => r.summary?.layers ?? []).filter((l) => l.uncompressedBytes !== undefined);
  const result = estimate(
    {
      image,
      ...(baseline ? { baseline } : {}),
      newRegistryBytes,
      registryBytesBefore: Math.max(0, live - newRegistryBytes),
      ...(measured.length > 0 ? { measured } : {}),
    },
    parsed.profile,
    deps.estimates.prices,
    parsed.pullModel,
  );
  return {
    ok: true,
    body: {
      digest: image.digest,
      ...(found.indexDigest ? { indexDigest: found.indexDigest } : {}),
      platform: image.platform,
      sizeBytes: image.sizeBytes,
      layerCount: image.layerCount,
      baselineDigest: baseline?.digest ?? null,
      newRegistryBytes,
      /** How many of the image's layers were unpacked at their measured size rather than the assumed ratio. */
      measuredLayers: image.layers.filter((l) => measured.some((m) => m.digest === l.digest)).length,
      ...result,
      parameters: { pullModel: parsed.pullModel, prices: deps.estimates.prices },
    },
  };
}
