/**
 * The trend and its summary stay true to what happened, whatever was delivered twice, out
 * of order, half-readable or deleted (issue 8 items 3, 4, 5, 21, 23).
 */
import { randomUUID } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLES } from '../../src/names';
import { escapeKey } from '../../src/core/keys';
import { startApp, type AppUnderTest } from './support/app';
import { deleteManifest, makeImage, makeMultiPlatformImage, MediaType, pushImage, pushMultiPlatformImage } from './support/images';
import { waitFor } from './support/wait';

let app: AppUnderTest;
beforeAll(async () => {
  app = await startApp();
});
afterAll(() => app?.stop());

const registry = () => app.proxy.loginServer;
/** Event times within the webhook's accepted window (EVENT_MAX_AGE_HOURS): hours on a fixed grid before now. */
const START = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 72 * 3_600_000;
const at = (hour: number) => new Date(START + hour * 3_600_000).toISOString();
const repositoryRow = async (repository: string) =>
  (await app.get('/api/repositories', { registry: registry() })).json.repositories.find((r: { repository: string }) => r.repository === repository);
const processed = (id: string) => app.host.waitForLog(new RegExp(`\\(event ${id}\\): `), 20_000);

async function acrDelete(repository: string, digest: string, timestamp: string) {
  const id = randomUUID();
  const res = await app.post('/api/webhooks/acr', {
    id,
    timestamp,
    action: 'delete',
    target: { mediaType: MediaType.ociManifest, digest, repository },
    request: { id: randomUUID(), host: registry(), method: 'DELETE', useragent: 'az' },
  });
  expect(res.status).toBe(202);
  return id;
}

async function push(repository: string, digest: string, tag: string, timestamp: string, mediaType?: string) {
  const id = randomUUID();
  expect((await app.acrPush({ repository, digest, tag, timestamp, id, ...(mediaType ? { mediaType } : {}) })).status).toBe(202);
  return id;
}

describe('the repository summary is rebuilt from the stored points', () => {
  it('repairs a summary a crash left behind when the event is delivered again, and never 404s a trend that has points', async () => {
    const pushed = await pushImage(app.registry.url, 'crash/app', makeImage({ layers: [2000] }), { tag: 'v1' });
    const event = { repository: 'crash/app', digest: pushed.digest, tag: 'v1', id: 'crash-1', timestamp: at(0) };
    expect((await app.acrPush(event)).status).toBe(202);
    await processed('crash-1');
    // What a SIGKILL between the point's write and the summary's leaves: points, no summary row.
    const table = TableClient.fromConnectionString(app.connectionString, TABLES.repositories, { allowInsecureConnection: true });
    await table.deleteEntity(escapeKey(registry()), escapeKey('crash/app'));

    const trend = await app.get('/api/trend', { registry: registry(), repository: 'crash/app' });
    expect(trend.status).toBe(200);
    expect(trend.json.points).toHaveLength(1);

    // The queue delivers the message again after the crash.
    expect((await app.acrPush({ ...event, id: 'crash-1' })).status).toBe(202);
    await waitFor(async () => (await repositoryRow('crash/app'))?.latest, { message: 'the summary repaired' });
    expect((await repositoryRow('crash/app')).latest).toMatchObject({ tag: 'v1', digest: pushed.digest, sizeBytes: pushed.totalSize });
  });

  it('records both the error and the summary when one platform of an index cannot be read', async () => {
    const multi = makeMultiPlatformImage({
      attestations: false,
      platforms: [
        { platform: { os: 'linux', architecture: 'amd64' }, layers: [3000] },
        { platform: { os: 'linux', architecture: 'arm64' }, layers: [3100] },
      ],
    });
    const pushed = await pushMultiPlatformImage(app.registry.url, 'partial/app', multi, { tag: '1.0' });
    const arm = pushed.platforms[1]!;
    // The SDK sends the digest URL-encoded (sha256%3A…): match on the hex.
    app.proxy.failNext(1, 404, { path: new RegExp(`/manifests/.*${arm.digest.slice('sha256:'.length)}`) });
    await processed(await push('partial/app', pushed.indexDigest, '1.0', at(1), MediaType.ociIndex));

    const image = await app.get('/api/image', { registry: registry(), repository: 'partial/app', digest: pushed.indexDigest });
    expect(image.json).toMatchObject({ status: 'partial', reason: '1 of 2 platform manifests could not be read' });
    const summary = await repositoryRow('partial/app');
    expect(summary.latest).toMatchObject({ tag: '1.0', platform: 'linux/amd64', digest: pushed.platforms[0]!.digest });
    expect(summary.lastError).toMatchObject({ digest: pushed.indexDigest, message: '1 of 2 platform manifests could not be read' });
  });

  it('gives a first point no size delta (there is nothing to compare with)', async () => {
    const pushed = await pushImage(app.registry.url, 'first/app', makeImage({ layers: [1000, 2000] }), { tag: 'v1' });
    await processed(await push('first/app', pushed.digest, 'v1', at(2)));
    const [point] = (await app.get('/api/trend', { registry: registry(), repository: 'first/app' })).json.points;
    expect(point).toMatchObject({ sizeDeltaBytes: null, layerCountDelta: null, addedBytes: pushed.layerSizes[0]! + pushed.layerSizes[1]! });
    expect(point.baselineDigest).toBeUndefined();
  });
});

describe('deletes', () => {
  it('move the summary to the newest remaining image and mark the deleted point in the trend', async () => {
    const v1 = await pushImage(app.registry.url, 'gone/app', makeImage({ layers: [1500] }), { tag: 'v1' });
    const v2 = await pushImage(app.registry.url, 'gone/app', makeImage({ layers: [2500] }), { tag: 'v2' });
    await processed(await push('gone/app', v1.digest, 'v1', at(3)));
    await processed(await push('gone/app', v2.digest, 'v2', at(4)));
    expect((await repositoryRow('gone/app')).latest).toMatchObject({ tag: 'v2' });

    await deleteManifest(app.registry.url, 'gone/app', v2.digest);
    await processed(await acrDelete('gone/app', v2.digest, at(5)));
    expect((await repositoryRow('gone/app')).latest).toMatchObject({ tag: 'v1', digest: v1.digest });
    const points = (await app.get('/api/trend', { registry: registry(), repository: 'gone/app' })).json.points;
    expect(points.map((p: { tag: string; deletedAt?: string }) => [p.tag, p.deletedAt ?? null])).toEqual([
      ['v1', null],
      ['v2', at(5)],
    ]);

    // Pushed again after the delete: live again.
    await pushImage(app.registry.url, 'gone/app', makeImage({ layers: [1] }), { tag: 'unrelated' });
    await processed(await push('gone/app', v2.digest, 'v2', at(6)));
    expect((await repositoryRow('gone/app')).latest).toMatchObject({ tag: 'v2', digest: v2.digest });
  });

  it('delivered before an older push of the same digest, keep its bytes reclaimable and its point deleted', async () => {
    const pushed = await pushImage(app.registry.url, 'early/app', makeImage({ layers: [4000, 5000] }), { tag: 'v1' });
    const reclaimableBefore = (await app.get('/api/storage', { registry: registry() })).json.reclaimableBytes ?? 0;
    // The registry deleted it at 12:00; the webhook of its 11:00 push arrives after the delete's.
    await processed(await acrDelete('early/app', pushed.digest, at(8)));
    await processed(await push('early/app', pushed.digest, 'v1', at(7)));

    const image = await app.get('/api/image', { registry: registry(), repository: 'early/app', digest: pushed.digest });
    expect(image.json).toMatchObject({ status: 'ok', deletedAt: at(8), firstPushedAt: at(7) });
    const storage = (await app.get('/api/storage', { registry: registry() })).json;
    const reclaimable = storage.repositories.find((r: { repository: string }) => r.repository === 'early/app');
    // Nothing of it is live: its blobs are not counted for the repository, and they are reclaimable.
    expect(reclaimable).toBeUndefined();
    expect(storage.reclaimableBytes - reclaimableBefore).toBe(pushed.totalSize);
    const [point] = (await app.get('/api/trend', { registry: registry(), repository: 'early/app' })).json.points;
    expect(point.deletedAt).toBe(at(8));
    expect((await repositoryRow('early/app')).latest).toBeNull();
  });
});
