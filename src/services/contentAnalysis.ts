import { PermanentError } from '../core/errors';
import {
  layerNeedsWork,
  type ContentRequest,
  type ContentSubject,
  type ImageContentRecord,
  type LayerRecord,
  type LayerRef,
  type LayerWork,
} from '../core/contentAnalysis';
import { summarizeContent, type SavingsModels } from '../core/contentSummary';
import type { LayerIndex } from '../core/layerIndex';
import { analyzability, readLayer, type TarCompression } from '../core/layerReader';

/**
 * What is inside every image, read from the registry: each layer blob once per registry
 * (a base layer shared by a hundred repositories is downloaded once, ever), as its own
 * queued unit so instances read the layers of one image in parallel, and the image's
 * filesystem composed once its last layer is read. Nothing here holds up the size point.
 */

export interface LayerRow {
  record: LayerRecord;
  etag: string;
  /** When a message to read it was queued (pending rows only). */
  pendingSince?: string;
  /** What the last failed attempt said (pending rows only). */
  lastError?: string;
  /** The image whose request claimed it (pending rows only). */
  claimedBy?: string;
}

export interface ContentAnalysisStore {
  layers(registry: string, digests: readonly string[]): Promise<Map<string, LayerRow>>;
  /** Marks a layer pending for the request of image `by`; false when another request claimed it first. */
  claim(registry: string, layer: LayerRef, now: Date, previous: LayerRow | undefined, by: string): Promise<boolean>;
  record(registry: string, record: LayerRecord): Promise<void>;
  /** Notes a failed attempt on a pending layer, for whoever gives up on it. */
  noteFailure(registry: string, digest: string, message: string): Promise<void>;
  /** Notes that `image` waits for each of `layers`. */
  wait(registry: string, image: string, layers: readonly string[]): Promise<void>;
  waiting(registry: string, layer: string): Promise<string[]>;
  image(registry: string, digest: string): Promise<ImageContentRecord | undefined>;
  /** Several images' content records in one lookup (by 14 keys a query). */
  images(registry: string, digests: readonly string[]): Promise<Map<string, ImageContentRecord>>;
  updateImage(registry: string, digest: string, change: (current: ImageContentRecord | undefined) => ImageContentRecord): Promise<ImageContentRecord>;
}

export interface LayerIndexStore {
  put(registry: string, digest: string, index: LayerIndex): Promise<void>;
  get(registry: string, digest: string): Promise<LayerIndex | undefined>;
}

/** A layer blob's bytes as the registry serves them, compressed, checked against the digest at the end. */
export interface LayerSource {
  openBlob(registry: string, repository: string, digest: string): Promise<AsyncIterable<Uint8Array>>;
}

export interface ContentDeps {
  store: ContentAnalysisStore;
  indexes: LayerIndexStore;
  source: LayerSource;
  /** The stored platform image a request names (ingest stored it before asking), or undefined. */
  subjectOf: (registry: string, repository: string, digest: string) => Promise<ContentSubject | undefined>;
  /** Queues one layer to read (`acrsize-layers`). */
  sendLayer: (work: LayerWork) => Promise<void>;
  /** Where the layers of images a backfill or reconcile found are read: the registry under their shared rate. */
  listedSource?: ContentDeps['source'];
  limits: { maxBytes: number; maxFiles: number };
  /** Layers this instance reads at once. */
  slots: Slots;
  /** Prices the savings of each finding's advice; absent, advice carries no figures. */
  savingsModels?: (registry: string) => SavingsModels;
  now?: () => Date;
}

/** Counts what a request did, for the log line and the tests. */
export interface RequestOutcome {
  layers: number;
  queued: number;
  waitingFor: number;
  notAnalyzed: number;
  composed: boolean;
}

/**
 * A platform image's layers are to be known: its record first (so the composition knows
 * the layers and their steps), then its waiting rows, then the layers' rows; layers nobody
 * has read or claimed are claimed and queued. When every layer is already read, the image
 * is composed here.
 */
export async function requestContent(deps: ContentDeps, req: ContentRequest): Promise<RequestOutcome> {
  const now = deps.now?.() ?? new Date();
  const { registry } = req;
  let existing = await deps.store.image(registry, req.digest);
  if (existing?.status === 'done') return { layers: existing.layers.length, queued: 0, waitingFor: 0, notAnalyzed: 0, composed: false };
  const subject = existing ?? (await deps.subjectOf(registry, req.repository, req.digest));
  if (!subject) throw new PermanentError(`image ${req.digest} is not stored in ${registry}: nothing to analyze`);
  if (!existing)
    existing = await deps.store.updateImage(
      registry,
      req.digest,
      (cur) =>
        cur ?? {
          digest: req.digest,
          repository: req.repository,
          configBytes: subject.configBytes ?? 0,
          layers: subject.layers,
          status: 'pending',
          requestedAt: now.toISOString(),
        },
    );
  // A layer repeated in one image (an empty layer, the same COPY twice) is one blob.
  const unique = new Map(existing.layers.map((l) => [l.digest, l]));
  const digests = [...unique.keys()];
  await deps.store.wait(registry, req.digest, digests);
  const rows = await deps.store.layers(registry, digests);
  let queued = 0;
  let waitingFor = 0;
  let notAnalyzed = 0;
  for (const [digest, layer] of unique) {
    const row = rows.get(digest);
    // This request's own claim, from an attempt that failed before or while queueing the layer: queued again (a duplicate finds the layer read).
    if (row?.record.status === 'pending' && row.claimedBy === req.digest) {
      await deps.sendLayer({ registry, repository: req.repository, layer: identity(layer), ...(req.listed ? { listed: true as const } : {}) });
      queued++;
      waitingFor++;
      continue;
    }
    if (!layerNeedsWork(row?.record, row?.pendingSince, now)) {
      if (row?.record.status === 'pending') waitingFor++;
      continue;
    }
    // Decided from the manifest alone: no download can change the answer.
    const plan = planOf(layer, deps.limits.maxBytes);
    if ('refusal' in plan) {
      await deps.store.record(registry, { ...identity(layer), status: 'not analyzed', reason: plan.refusal, permanent: true, analyzedAt: now.toISOString() });
      notAnalyzed++;
      continue;
    }
    if (await deps.store.claim(registry, layer, now, row, req.digest)) {
      await deps.sendLayer({ registry, repository: req.repository, layer: identity(layer), ...(req.listed ? { listed: true as const } : {}) });
      queued++;
    }
    waitingFor++;
  }
  const composed = waitingFor === 0 ? await composeIfReady(deps, registry, req.digest) : false;
  return { layers: existing.layers.length, queued, waitingFor, notAnalyzed, composed };
}

export interface LayerOutcome {
  status: LayerRecord['status'] | 'already finished';
  reason?: string;
  entries?: number;
  composed: number;
}

/**
 * Reads one layer: streamed from the registry, decompressed and its tar headers indexed
 * without holding the layer; the index to Blob Storage, the layer's row after it. A
 * transient failure is noted on the row and thrown for the queue to retry (after its last
 * attempt, abandonLayer); a corrupt or refused layer is recorded as not analyzed, for good.
 */
export async function analyzeLayer(deps: ContentDeps, work: LayerWork): Promise<LayerOutcome> {
  const { registry, layer } = work;
  const row = (await deps.store.layers(registry, [layer.digest])).get(layer.digest);
  if (row && row.record.status !== 'pending') return { status: 'already finished', composed: await notifyWaiting(deps, registry, layer.digest) };
  const release = await deps.slots.take();
  let outcome: Omit<LayerOutcome, 'composed'>;
  try {
    outcome = await read(deps, work);
  } finally {
    release();
  }
  return { ...outcome, composed: await notifyWaiting(deps, registry, layer.digest) };
}

async function read(deps: ContentDeps, work: LayerWork): Promise<Omit<LayerOutcome, 'composed'>> {
  const { registry, repository, layer } = work;
  const at = () => (deps.now?.() ?? new Date()).toISOString();
  const notAnalyzed = async (reason: string, permanent: boolean) => {
    await deps.store.record(registry, { ...identity(layer), status: 'not analyzed', reason, ...(permanent ? { permanent } : {}), analyzedAt: at() });
    return { status: 'not analyzed' as const, reason };
  };
  const plan = planOf(layer, deps.limits.maxBytes);
  if ('refusal' in plan) return notAnalyzed(plan.refusal, true);
  let index: LayerIndex;
  try {
    const blob = await (work.listed && deps.listedSource ? deps.listedSource : deps.source).openBlob(registry, repository, layer.digest);
    index = await readLayer(blob, plan.compression, { maxEntries: deps.limits.maxFiles });
  } catch (e) {
    if (e instanceof PermanentError) return notAnalyzed(e.message, true);
    await deps.store.noteFailure(registry, layer.digest, (e as Error).message).catch(() => undefined);
    throw e;
  }
  await deps.indexes.put(registry, layer.digest, index);
  await deps.store.record(registry, {
    ...identity(layer),
    status: 'done',
    uncompressedBytes: index.uncompressedBytes,
    fileCount: index.entries.length,
    diffId: index.diffId,
    analyzedAt: at(),
  });
  return { status: 'done', entries: index.entries.length };
}

/**
 * Every attempt to read a layer failed (transiently): it is recorded as not analyzed, not
 * for good (a later push asks again), and the images waiting on it are composed without it.
 */
export async function abandonLayer(deps: ContentDeps, work: LayerWork): Promise<LayerOutcome> {
  const { registry, layer } = work;
  const row = (await deps.store.layers(registry, [layer.digest])).get(layer.digest);
  if (row && row.record.status !== 'pending') return { status: 'already finished', composed: await notifyWaiting(deps, registry, layer.digest) };
  const reason = `every attempt to read it failed${row?.lastError ? `, the last with: ${row.lastError}` : ''}`;
  await deps.store.record(registry, { ...identity(layer), status: 'not analyzed', reason, analyzedAt: (deps.now?.() ?? new Date()).toISOString() });
  return { status: 'not analyzed', reason, composed: await notifyWaiting(deps, registry, layer.digest) };
}

/** Images waiting for a layer just finished: each is composed if this was its last one. */
async function notifyWaiting(deps: ContentDeps, registry: string, layer: string): Promise<number> {
  let composed = 0;
  for (const image of await deps.store.waiting(registry, layer)) if (await composeIfReady(deps, registry, image)) composed++;
  return composed;
}

/**
 * Composes an image whose every layer is finished; true when this call wrote the summary.
 * Two callers may both find it ready: the second finds it done and writes nothing.
 */
export async function composeIfReady(deps: ContentDeps, registry: string, digest: string): Promise<boolean> {
  const record = await deps.store.image(registry, digest);
  if (!record || record.status === 'done') return false;
  const rows = await deps.store.layers(
    registry,
    record.layers.map((l) => l.digest),
  );
  if (record.layers.some((l) => !rows.get(l.digest) || rows.get(l.digest)!.record.status === 'pending')) return false;
  const indexes = await readIndexes(deps.indexes, registry, record.layers, rows);
  const models = deps.savingsModels?.(registry);
  const summary = summarizeContent(
    record.layers.map((l) => {
      const index = indexes.get(l.digest);
      return { ref: l, record: rows.get(l.digest)!.record, ...(index ? { index } : {}) };
    }),
    models && { ...models, configBytes: record.configBytes ?? 0 },
  );
  let wrote = false;
  const completedAt = (deps.now?.() ?? new Date()).toISOString();
  await deps.store.updateImage(registry, digest, (cur) => {
    if (!cur || cur.status === 'done') return cur ?? record;
    wrote = true;
    return { ...cur, status: 'done', completedAt, summary };
  });
  return wrote;
}

/** The file indexes of the layers read (`done`), by digest, each fetched once however often the image repeats it. */
export async function readIndexes(
  indexes: Pick<LayerIndexStore, 'get'>,
  registry: string,
  layers: readonly Pick<LayerRef, 'digest'>[],
  rows: ReadonlyMap<string, LayerRow>,
): Promise<Map<string, LayerIndex>> {
  const out = new Map<string, LayerIndex>();
  for (const { digest } of layers) {
    if (out.has(digest) || rows.get(digest)?.record.status !== 'done') continue;
    const index = await indexes.get(registry, digest);
    // A row says done only after its index was written: a missing blob was removed since.
    if (!index) throw new Error(`layer ${digest} is recorded as read but its file index is missing from Blob Storage`);
    out.set(digest, index);
  }
  return out;
}

/** How to read a layer, or why not to: what no download can change (its media type, its size in the manifest). */
function planOf(layer: Pick<LayerRef, 'mediaType' | 'compressedBytes'>, maxBytes: number): { compression: TarCompression } | { refusal: string } {
  const how = analyzability(layer.mediaType);
  if ('notAnalyzed' in how) return { refusal: how.notAnalyzed };
  if (layer.compressedBytes > maxBytes)
    return { refusal: `the layer is ${layer.compressedBytes} bytes compressed, over LAYER_ANALYSIS_MAX_BYTES (${maxBytes})` };
  return how;
}

function identity(layer: Pick<LayerRef, 'digest' | 'mediaType' | 'compressedBytes'>) {
  return { digest: layer.digest, mediaType: layer.mediaType, compressedBytes: layer.compressedBytes };
}

/** At most `size` holders at once; the rest wait their turn, first come first served. */
export class Slots {
  #free: number;
  readonly #queue: (() => void)[] = [];

  constructor(size: number) {
    this.#free = size;
  }

  async take(): Promise<() => void> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#queue.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#queue.shift();
      if (next) next();
      else this.#free++;
    };
  }
}
