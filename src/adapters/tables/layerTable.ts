import type { TableTransaction } from '@azure/data-tables';
import { ImageContentRecordSchema, LayerRecordSchema, type ImageContentRecord, type LayerRecord, type LayerRef } from '../../core/contentAnalysis';
import { escapeKey } from '../../core/keys';
import type { ContentAnalysisStore, LayerRow } from '../../services/contentAnalysis';
import { intColumn, int64, lookupRows, optionalColumn, parseRow, prefixFilter, readJsonRow, statusOf, unpackJson, updateJsonRow } from './entities';
import type { Tables } from './tables';

/**
 * Content analysis state, one partition per registry (layers are content-addressed per registry):
 *   `l|<layer digest>`                  a layer: pending, done (with what reading it measured) or not analyzed
 *   `w|<layer digest>|<image digest>`   an image waiting for that layer: whoever finishes the layer composes it
 *   `i|<image digest>`                  a platform image's content: its layers, then its filesystem summary
 * An image writes its waiting rows before it reads its layers' rows, and a layer is
 * recorded before its waiting rows are read: between the two, one side sees the other.
 */

const layerKey = (digest: string) => `l|${digest}`;
const waitingPrefix = (layer: string) => `w|${layer}|`;
const imageKey = (digest: string) => `i|${digest}`;
/** Entity-group transactions hold at most 100 operations. */
const BATCH = 100;

export class LayerTable implements ContentAnalysisStore {
  constructor(private readonly tables: Tables) {}

  async layers(registry: string, digests: readonly string[]): Promise<Map<string, LayerRow>> {
    const client = await this.tables.get('layers');
    const rows = await lookupRows(client, escapeKey(registry), [...new Set(digests)].map(layerKey));
    const out = new Map<string, LayerRow>();
    for (const e of rows.values()) {
      const row = rowOf(client.tableName, e);
      out.set(row.record.digest, row);
    }
    return out;
  }

  async claim(registry: string, layer: LayerRef, now: Date, previous: LayerRow | undefined, by: string): Promise<boolean> {
    const client = await this.tables.get('layers');
    const entity = {
      partitionKey: escapeKey(registry),
      rowKey: layerKey(layer.digest),
      ...columns({ digest: layer.digest, mediaType: layer.mediaType, compressedBytes: layer.compressedBytes, status: 'pending' }),
      pendingSince: now.toISOString(),
      claimedBy: by,
    };
    try {
      if (previous) await client.updateEntity(entity, 'Replace', { etag: previous.etag });
      else await client.createEntity(entity);
      return true;
    } catch (e) {
      // Another image claimed it first: its message reads the layer, this image waits for it.
      if (statusOf(e) === 409 || statusOf(e) === 412) return false;
      throw e;
    }
  }

  async record(registry: string, record: LayerRecord): Promise<void> {
    const client = await this.tables.get('layers');
    await client.upsertEntity(
      { partitionKey: escapeKey(registry), rowKey: layerKey(record.digest), ...columns(record), pendingSince: '', lastError: '' },
      'Replace',
    );
  }

  async noteFailure(registry: string, digest: string, message: string): Promise<void> {
    const client = await this.tables.get('layers');
    // Merge: the claim's columns stay; a row already finished by another message is not turned back.
    await client.updateEntity({ partitionKey: escapeKey(registry), rowKey: layerKey(digest), lastError: message.slice(0, 2000) }, 'Merge');
  }

  async wait(registry: string, image: string, layers: readonly string[]): Promise<void> {
    const client = await this.tables.get('layers');
    const pk = escapeKey(registry);
    const actions: TableTransaction['actions'] = [...new Set(layers)].map((l) => [
      'upsert',
      { partitionKey: pk, rowKey: `${waitingPrefix(l)}${image}` },
      'Replace',
    ]);
    for (let i = 0; i < actions.length; i += BATCH) await client.submitTransaction(actions.slice(i, i + BATCH));
  }

  async waiting(registry: string, layer: string): Promise<string[]> {
    const client = await this.tables.get('layers');
    const prefix = waitingPrefix(layer);
    const out: string[] = [];
    for await (const e of client.listEntities({ queryOptions: { filter: prefixFilter(escapeKey(registry), prefix), select: ['RowKey'] } }))
      out.push(String(e.rowKey).slice(prefix.length));
    return out;
  }

  async image(registry: string, digest: string): Promise<ImageContentRecord | undefined> {
    const client = await this.tables.get('layers');
    return (await readJsonRow(client, escapeKey(registry), imageKey(digest), ImageContentRecordSchema))?.value;
  }

  async images(registry: string, digests: readonly string[]): Promise<Map<string, ImageContentRecord>> {
    const client = await this.tables.get('layers');
    const rows = await lookupRows(client, escapeKey(registry), [...new Set(digests)].map(imageKey));
    const out = new Map<string, ImageContentRecord>();
    for (const [rowKey, e] of rows) out.set(rowKey.slice(2), unpackJson(client.tableName, e, 'json', ImageContentRecordSchema));
    return out;
  }

  async updateImage(
    registry: string,
    digest: string,
    change: (current: ImageContentRecord | undefined) => ImageContentRecord | Promise<ImageContentRecord>,
  ): Promise<ImageContentRecord> {
    const client = await this.tables.get('layers');
    return updateJsonRow(client, escapeKey(registry), imageKey(digest), ImageContentRecordSchema, change, (r) => ({ status: r.status }));
  }
}

function rowOf(table: string, e: Record<string, unknown>): LayerRow {
  const present = (name: string) => e[name] !== undefined && e[name] !== '';
  const record = parseRow(table, e, LayerRecordSchema, {
    ...optionalColumn(e, 'reason'),
    ...optionalColumn(e, 'diffId'),
    ...optionalColumn(e, 'analyzedAt'),
    digest: e.digest,
    mediaType: e.mediaType,
    status: e.status,
    compressedBytes: intColumn(e.compressedBytes),
    ...(present('uncompressedBytes') ? { uncompressedBytes: intColumn(e.uncompressedBytes) } : {}),
    ...(present('fileCount') ? { fileCount: intColumn(e.fileCount) } : {}),
    ...(e.permanent === true ? { permanent: true } : {}),
  });
  const text = (name: string) => {
    const value = e[name];
    return typeof value === 'string' && value ? { [name]: value } : {};
  };
  return { record, etag: String(e.etag), ...(record.status === 'pending' ? { ...text('pendingSince'), ...text('lastError'), ...text('claimedBy') } : {}) };
}

function columns(r: Pick<LayerRecord, 'digest' | 'mediaType' | 'compressedBytes' | 'status'> & Partial<LayerRecord>): Record<string, unknown> {
  return {
    digest: r.digest,
    mediaType: r.mediaType,
    compressedBytes: int64(r.compressedBytes),
    status: r.status,
    reason: r.reason ?? '',
    permanent: r.permanent === true,
    uncompressedBytes: r.uncompressedBytes === undefined ? '' : int64(r.uncompressedBytes),
    fileCount: r.fileCount === undefined ? '' : int64(r.fileCount),
    diffId: r.diffId ?? '',
    analyzedAt: r.analyzedAt ?? '',
  };
}
