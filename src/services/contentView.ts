import type { ImageContentRecord } from '../core/contentAnalysis';
import type { ContentAnalysisStore } from './contentAnalysis';
import type { ImageContentView } from '../http/contract/image';

/** The analysis status of a platform image's content, for /api/image: pending with its layers' states, or the summary. */
export async function contentView(layers: Pick<ContentAnalysisStore, 'image' | 'layers'>, registry: string, digest: string): Promise<ImageContentView> {
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

/** A trend point with its image's content: `onDiskBytes` and `wastedBytes` beside `sizeBytes` once read, and the status. */
export function withContent<P extends object>(point: P, record: ImageContentRecord | undefined) {
  const content = pointContent(record);
  return { ...point, ...(content.status === 'done' ? { onDiskBytes: content.onDiskBytes, wastedBytes: content.wastedBytes } : {}), content };
}

function pointContent(record: ImageContentRecord | undefined) {
  if (!record) return { status: 'not requested' as const };
  if (record.status !== 'done' || !record.summary) return { status: 'pending' as const };
  const { onDiskBytes, wastedBytes, shippedBytes, efficiency, complete } = record.summary;
  return { status: 'done' as const, complete, onDiskBytes, wastedBytes, shippedBytes, efficiency, findings: record.summary.findings.length };
}
