/**
 * Small in-memory implementations of the ports ingest and its services declare: the same
 * contracts the Table Storage adapters keep (ETags, create-once markers, key order), so
 * services can be driven in milliseconds. Each call yields to the event loop first, so
 * concurrent events interleave as they do against a real store.
 */
import type { ParsedManifest } from '../../src/core/manifest';
import type { StoredConfig } from '../../src/core/imageConfig';
import type { ImageRecord } from '../../src/core/image';
import type { RepositorySummary } from '../../src/core/repository';
import {
  countedFor,
  introducedBytes,
  type BlobReference,
  type BlobUse,
  type Registration,
  type StorageSnapshot,
  type StoredBlob,
} from '../../src/core/storage';
import type { PointRef, TrendPoint } from '../../src/core/trend';
import type { ConfigRecord, ContentStore, FetchedManifest, RawManifest, RegistryReader, StoredManifest } from '../../src/services/contentResolver';
import type { RepositoryPage, RepositoryPageQuery, TrendQuery, TrendReader } from '../../src/services/queries';
import type { BlobLedger, ImageStore } from '../../src/services/ingest';
import type { IndexedPoint, PointStore, StoredPoint, SummaryStore } from '../../src/services/trendPoints';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const clone = <T>(v: T): T => structuredClone(v);

export class MemoryRegistry implements RegistryReader {
  readonly manifests = new Map<string, FetchedManifest>();
  readonly blobs = new Map<string, Buffer>();
  requests = 0;

  putManifest(mediaType: string, content: Buffer, digest: string): void {
    this.manifests.set(digest, { digest, mediaType, content });
  }

  async getManifest(_registry: string, _repository: string, digest: string): Promise<FetchedManifest> {
    await tick();
    this.requests++;
    const m = this.manifests.get(digest);
    if (!m) throw Object.assign(new Error(`manifest ${digest} not found`), { status: 404 });
    return m;
  }

  async getBlob(_registry: string, _repository: string, digest: string): Promise<Buffer> {
    await tick();
    this.requests++;
    const b = this.blobs.get(digest);
    if (!b) throw Object.assign(new Error(`blob ${digest} not found`), { status: 404 });
    return b;
  }
}

export class MemoryContent implements ContentStore {
  readonly manifests = new Map<string, StoredManifest>();
  readonly configs = new Map<string, StoredConfig>();

  async getManifest(registry: string, digest: string) {
    await tick();
    const m = this.manifests.get(`${registry}|${digest}`);
    return m && clone(m);
  }
  async putManifest(registry: string, digest: string, manifest: ParsedManifest, raw?: RawManifest, config?: ConfigRecord) {
    await tick();
    this.manifests.set(`${registry}|${digest}`, clone({ manifest, stale: false, ...(raw ? { raw } : {}) }));
    if (config) this.configs.set(`${registry}|${config.digest}`, clone(config.config));
  }
  async getManifests(registry: string, digests: string[]) {
    await tick();
    const found = new Map<string, ParsedManifest>();
    for (const d of digests) {
      const m = this.manifests.get(`${registry}|${d}`);
      if (m && !m.stale) found.set(d, clone(m.manifest));
    }
    return found;
  }
  async getConfig(registry: string, digest: string) {
    await tick();
    const c = this.configs.get(`${registry}|${digest}`);
    return c && { config: clone(c), stale: false };
  }
  async putConfig(registry: string, digest: string, config: StoredConfig) {
    await tick();
    this.configs.set(`${registry}|${digest}`, clone(config));
  }
}

/** A JSON row per key, changed atomically: what updateJsonRow's ETag loop guarantees. */
class MemoryRows<T> {
  readonly rows = new Map<string, T>();
  async get(key: string): Promise<T | undefined> {
    await tick();
    const v = this.rows.get(key);
    return v && clone(v);
  }
  async update(key: string, change: (current: T | undefined) => T | Promise<T>): Promise<T> {
    await tick();
    for (;;) {
      const before = this.rows.get(key);
      const next = await change(before && clone(before));
      // Someone wrote meanwhile (change awaited): run it again on what is there now.
      if (this.rows.get(key) !== before) continue;
      this.rows.set(key, clone(next));
      return next;
    }
  }
}

export class MemoryImages implements ImageStore {
  readonly rows = new MemoryRows<ImageRecord>();
  get(registry: string, repository: string, digest: string) {
    return this.rows.get(`${registry}|${repository}|${digest}`);
  }
  async read(registry: string, repository: string, digest: string) {
    return { record: await this.get(registry, repository, digest) };
  }
  // Each change here is atomic: an earlier read has nothing to save.
  update(registry: string, repository: string, digest: string, change: (existing: ImageRecord | undefined) => ImageRecord) {
    return this.rows.update(`${registry}|${repository}|${digest}`, change);
  }
}

export class MemorySummaries implements SummaryStore {
  readonly rows = new MemoryRows<RepositorySummary>();
  /** Pages in name order, as the table's keys sort. */
  async list(registry: string, q: RepositoryPageQuery): Promise<RepositoryPage> {
    await tick();
    const all = [...this.rows.rows.values()]
      .filter((s) => s.registry === registry && (!q.after || s.repository > q.after))
      .sort((a, b) => (a.repository < b.repository ? -1 : 1));
    const repositories = all.slice(0, q.limit).map(clone);
    return { repositories, last: repositories.at(-1)?.repository, more: all.length > q.limit };
  }
  get(registry: string, repository: string) {
    return this.rows.get(`${registry}|${repository}`);
  }
  update(registry: string, repository: string, at: string, change: (s: RepositorySummary) => RepositorySummary | Promise<RepositorySummary>) {
    return this.rows.update(`${registry}|${repository}`, (current) => change(current ?? { registry, repository, firstSeenAt: at, latestByPlatform: {} }));
  }
  /** What an instance remembers: the row as it stands, which concurrent events may already have moved past. */
  remembered(registry: string, repository: string) {
    const row = this.rows.rows.get(`${registry}|${repository}`);
    return row && clone(row);
  }
}

interface PointRow {
  point: TrendPoint;
  version: number;
}

const pointKey = (registry: string, repository: string, p: Pick<TrendPoint, 'pushedAt' | 'tag' | 'digest'>) =>
  `${registry}|${repository}|${p.pushedAt}|${p.tag}|${p.digest}`;
/** The adapters' key order: time, then tag, then digest. */
const byTime = (a: TrendPoint, b: TrendPoint) =>
  a.pushedAt < b.pushedAt ? -1 : a.pushedAt > b.pushedAt ? 1 : `${a.tag}|${a.digest}` < `${b.tag}|${b.digest}` ? -1 : 1;

export class MemoryPoints implements PointStore, TrendReader {
  readonly rows = new Map<string, PointRow>();
  /** `registry|repository|tag|digest` → point key: a (tag, digest) pair is recorded once. */
  readonly markers = new Map<string, string>();
  private version = 0;

  #stored(row: PointRow): StoredPoint {
    return { point: clone(row.point), etag: String(row.version) };
  }
  #of(registry: string, repository: string): TrendPoint[] {
    const prefix = `${registry}|${repository}|`;
    return [...this.rows.entries()].filter(([k]) => k.startsWith(prefix)).map(([, r]) => r.point);
  }

  async add(registry: string, repository: string, point: TrendPoint): Promise<StoredPoint | undefined> {
    await tick();
    const marker = `${registry}|${repository}|${point.tag}|${point.digest}`;
    if (this.markers.has(marker)) return undefined;
    const key = pointKey(registry, repository, point);
    this.markers.set(marker, key);
    const row = { point: clone(point), version: ++this.version };
    this.rows.set(key, row);
    return this.#stored(row);
  }
  async read(ref: PointRef): Promise<StoredPoint | undefined> {
    await tick();
    const row = this.rows.get(pointKey(ref.registry, ref.repository, ref));
    return row && this.#stored(row);
  }
  async get(ref: PointRef): Promise<TrendPoint | undefined> {
    return (await this.read(ref))?.point;
  }
  async replace(registry: string, repository: string, stored: StoredPoint, next: TrendPoint): Promise<boolean> {
    await tick();
    const key = pointKey(registry, repository, next);
    const row = this.rows.get(key);
    if (!row || String(row.version) !== stored.etag) return false;
    this.rows.set(key, { point: clone(next), version: ++this.version });
    return true;
  }
  async hasPointFor(registry: string, repository: string, digest: string): Promise<boolean> {
    await tick();
    return this.#of(registry, repository).some((p) => p.digest === digest);
  }
  async find(registry: string, repository: string, tag: string, digest: string): Promise<StoredPoint | undefined> {
    await tick();
    const key = this.markers.get(`${registry}|${repository}|${tag}|${digest}`);
    const row = key ? this.rows.get(key) : undefined;
    return row && this.#stored(row);
  }
  async ofDigest(registry: string, repository: string, digest: string): Promise<StoredPoint[]> {
    await tick();
    return this.#of(registry, repository)
      .filter((p) => p.digest === digest)
      .map((p) => this.#stored(this.rows.get(pointKey(registry, repository, p))!));
  }
  async *newestFirst(
    registry: string,
    repository: string,
    platform: string,
    opts: { before?: string; tag?: string; digestNot?: string } = {},
  ): AsyncGenerator<IndexedPoint> {
    await tick();
    const points = this.#of(registry, repository)
      .filter(
        (p) =>
          p.platform === platform &&
          (!opts.before || p.pushedAt < opts.before) &&
          (opts.tag === undefined || p.tag === opts.tag) &&
          p.digest !== opts.digestNot,
      )
      .sort((a, b) => (a.pushedAt === b.pushedAt ? byTime(a, b) : -byTime(a, b)));
    for (const p of points)
      yield {
        platform,
        digest: p.digest,
        tag: p.tag,
        pushedAt: p.pushedAt,
        ...(p.deletedAt ? { deletedAt: p.deletedAt } : {}),
        ...(p.baselineDigest !== undefined ? { baselineDigest: p.baselineDigest, baselineTag: p.baselineTag } : {}),
        ...(p.baselineMode ? { baselineMode: p.baselineMode } : {}),
      };
  }
  async newestLive(registry: string, repository: string, platform: string): Promise<TrendPoint | undefined> {
    for await (const row of this.newestFirst(registry, repository, platform)) {
      if (row.deletedAt) continue;
      const stored = await this.find(registry, repository, row.tag, row.digest);
      if (stored && !stored.point.deletedAt) return stored.point;
    }
    return undefined;
  }
  async *later(registry: string, repository: string, platform: string, after: string, opts: { tag?: string } = {}): AsyncGenerator<StoredPoint> {
    await tick();
    const points = this.#of(registry, repository)
      .filter((p) => p.platform === platform && p.pushedAt > after && (opts.tag === undefined || p.tag === opts.tag))
      .sort(byTime);
    for (const p of points) yield this.#stored(this.rows.get(pointKey(registry, repository, p))!);
  }
  async query(q: TrendQuery): Promise<{ points: TrendPoint[]; last?: string; more: boolean }> {
    await tick();
    const key = (p: TrendPoint) => `${p.pushedAt}|${p.tag}|${p.digest}`;
    const matching = this.all(q.registry, q.repository).filter(
      (p) =>
        (!q.tag || p.tag === q.tag) &&
        (!q.platform || p.platform === q.platform) &&
        (!q.since || p.pushedAt >= q.since) &&
        (!q.until || p.pushedAt <= q.until) &&
        (!q.after || key(p) > q.after),
    );
    const points = matching.slice(0, q.limit);
    return { points, ...(points.length ? { last: key(points.at(-1)!) } : {}), more: matching.length > q.limit };
  }
  async any(registry: string, repository: string): Promise<boolean> {
    await tick();
    return this.#of(registry, repository).length > 0;
  }
  all(registry: string, repository: string): TrendPoint[] {
    return this.#of(registry, repository).sort(byTime);
  }
}

/** Storage accounting with the core's rules (revival, introduced bytes), each change atomic. */
export class MemoryLedger implements BlobLedger {
  readonly blobs = new Map<string, StoredBlob & { counted: boolean }>();
  readonly references: (BlobReference & { registry: string })[] = [];

  async register(registry: string, repository: string, manifestDigest: string, uses: BlobUse[], at: string): Promise<Registration> {
    await tick();
    for (const b of uses) {
      const ref = this.references.find(
        (r) => r.registry === registry && r.blobDigest === b.digest && r.repository === repository && r.manifestDigest === manifestDigest,
      );
      if (ref) Object.assign(ref, { live: true, since: at });
      else this.references.push({ registry, blobDigest: b.digest, repository, manifestDigest, live: true, since: at });
    }
    const before = this.#live(registry);
    const rows = uses.map((b) => {
      const key = `${registry}|${b.digest}`;
      const existing = this.blobs.get(key);
      const row = existing ?? { ...b, firstSeenAt: at, introducedBy: manifestDigest, introducedIn: repository, counted: false };
      const counted = !row.counted || row.reclaimableSince ? { ...countedFor(row, repository, manifestDigest), counted: true } : row;
      this.blobs.set(key, counted);
      return counted;
    });
    return { newRegistryBytes: introducedBytes(rows, repository, manifestDigest), registryBytesBefore: before, registryBytesAfter: this.#live(registry) };
  }

  async release(registry: string, repository: string, manifestDigest: string | undefined, at: string) {
    await tick();
    const dead = this.references.filter(
      (r) => r.registry === registry && r.live && r.repository === repository && (!manifestDigest || r.manifestDigest === manifestDigest) && r.since <= at,
    );
    let reclaimableBytes = 0;
    for (const r of dead) Object.assign(r, { live: false, deletedAt: at });
    for (const digest of new Set(dead.map((r) => r.blobDigest))) {
      if (this.references.some((r) => r.registry === registry && r.blobDigest === digest && r.live)) continue;
      const row = this.blobs.get(`${registry}|${digest}`);
      if (!row || row.reclaimableSince) continue;
      this.blobs.set(`${registry}|${digest}`, { ...row, reclaimableSince: at });
      reclaimableBytes += row.sizeBytes;
    }
    return { references: dead.length, reclaimableBytes };
  }

  async liveBytes(registry: string): Promise<number> {
    await tick();
    return this.#live(registry);
  }

  async snapshot(registry: string): Promise<StorageSnapshot> {
    await tick();
    const blobs = [...this.blobs.entries()].filter(([k]) => k.startsWith(`${registry}|`)).map(([, { counted: _c, ...b }]) => b);
    return {
      blobs,
      references: this.references.filter((r) => r.registry === registry).map(({ registry: _r, ...ref }) => ref),
      liveBytes: this.#live(registry),
    };
  }

  #live(registry: string): number {
    let sum = 0;
    for (const [k, b] of this.blobs) if (k.startsWith(`${registry}|`) && b.counted && !b.reclaimableSince) sum += b.sizeBytes;
    return sum;
  }
}
