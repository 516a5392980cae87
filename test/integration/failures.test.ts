/**
 * The events queue is a trust boundary (issue 8.7), and nothing that fails stays silently
 * stuck (issue 8.16): refused and exhausted events end as visible failures that can be
 * replayed once their cause is fixed.
 */
import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS_QUEUE } from '../../src/names';
import { startApp, type AppUnderTest } from './support/app';
import { makeImage, pushImage } from './support/images';
import { startSentinel, type Sentinel } from './support/proxy';
import { waitFor } from './support/wait';

let app: AppUnderTest;
let sentinel: Sentinel;
beforeAll(async () => {
  sentinel = await startSentinel();
  // Two attempts, so an exhausted event reaches the poison queue within seconds.
  app = await startApp({ env: { AzureFunctionsJobHost__extensions__queues__maxDequeueCount: '2' } });
});
afterAll(async () => {
  await app?.stop();
  await sentinel?.stop();
});

const writeToQueue = async (message: unknown) => {
  const queue = new QueueClient(app.connectionString, EVENTS_QUEUE);
  await queue.createIfNotExists();
  await queue.sendMessage(Buffer.from(JSON.stringify(message)).toString('base64'));
};
const failures = async (registry?: string) => (await app.get('/api/failures', registry ? { registry } : {})).json.failures as Array<Record<string, any>>;

describe('the events queue as a trust boundary', () => {
  it('never contacts a registry off the allow-list named by a message written straight to the queue', async () => {
    const digest = 'sha256:' + 'b'.repeat(64);
    await writeToQueue({
      id: 'forged-1',
      timestamp: new Date().toISOString(),
      action: 'push',
      source: 'acr',
      registry: sentinel.loginServer,
      repository: 'evil/app',
      digest,
      tag: 'v1',
    });
    const [refused] = await waitFor(
      async () => {
        const list = await failures(sentinel.loginServer);
        return list.length > 0 ? list : undefined;
      },
      { message: 'the forged event recorded as a failure' },
    );
    expect(refused).toMatchObject({ kind: 'refused', registry: sentinel.loginServer, state: 'failed', event: { id: 'forged-1' } });
    expect(refused!.reason).toMatch(/not in ALLOWED_REGISTRIES; it was not contacted/);
    expect(sentinel.connections()).toHaveLength(0);
    // Still refused on replay: the allow-list is checked again.
    const replay = await app.post(`/api/failures/replay?registry=${sentinel.loginServer}`, {});
    expect(replay.status).toBe(200);
    expect(replay.json).toMatchObject({ replayed: [], skipped: [{ id: refused!.id, reason: expect.stringMatching(/not in ALLOWED_REGISTRIES/) }] });
    expect(sentinel.connections()).toHaveLength(0);
  });

  it('bounds the times a message claims by when the queue took it: a year-9999 push does not stay latest', async () => {
    const pushed = await pushImage(app.registry.url, 'future/app', makeImage({ layers: [900] }), { tag: 'v1' });
    const before = Date.now();
    await writeToQueue({
      id: 'future-1',
      timestamp: '9999-12-31T00:00:00.000Z',
      receivedAt: '9999-12-31T00:00:00.000Z',
      action: 'push',
      source: 'acr',
      registry: app.proxy.loginServer,
      repository: 'future/app',
      digest: pushed.digest,
      tag: 'v1',
    });
    const [point] = await app.waitForPoints('future/app', 1);
    expect(point!.reportedPushedAt).toBe('9999-12-31T00:00:00.000Z');
    expect(Date.parse(point!.pushedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(point!.pushedAt)).toBeLessThanOrEqual(Date.now());
  });

  it('keeps a message that is not an event as a failure, without retrying it', async () => {
    await writeToQueue({ hello: 'world' });
    const [invalid] = await waitFor(
      async () => {
        const list = (await failures()).filter((f) => f.kind === 'invalid');
        return list.length > 0 ? list : undefined;
      },
      { message: 'the invalid message recorded' },
    );
    expect(invalid).toMatchObject({ registry: '-', attempts: 1, message: '{"hello":"world"}' });
    expect(invalid!.reason).toMatch(/^not a registry event: /);
  });
});

describe('exhausted events', () => {
  it('end as failed on the image and the repository, are listed, and replay once the registry recovers', async () => {
    const pushed = await pushImage(app.registry.url, 'stuck/app', makeImage({ layers: [1200] }), { tag: 'v1' });
    app.proxy.failNext(100, 500);
    expect((await app.acrPush({ repository: 'stuck/app', digest: pushed.digest, tag: 'v1', id: 'stuck-1' })).status).toBe(202);
    const [failure] = await waitFor(
      async () => {
        const list = await failures(app.proxy.loginServer);
        return list.length > 0 ? list : undefined;
      },
      { timeoutMs: 20_000, message: 'the exhausted event recorded' },
    );
    expect(failure).toMatchObject({ kind: 'exhausted', attempts: 2, state: 'failed', event: { id: 'stuck-1', repository: 'stuck/app' } });
    expect(failure!.reason).toMatch(/^gave up after 2 attempts: .*HTTP 500/);

    const image = await app.get('/api/image', { registry: app.proxy.loginServer, repository: 'stuck/app', digest: pushed.digest });
    expect(image.json).toMatchObject({ status: 'failed', reason: expect.stringMatching(/^gave up after 2 attempts/) });
    const repos = (await app.get('/api/repositories', { registry: app.proxy.loginServer })).json.repositories;
    expect(repos.find((r: { repository: string }) => r.repository === 'stuck/app')).toMatchObject({
      latest: null,
      lastError: { digest: pushed.digest, message: expect.stringMatching(/gave up after 2 attempts/) },
    });
    expect((await app.get('/api/trend', { registry: app.proxy.loginServer, repository: 'stuck/app' })).status).toBe(200);

    app.proxy.reset();
    const replay = await app.post(`/api/failures/replay?registry=${app.proxy.loginServer}`, {});
    expect(replay.status).toBe(202);
    expect(replay.json.replayed).toEqual([{ id: failure!.id, eventId: 'stuck-1' }]);
    const [point] = await app.waitForPoints('stuck/app', 1);
    expect(point!.sizeBytes).toBe(pushed.totalSize);
    await waitFor(
      async () => (await app.get('/api/image', { registry: app.proxy.loginServer, repository: 'stuck/app', digest: pushed.digest })).json.status === 'ok',
    );
    expect((await failures(app.proxy.loginServer))[0]).toMatchObject({ id: failure!.id, state: 'replayed' });
  });
});
