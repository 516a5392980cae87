import { describe, expect, it } from 'vitest';
import { PermanentError, TransientError } from '../../src/core/errors';
import type { StoredConfig } from '../../src/core/imageConfig';
import { parseManifest, type ParsedManifest } from '../../src/core/manifest';
import { MediaType } from '../../src/core/mediaTypes';
import {
  ContentResolver,
  storedOnly,
  type ConfigRecord,
  type ContentStore,
  type FetchedManifest,
  type RawManifest,
  type RegistryReader,
  type StoredManifest,
} from '../../src/services/contentResolver';

const d = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const digest = d(1);
const ociManifest = JSON.stringify({
  schemaVersion: 2,
  mediaType: MediaType.ociManifest,
  config: { mediaType: MediaType.ociConfig, digest: d(2), size: 100 },
  layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: d(3), size: 3_000 }],
});
/** What an older parser made of a manifest it did not know how to read. */
const oldVerdict: ParsedManifest = { kind: 'unsupported', mediaType: MediaType.ociManifest, reason: 'a parser bug, fixed since' };

/** Content by digest in memory, keeping what the table keeps: the parse, its staleness and the raw bytes. */
class MemoryContent implements ContentStore {
  readonly manifests = new Map<string, StoredManifest>();
  readonly configs = new Map<string, StoredConfig>();
  /** Each write and read, in order, as the table would see it. */
  readonly calls: string[] = [];
  async getManifest(_registry: string, digest: string) {
    this.calls.push('getManifest');
    return this.manifests.get(digest);
  }
  async putManifest(_registry: string, digest: string, manifest: ParsedManifest, raw?: RawManifest, config?: ConfigRecord) {
    this.calls.push(config ? 'putManifest+config' : 'putManifest');
    this.manifests.set(digest, { manifest, stale: false, ...(raw ? { raw } : {}) });
    if (config) this.configs.set(config.digest, config.config);
  }
  async getManifests(_registry: string, digests: string[]) {
    return new Map(digests.flatMap((dg) => (this.manifests.get(dg)?.stale === false ? [[dg, this.manifests.get(dg)!.manifest] as const] : [])));
  }
  async getConfig(_registry: string, digest: string) {
    this.calls.push('getConfig');
    const config = this.configs.get(digest);
    return config && { config, stale: false };
  }
  async putConfig(_registry: string, digest: string, config: StoredConfig) {
    this.calls.push('putConfig');
    this.configs.set(digest, config);
  }
}

/** A registry serving one manifest, or failing every request the given way. */
class MemoryRegistry implements RegistryReader {
  requests = 0;
  constructor(
    private readonly answer: FetchedManifest | Error,
    /** The config blob, or how fetching it fails. */
    public blob: Buffer | Error = new PermanentError('no blobs here'),
  ) {}
  async getManifest() {
    this.requests++;
    if (this.answer instanceof Error) throw this.answer;
    return this.answer;
  }
  async getBlob(): Promise<Buffer> {
    this.requests++;
    if (this.blob instanceof Error) throw this.blob;
    return this.blob;
  }
}

const configBlob = Buffer.from(JSON.stringify({ os: 'linux', architecture: 'arm64', history: [{ created_by: 'RUN make' }] }));

const served: FetchedManifest = { digest, mediaType: MediaType.ociManifest, content: Buffer.from(ociManifest) };
const resolver = (content: ContentStore, registry: RegistryReader) => new ContentResolver(content, registry, 'r.io', 'team/app');

describe('ContentResolver.manifest with a parse stored by an older parser', () => {
  it('fetches an old unsupported verdict again, parses it and replaces the stored record, raw bytes included', async () => {
    const content = new MemoryContent();
    content.manifests.set(digest, { manifest: oldVerdict, stale: true });
    const registry = new MemoryRegistry(served, configBlob);
    const r = resolver(content, registry);

    const parsed = await r.manifest(digest);
    expect(parsed).toEqual(parseManifest(ociManifest, MediaType.ociManifest));
    if (parsed.kind !== 'image') throw new Error('expected an image');
    await r.platformImage(digest, parsed);
    expect(content.manifests.get(digest)).toEqual({
      manifest: parsed,
      stale: false,
      raw: { mediaType: MediaType.ociManifest, content: Buffer.from(ociManifest) },
    });
    expect([registry.requests, r.registryRequests]).toEqual([2, 2]);
    // Current now: read again without the registry.
    expect(await r.manifest(digest)).toEqual(parsed);
    expect(registry.requests).toBe(2);
  });

  it('parses the stored raw bytes again without the registry, even for a read that must not reach it', async () => {
    const content = new MemoryContent();
    content.manifests.set(digest, { manifest: oldVerdict, stale: true, raw: { mediaType: MediaType.ociManifest, content: Buffer.from(ociManifest) } });
    content.configs.set(d(2), { os: 'linux', architecture: 'amd64', layerHistory: [] });
    const r = resolver(content, storedOnly);

    const parsed = await r.manifest(digest);
    if (parsed.kind !== 'image') throw new Error('expected an image');
    await r.platformImage(digest, parsed);
    expect(content.manifests.get(digest)?.stale).toBe(false);
    expect(r.registryRequests).toBe(0);
    // The config was stored and current: it is read, and the manifest written alone.
    expect(content.calls).toEqual(['getManifest', 'getConfig', 'putManifest']);
  });

  it('serves the old parse to a read that must not reach the registry, and when the registry no longer has the manifest', async () => {
    for (const registry of [storedOnly, new MemoryRegistry(new PermanentError('manifest unknown', 404))]) {
      const content = new MemoryContent();
      content.manifests.set(digest, { manifest: oldVerdict, stale: true });
      expect(await resolver(content, registry).manifest(digest)).toEqual(oldVerdict);
      expect(content.manifests.get(digest)?.stale).toBe(true);
    }
  });

  it('fails on a transient registry failure, for the queue to retry, leaving the old parse stored', async () => {
    const content = new MemoryContent();
    content.manifests.set(digest, { manifest: oldVerdict, stale: true });
    await expect(resolver(content, new MemoryRegistry(new TransientError('HTTP 503', 503))).manifest(digest)).rejects.toThrow('HTTP 503');
    expect(content.manifests.get(digest)).toEqual({ manifest: oldVerdict, stale: true });
  });

  it('does not count a stale manifest as known in a batch lookup: it is resolved, and parsed again, on its own', async () => {
    const content = new MemoryContent();
    content.manifests.set(digest, { manifest: oldVerdict, stale: true });
    const registry = new MemoryRegistry(served);
    const r = resolver(content, registry);
    const known = await r.knownManifests([digest]);
    expect(known.size).toBe(0);
    expect((await r.manifest(digest, known)).kind).toBe('image');
    expect(registry.requests).toBe(1);
  });
});

describe('ContentResolver with an image manifest the table does not hold', () => {
  it('fetches its config without looking it up, and writes manifest and config in one request', async () => {
    const content = new MemoryContent();
    const registry = new MemoryRegistry(served, configBlob);
    const r = resolver(content, registry);

    const parsed = await r.manifest(digest);
    if (parsed.kind !== 'image') throw new Error('expected an image');
    const image = await r.platformImage(digest, parsed);

    expect(image.platform).toBe('linux/arm64');
    expect(content.calls).toEqual(['getManifest', 'putManifest+config']);
    expect(registry.requests).toBe(2);
    expect(content.configs.get(d(2))).toMatchObject({ architecture: 'arm64' });
    // Stored now: a second resolver reads both from the table, the registry untouched.
    const again = resolver(content, storedOnly);
    const m = await again.manifest(digest);
    if (m.kind !== 'image') throw new Error('expected an image');
    expect(await again.platformImage(digest, m)).toEqual(image);
  });

  it('keeps the manifest when fetching its config fails, so the retry asks the registry for the config alone', async () => {
    const content = new MemoryContent();
    const registry = new MemoryRegistry(served, new TransientError('HTTP 503', 503));
    const r = resolver(content, registry);
    const fetched = await r.manifest(digest);
    if (fetched.kind !== 'image') throw new Error('expected an image');
    await expect(r.platformImage(digest, fetched)).rejects.toThrow('HTTP 503');
    expect(content.manifests.get(digest)?.manifest).toEqual(fetched);

    registry.blob = configBlob;
    const before = registry.requests;
    const retry = resolver(content, registry);
    const m = await retry.manifest(digest);
    if (m.kind !== 'image') throw new Error('expected an image');
    expect((await retry.platformImage(digest, m)).platform).toBe('linux/arm64');
    expect(registry.requests - before).toBe(1);
  });
});
