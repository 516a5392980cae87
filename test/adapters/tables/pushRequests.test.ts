/**
 * Table requests per push, ingest on the real table adapters against Azurite (counted by
 * the proxy in front of it), with the registry in memory: in Azure each request is a
 * round trip and a billed transaction. docs/storage.md ("Requests per push") lists what
 * each one is for; these are its figures for a warm instance.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobTable } from '../../../src/adapters/tables/blobTable';
import { ContentTable } from '../../../src/adapters/tables/contentTable';
import { ImageTable } from '../../../src/adapters/tables/imageTable';
import { PointTable } from '../../../src/adapters/tables/pointTable';
import { RepositoryTable } from '../../../src/adapters/tables/repositoryTable';
import { Tables } from '../../../src/adapters/tables/tables';
import { CachedContent } from '../../../src/services/contentCache';
import { ingest, type IngestDeps } from '../../../src/services/ingest';
import { makeImage, type Image } from '../../integration/support/images';
import { startTestAzurite } from '../../integration/support/azurite';
import { startTableProxy, type TableProxy } from '../../integration/support/tableProxy';
import { MemoryRegistry } from '../../services/memoryStores';
import { at, POLICY, push, REGISTRY } from '../../services/world';

let azurite: Awaited<ReturnType<typeof startTestAzurite>>;
let proxy: TableProxy;
let deps: IngestDeps;
let registry: MemoryRegistry;

beforeAll(async () => {
  azurite = await startTestAzurite();
  proxy = await startTableProxy(azurite.connectionString);
  const tables = new Tables({ kind: 'connectionString', connectionString: proxy.connectionString });
  registry = new MemoryRegistry();
  deps = {
    content: new CachedContent(new ContentTable(tables)),
    images: new ImageTable(tables),
    points: new PointTable(tables),
    repositories: new RepositoryTable(tables),
    blobs: new BlobTable(tables, { totalMaxAgeMs: 60_000 }),
    registry,
    policyFor: async () => POLICY,
  };
});
afterAll(async () => {
  await proxy?.stop();
  await azurite?.stop();
});

const publish = (image: Image) => {
  registry.putManifest(image.manifest.mediaType, image.manifest.bytes, image.manifest.digest);
  registry.blobs.set(image.config.digest, image.config.bytes);
};

/** The table requests one event made, by table, as `<table> <method> <status>`. */
async function requestsOf(event: Parameters<typeof ingest>[0]) {
  proxy.reset();
  const outcome = await ingest(event, deps);
  return { outcome, requests: proxy.queries().map((q) => `${q.table.replace(/^acrsize/, '')} ${q.method} ${q.status}`) };
}

describe('table requests of a push, on a warm instance', () => {
  it('a new image after earlier ones, then the same digest under a new tag', async () => {
    const images = [1000, 2000, 3000].map((n) => makeImage({ layers: [n, 500] }));
    images.forEach(publish);
    await ingest(push('team/requests', images[0]!, 'v1', 0), deps);
    await ingest(push('team/requests', images[1]!, 'v2', 1), deps);

    const fresh = await requestsOf(push('team/requests', images[2]!, 'v3', 2));
    expect(fresh.outcome.pointsAdded).toHaveLength(1);
    expect(fresh.outcome.pointsAdded[0]).toMatchObject({ baselineDigest: images[1]!.manifest.digest, baselineMode: 'previous' });
    expect(fresh.requests).toEqual([
      'Content GET 404', // the manifest is not stored: its config is not looked up either
      '$batch POST 202', // manifest and config, one transaction
      'Blobs GET 200', // the blob rows and the ledger shard, one query
      '$batch POST 202', // references, blobs and shard, one transaction
      // No baseline read: the summary this instance wrote last names the platform's newest point, of another digest
      '$batch POST 202', // point, marker and index row (the answer carries the point's ETag: it is not read back)
      'Points GET 200', // after writing, from the newest point down: no later point, and the baseline again
      'Repositories PUT 204', // the newest point set without reading the points, with the ETag this instance wrote last
      'Images POST 204', // created without a read: its content was new, so was the image
    ]);

    const retag = await requestsOf(push('team/requests', images[2]!, 'stable', 3));
    expect(retag.outcome.pointsAdded[0]).toMatchObject({ tag: 'stable', baselineDigest: images[1]!.manifest.digest, newRegistryBytes: 0 });
    expect(retag.requests).toEqual([
      // No image read: this instance remembers the record (its platform says a point exists already:
      // this one brought no new bytes). No baseline read: the summary's newest point is this digest,
      // and its baseline is the new tag's.
      '$batch POST 202',
      'Points GET 200',
      'Repositories PUT 204',
      'Images PUT 204',
    ]);
  });
});

describe('a push whose content is new, after its delete was delivered first', () => {
  it('finds the record the delete left when creating one conflicts, and keeps the image deleted', async () => {
    const image = makeImage({ layers: [4000] });
    publish(image);
    const deleted = await ingest(
      { id: 'del-1', source: 'acr', action: 'delete', registry: REGISTRY, repository: 'team/early-delete', digest: image.manifest.digest, timestamp: at(10) },
      deps,
    );
    expect(deleted.action).toBe('delete');

    const pushed = await requestsOf(push('team/early-delete', image, 'v1', 9));
    expect(pushed.requests.filter((r) => r.startsWith('Images'))).toEqual(['Images POST 409', 'Images GET 200', 'Images PUT 204']);
    const record = await deps.images.get(REGISTRY, 'team/early-delete', image.manifest.digest);
    expect(record).toMatchObject({ tags: ['v1'], deletedAt: at(10), firstPushedAt: at(9) });
    expect(pushed.outcome.pointsAdded[0]).toMatchObject({ tag: 'v1' });
    const [point] = (await deps.points.ofDigest(REGISTRY, 'team/early-delete', image.manifest.digest)).map((p) => p.point);
    expect(point?.deletedAt).toBe(at(10));
  });
});

describe('a remembered image record another instance changed since', () => {
  it('is read again when the update finds it changed, and the event runs again when what its accounting used changed', async () => {
    const image = makeImage({ layers: [5000] });
    publish(image);
    await ingest(push('team/two-instances', image, 'v1', 20), deps);
    // Another instance of the app: its own adapters (and memory) over the same tables.
    const tables = new Tables({ kind: 'connectionString', connectionString: proxy.connectionString });
    const other: IngestDeps = { ...deps, images: new ImageTable(tables), repositories: new RepositoryTable(tables), points: new PointTable(tables) };

    // A new tag through the other instance: only the tags change, so this instance's remembered record is merged on.
    await ingest(push('team/two-instances', image, 'v2', 21), other);
    proxy.reset();
    await ingest(push('team/two-instances', image, 'v3', 22), deps);
    expect(
      proxy
        .queries()
        .filter((q) => q.table === 'acrsizeImages')
        .map((q) => `${q.method} ${q.status}`),
    ).toEqual(['PUT 412', 'GET 200', 'PUT 204']);
    expect((await deps.images.get(REGISTRY, 'team/two-instances', image.manifest.digest))?.tags).toEqual(['v1', 'v2', 'v3']);

    // A delete through the other instance: this instance's accounting of a re-push used the record before it.
    const del = {
      id: 'del-2',
      source: 'acr' as const,
      action: 'delete' as const,
      registry: REGISTRY,
      repository: 'team/two-instances',
      digest: image.manifest.digest,
      timestamp: at(23),
    };
    await ingest(del, other);
    await expect(ingest(push('team/two-instances', image, 'v4', 24), deps)).rejects.toThrow(/changed under this event/);
    // The queue's next delivery reads afresh: the re-push revives the image.
    const again = await ingest(push('team/two-instances', image, 'v4', 24), deps);
    expect(again.status).toBe('ok');
    const record = await deps.images.get(REGISTRY, 'team/two-instances', image.manifest.digest);
    expect(record?.deletedAt).toBeUndefined();
    expect(record?.tags).toEqual(['v1', 'v2', 'v3', 'v4']);
  });
});
