/**
 * Manifests stored by digest against Azurite: each row carries its parser version and,
 * when it fits, the bytes it was parsed from, so a row of an older parser (or of before
 * versions were stored) is parsed again rather than kept forever.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContentTable } from '../../../src/adapters/tables/contentTable';
import { packJson } from '../../../src/adapters/tables/entities';
import { Tables } from '../../../src/adapters/tables/tables';
import { PermanentError } from '../../../src/core/errors';
import { escapeKey } from '../../../src/core/keys';
import { MANIFEST_PARSER_VERSION, parseManifest, type ParsedManifest } from '../../../src/core/manifest';
import { MediaType } from '../../../src/core/mediaTypes';
import { ContentResolver, storedOnly, type FetchedManifest, type RegistryReader } from '../../../src/services/contentResolver';
import { startTestAzurite } from '../../integration/support/azurite';
import { startTableProxy, type TableProxy } from '../../integration/support/tableProxy';

let azurite: Awaited<ReturnType<typeof startTestAzurite>>;
let tables: Tables;
let content: ContentTable;

beforeAll(async () => {
  azurite = await startTestAzurite();
  tables = new Tables({ kind: 'connectionString', connectionString: azurite.connectionString });
  content = new ContentTable(tables);
});
afterAll(() => azurite?.stop());

const registry = 'localhost:5443';
const d = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const manifestText = (annotation = '') =>
  JSON.stringify({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, digest: d(2), size: 100 },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: d(3), size: 3_000 }],
    ...(annotation ? { annotations: { note: annotation } } : {}),
  });
const oldVerdict: ParsedManifest = { kind: 'unsupported', mediaType: MediaType.ociManifest, reason: 'a parser bug, fixed since' };

/** A registry serving one manifest by digest, counting what it is asked. */
class OneManifestRegistry implements RegistryReader {
  requests = 0;
  constructor(
    private readonly manifest: FetchedManifest,
    private readonly config?: Buffer,
  ) {}
  async getManifest(_registry: string, _repository: string, digest: string) {
    this.requests++;
    if (digest !== this.manifest.digest) throw new PermanentError(`manifest ${digest} unknown`, 404);
    return this.manifest;
  }
  async getBlob(): Promise<Buffer> {
    this.requests++;
    if (!this.config) throw new PermanentError('no blobs here', 404);
    return this.config;
  }
}

const configBlob = Buffer.from(JSON.stringify({ os: 'linux', architecture: 'amd64', history: [{ created_by: 'COPY . /app' }] }));

/** Resolves a digest the way a push does: the manifest, then the platform image with its config. */
async function resolveImage(resolver: ContentResolver, digest: string) {
  const parsed = await resolver.manifest(digest);
  if (parsed.kind !== 'image') throw new Error(`expected an image, got ${parsed.kind}`);
  return { parsed, image: await resolver.platformImage(digest, parsed) };
}

const row = async (digest: string) => (await tables.get('content')).getEntity<Record<string, unknown>>(escapeKey(registry), `m|${digest}`);

describe('ContentTable manifests', () => {
  it('parses a row written without a parser version again, from the registry, and stores the new parse with its bytes', async () => {
    const digest = d(10);
    // A row as written before versions were stored: the parse alone.
    await (await tables.get('content')).upsertEntity({ partitionKey: escapeKey(registry), rowKey: `m|${digest}`, ...packJson('json', oldVerdict) }, 'Replace');
    expect(await content.getManifest(registry, digest)).toEqual({ manifest: oldVerdict, stale: true });
    expect((await content.getManifests(registry, [digest])).size).toBe(0);

    const text = manifestText();
    const reader = new OneManifestRegistry({ digest, mediaType: MediaType.ociManifest, content: Buffer.from(text) }, configBlob);
    const { parsed } = await resolveImage(new ContentResolver(content, reader, registry, 'team/app'), digest);

    expect(parsed).toEqual(parseManifest(text, MediaType.ociManifest));
    expect(reader.requests).toBe(2);
    expect(await content.getManifest(registry, digest)).toEqual({
      manifest: parsed,
      stale: false,
      raw: { mediaType: MediaType.ociManifest, content: Buffer.from(text) },
    });
    expect((await row(digest)).parser).toBe(MANIFEST_PARSER_VERSION);
    expect(await content.getManifests(registry, [digest])).toEqual(new Map([[digest, parsed]]));
  });

  it('parses an older version again from the bytes stored with it, without the registry', async () => {
    const digest = d(11);
    const text = manifestText();
    await content.putManifest(registry, digest, oldVerdict, { mediaType: MediaType.ociManifest, content: Buffer.from(text) });
    const client = await tables.get('content');
    await client.updateEntity({ partitionKey: escapeKey(registry), rowKey: `m|${digest}`, parser: MANIFEST_PARSER_VERSION - 1 }, 'Merge');

    await content.putConfig(registry, d(2), { os: 'linux', architecture: 'amd64', layerHistory: [] });

    const resolver = new ContentResolver(content, storedOnly, registry, 'team/app');
    expect((await resolveImage(resolver, digest)).parsed).toEqual(parseManifest(text, MediaType.ociManifest));
    expect(resolver.registryRequests).toBe(0);
    expect((await content.getManifest(registry, digest))?.stale).toBe(false);
  });

  it('serves the older parse to a read that must not reach the registry when no bytes were kept', async () => {
    const digest = d(12);
    await (await tables.get('content')).upsertEntity({ partitionKey: escapeKey(registry), rowKey: `m|${digest}`, ...packJson('json', oldVerdict) }, 'Replace');
    expect(await new ContentResolver(content, storedOnly, registry, 'team/app').manifest(digest)).toEqual(oldVerdict);
  });

  it('keeps the bytes exactly across binary chunks, and leaves out bytes an entity cannot hold (the parse is kept all the same)', async () => {
    const large = manifestText('x'.repeat(300_000));
    await content.putManifest(registry, d(13), parseManifest(large, MediaType.ociManifest), { mediaType: MediaType.ociManifest, content: Buffer.from(large) });
    expect((await content.getManifest(registry, d(13)))?.raw?.content.equals(Buffer.from(large))).toBe(true);
    expect((await row(d(13))).rawChunks).toBe(5);

    const tooLarge = manifestText('x'.repeat(2 * 1024 * 1024));
    const parsed = parseManifest(tooLarge, MediaType.ociManifest);
    await content.putManifest(registry, d(14), parsed, { mediaType: MediaType.ociManifest, content: Buffer.from(tooLarge) });
    expect(await content.getManifest(registry, d(14))).toEqual({ manifest: parsed, stale: false });
  });
});

describe('ContentTable requests for a new image', () => {
  let proxy: TableProxy;
  let counted: ContentTable;
  beforeAll(async () => {
    proxy = await startTableProxy(azurite.connectionString);
    counted = new ContentTable(new Tables({ kind: 'connectionString', connectionString: proxy.connectionString }));
  });
  afterAll(() => proxy?.stop());

  it('reads the manifest row once and writes manifest and config in one transaction; a second push reads both rows', async () => {
    const digest = d(20);
    const text = manifestText('new image');
    const reader = new OneManifestRegistry({ digest, mediaType: MediaType.ociManifest, content: Buffer.from(text) }, configBlob);
    await counted.getManifests(registry, [d(999)]); // the table exists before counting starts
    proxy.reset();

    const { image } = await resolveImage(new ContentResolver(counted, reader, registry, 'team/app'), digest);
    expect(proxy.queries().map((q) => `${q.method} ${q.status}`)).toEqual(['GET 404', 'POST 202']);
    expect(image.platform).toBe('linux/amd64');
    expect(reader.requests).toBe(2);

    proxy.reset();
    const again = await resolveImage(new ContentResolver(counted, storedOnly, registry, 'team/app'), digest);
    expect(again.image).toEqual(image);
    expect(proxy.queries().map((q) => `${q.method} ${q.status}`)).toEqual(['GET 200', 'GET 200']);
  });
});
