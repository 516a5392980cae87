import type { ImageContentRecord } from '../core/contentAnalysis';
import type { ContentAnalysisStore } from './contentAnalysis';

/** The analysis status of a platform image's content, for /api/image: pending with its layers' states, or the summary. */
export async function contentView(layers: Pick<ContentAnalysisStore, 'image' | 'layers'>, registry: string, digest: string): Promise<Record<string, unknown>> {
  const record = await layers.image(registry, digest);
  if (!record) return { status: 'not requested' };
  if (record.status === 'done' && record.summary)
    return { status: 'done', requestedAt: record.requestedAt, completedAt: record.completedAt, ...record.summary };
  const rows = await layers.layers(
    registry,
    record.layers.map((l) => l.digest),
  );
  return {
    status: 'pending',
    requestedAt: record.requestedAt,
    layers: record.layers.map((l) => {
      const r = rows.get(l.digest)?.record;
      return {
        digest: l.digest,
        status: r?.status ?? 'pending',
        ...(r?.reason ? { reason: r.reason } : {}),
        compressedBytes: l.compressedBytes,
        ...(r?.uncompressedBytes !== undefined ? { uncompressedBytes: r.uncompressedBytes } : {}),
        ...(r?.fileCount !== undefined ? { fileCount: r.fileCount } : {}),
        ...(l.step ? { step: l.step } : {}),
      };
    }),
  };
}

/** What a trend point shows of its image's content: the figures once read, else the status. */
export function pointContent(record: ImageContentRecord | undefined) {
  if (!record) return { status: 'not requested' as const };
  if (record.status !== 'done' || !record.summary) return { status: 'pending' as const };
  const { onDiskBytes, wastedBytes, shippedBytes, efficiency, complete } = record.summary;
  return { status: 'done' as const, complete, onDiskBytes, wastedBytes, shippedBytes, efficiency, findings: record.summary.findings.length };
}
