/**
 * A real client of the distribution webhook: the `docker-registry` server itself sends
 * its notifications to the local host. Nothing here writes a payload by hand.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAzurite } from './support/azurite';
import { SECRET } from './support/app';
import { startLocalHost, type LocalHost } from './support/host';
import { request } from './support/http';
import { deleteManifest, makeImage, makeMultiPlatformImage, pushImage, pushMultiPlatformImage } from './support/images';
import { startRegistry, type TestRegistry } from './support/registry';
import { freePort, waitFor } from './support/wait';

let azurite: Awaited<ReturnType<typeof startTestAzurite>>;
let host: LocalHost;
let registry: TestRegistry;

beforeAll(async () => {
  azurite = await startTestAzurite();
  // The host must allow the registry's login server, and the registry must know the host's URL.
  const port = await freePort();
  host = await startLocalHost({
    AzureWebJobsStorage: azurite.connectionString,
    WEBHOOK_SECRET: SECRET,
    ALLOWED_REGISTRIES: `localhost:${port}`,
    AzureFunctionsJobHost__extensions__queues__maxPollingInterval: '00:00:00.200',
  });
  registry = await startRegistry({
    port,
    notifications: { url: `${host.url}/api/webhooks/distribution`, headers: { Authorization: [`Bearer ${SECRET}`] } },
  });
});
afterAll(async () => {
  await registry?.stop();
  await host?.stop();
  await azurite?.stop();
});

async function trend(repository: string) {
  const url = new URL(`${host.url}/api/trend`);
  url.searchParams.set('registry', registry.loginServer);
  url.searchParams.set('repository', repository);
  const res = await request(url);
  return { status: res.status, json: JSON.parse(res.body.toString()) as { points: { tag: string; digest: string; sizeBytes: number; platform: string }[] } };
}

describe('docker-registry notifications → /api/webhooks/distribution', () => {
  it('turns a push through the registry API into a trend point with the exact size', async () => {
    const image = makeImage({ layers: [2048, 4096] });
    const pushed = await pushImage(registry.url, 'dist/app', image, { tag: 'v1' });
    const points = await waitFor(
      async () => {
        const t = await trend('dist/app');
        return t.status === 200 && t.json.points.length === 1 ? t.json.points : undefined;
      },
      { timeoutMs: 20_000, message: 'a point from the registry notification' },
    );
    expect(points[0]).toMatchObject({ tag: 'v1', digest: pushed.digest, sizeBytes: pushed.totalSize, platform: 'linux/amd64' });
    // Blob uploads are announced too; the webhook accepts them as ignored, and the registry saw 2xx for every envelope.
    expect(registry.logs()).not.toMatch(/retryingsink: error writing events/);
  });

  it('records each platform of an index pushed by a client, and a manifest delete', async () => {
    const multi = makeMultiPlatformImage({
      platforms: [
        { platform: { os: 'linux', architecture: 'amd64' }, layers: [1000] },
        { platform: { os: 'linux', architecture: 'arm64' }, layers: [1100] },
      ],
    });
    const pushed = await pushMultiPlatformImage(registry.url, 'dist/multi', multi, { tag: '2.0' });
    const points = await waitFor(
      async () => {
        const t = await trend('dist/multi');
        return t.status === 200 && t.json.points.length === 2 ? t.json.points : undefined;
      },
      { timeoutMs: 20_000, message: 'two platform points' },
    );
    expect(points.map((p) => p.sizeBytes).sort()).toEqual(pushed.platforms.map((p) => p.totalSize).sort());

    await deleteManifest(registry.url, 'dist/multi', pushed.indexDigest);
    await host.waitForLog(/delete localhost:\d+\/dist\/multi@sha256:[0-9a-f]+ .*: deleted/, 20_000);
    const url = new URL(`${host.url}/api/image`);
    url.searchParams.set('registry', registry.loginServer);
    url.searchParams.set('repository', 'dist/multi');
    url.searchParams.set('digest', pushed.indexDigest);
    const detail = JSON.parse((await request(url)).body.toString()) as { deletedAt?: string };
    expect(detail.deletedAt).toBeDefined();
  });
});
