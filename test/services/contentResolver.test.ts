import { describe, expect, it } from 'vitest';
import { PermanentError, TransientError } from '../../src/core/errors';
import { parseManifest, type ParsedManifest } from '../../src/core/manifest';
import { MediaType } from '../../src/core/mediaTypes';
import {
  ContentResolver,
  storedOnly,
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
  async getManifest(_registry: string, digest: string) {
    return this.manifests.get(digest);
  }
  async putManifest(_registry: string, digest: string, manifest: ParsedManifest, raw?: RawManifest) {
    this.manifests.set(digest, { manifest, stale: false, ...(raw ? { raw } : {}) });
  }
  async getManifests(_registry: string, digests: string[]) {
    return new Map(digests.flatMap((dg) => (this.manifests.get(dg)?.stale === false ? [[dg, this.manifests.get(dg)!.manifest] as const] : [])));
  }
  async getConfig() {
    return undefined;
  }
  async putConfig() {}
}

/** A registry serving one manifest, or failing every request the given way. */
class MemoryRegistry implements RegistryReader {
  requests = 0;
  constructor(private readonly answer: FetchedManifest | Error) {}
  async getManifest() {
    this.requests++;
    if (this.answer instanceof Error) throw this.answer;
    return this.answer;
  }
  async getBlob(): Promise<Buffer> {
    throw new PermanentError('no blobs here');
  }
}

const served: FetchedManifest = { digest, mediaType: MediaType.ociManifest, content: Buffer.from(ociManifest) };
const resolver = (content: ContentStore, registry: RegistryReader) => new ContentResolver(content, registry, 'r.io', 'team/app');

describe('ContentResolver.manifest with a parse stored by an older parser', () => {
  it('fetches an old unsupported verdict again, parses it and replaces the stored record, raw bytes included', async () => {
    const content = new MemoryContent();
    content.manifests.set(digest, { manifest: oldVerdict, stale: true });
    const registry = new MemoryRegistry(served);
    const r = resolver(content, registry);

    const parsed = await r.manifest(digest);

    expect(parsed).toEqual(parseManifest(ociManifest, MediaType.ociManifest));
    expect(parsed.kind).toBe('image');
    expect(content.manifests.get(digest)).toEqual({
      manifest: parsed,
      stale: false,
      raw: { mediaType: MediaType.ociManifest, content: Buffer.from(ociManifest) },
    });
    expect([registry.requests, r.registryRequests]).toEqual([1, 1]);
    // Current now: read again without the registry.
    expect(await r.manifest(digest)).toEqual(parsed);
    expect(registry.requests).toBe(1);
  });

  it('parses the stored raw bytes again without the registry, even for a read that must not reach it', async () => {
    const content = new MemoryContent();
    content.manifests.set(digest, { manifest: oldVerdict, stale: true, raw: { mediaType: MediaType.ociManifest, content: Buffer.from(ociManifest) } });
    const r = resolver(content, storedOnly);

    expect((await r.manifest(digest)).kind).toBe('image');
    expect(content.manifests.get(digest)?.stale).toBe(false);
    expect(r.registryRequests).toBe(0);
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
