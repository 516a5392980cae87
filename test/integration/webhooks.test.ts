/** What the webhooks refuse, and how: status, JSON body, and nothing queued or fetched. */
import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS_QUEUE } from '../../src/names';
import { SECRET, startApp, type AppUnderTest } from './support/app';
import { startLocalHost } from './support/host';
import { request } from './support/http';
import { makeImage, pushImage } from './support/images';
import { startSentinel, type Sentinel } from './support/proxy';
import { waitFor } from './support/wait';

const digest = 'sha256:' + 'b'.repeat(64);
let app: AppUnderTest;
let sentinel: Sentinel;

beforeAll(async () => {
  app = await startApp();
  sentinel = await startSentinel();
});
afterAll(async () => {
  await sentinel?.stop();
  await app?.stop();
});

const push = (over: Record<string, unknown> = {}) => ({
  id: 'evt-1',
  timestamp: '2026-11-27T10:00:00Z',
  action: 'push',
  target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 10, digest, length: 10, repository: 'team/app', tag: 'v1' },
  request: { id: 'r', host: 'placeholder', method: 'PUT', useragent: 'x' },
  ...over,
});

async function queueLength(): Promise<number> {
  const props = await new QueueClient(app.connectionString, EVENTS_QUEUE).getProperties().catch(() => ({ approximateMessagesCount: 0 }));
  return props.approximateMessagesCount ?? 0;
}

describe('webhook authentication', () => {
  it('answers 401 without the secret, with a wrong one, or with another scheme', async () => {
    const body = push({ request: { host: app.proxy.loginServer } });
    for (const headers of [
      {} as Record<string, string>,
      { authorization: 'Bearer wrong-secret-of-some-length' },
      { authorization: `Basic ${SECRET}` },
      { authorization: `Bearer ${SECRET}x` },
    ]) {
      const res = await app.post('/api/webhooks/acr', body, headers);
      expect(res.status).toBe(401);
      expect(res.json.error).toMatch(/Authorization/);
      expect(res.headers['www-authenticate']).toBe('Bearer');
    }
    expect(app.host.logs()).not.toContain(SECRET);
  });
});

describe('registry allow-list', () => {
  it('refuses an event naming another registry with 403 and never contacts it', async () => {
    const before = await queueLength();
    const res = await app.post('/api/webhooks/acr', push({ request: { host: sentinel.loginServer } }));
    expect(res.status).toBe(403);
    expect(res.json).toMatchObject({ registries: [sentinel.loginServer], error: expect.stringMatching(/ALLOWED_REGISTRIES/) });
    const envelope = {
      events: [
        {
          id: 'd1',
          timestamp: '2026-11-27T10:00:00Z',
          action: 'push',
          target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, repository: 'x/y', tag: 't' },
          request: { host: sentinel.loginServer },
        },
      ],
    };
    expect((await app.post('/api/webhooks/distribution', envelope)).status).toBe(403);
    expect(await queueLength()).toBe(before);
    // An allowed event sent after them is processed: the queue is first in, first out, so
    // a refused event that had been queued would have been tried by then.
    const pushed = await pushImage(app.registry.url, 'team/after-refusal', makeImage({ layers: [100] }), { tag: 'v1' });
    expect((await app.acrPush({ repository: 'team/after-refusal', digest: pushed.digest, tag: 'v1', id: 'after-refusal' })).status).toBe(202);
    await app.host.waitForLog(/\(event after-refusal\): ok/);
    expect(sentinel.connections()).toEqual([]);
  });
});

describe('malformed input', () => {
  it('answers 400 for bad JSON, a wrong shape, an unknown action, and an empty body', async () => {
    const badJson = await app.post('/api/webhooks/acr', '{"id": ');
    expect(badJson.status).toBe(400);
    expect(badJson.json.error).toMatch(/not valid JSON/);
    const shape = await app.post('/api/webhooks/acr', { hello: 'world' });
    expect(shape.status).toBe(400);
    expect(shape.json.error).toMatch(/^not an ACR webhook payload/);
    const unknown = await app.post('/api/webhooks/acr', push({ action: 'explode', request: { host: app.proxy.loginServer } }));
    expect(unknown.status).toBe(400);
    expect(unknown.json.error).toMatch(/unknown action "explode"/);
    const empty = await app.post('/api/webhooks/distribution', '');
    expect(empty.status).toBe(400);
    const notEnvelope = await app.post('/api/webhooks/distribution', push());
    expect(notEnvelope.status).toBe(400);
    expect(notEnvelope.json.error).toMatch(/Distribution notification envelope/);
  });

  it('answers 400 on all three webhooks for a digest that is not sha256/sha512 lower-case hex, however long, queueing nothing', async () => {
    const before = await queueLength();
    const host = app.proxy.loginServer;
    for (const bad of ['sha256:' + 'a'.repeat(70_000), 'md5:' + 'a'.repeat(32), 'a:b', 'sha256:' + 'A'.repeat(64), 'sha512:' + 'a'.repeat(64)]) {
      const target = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: bad, repository: 'team/app', tag: 'v1' };
      const acr = await app.post('/api/webhooks/acr', push({ target: { ...target, size: 1, length: 1 }, request: { host } }));
      const distribution = await app.post('/api/webhooks/distribution', {
        events: [{ id: 'd', timestamp: '2026-11-27T10:00:00Z', action: 'push', target, request: { host } }],
      });
      const eventGrid = await app.post('/api/webhooks/eventgrid', [
        {
          id: 'g',
          eventType: 'Microsoft.ContainerRegistry.ImagePushed',
          eventTime: '2026-11-27T10:00:00Z',
          subject: 'x',
          data: { id: 'g', timestamp: '2026-11-27T10:00:00Z', action: 'push', target, request: { host } },
        },
      ]);
      for (const [name, res] of Object.entries({ acr, distribution, eventGrid })) {
        expect(res.status, `${name} with ${bad.slice(0, 20)}…: ${res.body.toString().slice(0, 200)}`).toBe(400);
        expect(res.json.error).toMatch(/digest.*sha256: and 64 lower-case hex/);
      }
    }
    expect(await queueLength()).toBe(before);
  });

  it('answers 413 for a body over 1 MiB, declared or not', async () => {
    const big = JSON.stringify({ ...push(), padding: 'x'.repeat(1024 * 1024) });
    const res = await app.post('/api/webhooks/acr', big);
    expect(res.status).toBe(413);
    expect(res.json).toMatchObject({ limitBytes: 1048576 });
  });

  it('answers 200 to ping and to actions it does not track, queueing nothing', async () => {
    const before = await queueLength();
    const ping = await app.post('/api/webhooks/acr', { id: 'p', timestamp: '2026-11-27T10:00:00Z', action: 'ping' });
    expect(ping.status).toBe(200);
    expect(ping.json).toMatchObject({ accepted: 0, ping: 'ok' });
    const chart = await app.post('/api/webhooks/acr', {
      id: 'c',
      timestamp: '2026-11-27T10:00:00Z',
      action: 'chart_push',
      target: { mediaType: 'application/vnd.acr.helm.chart', size: 1, digest, repository: 'charts/x', tag: '1.0.0', name: 'x', version: '1.0.0' },
    });
    expect(chart.status).toBe(200);
    expect(chart.json.ignored[0]).toMatchObject({ action: 'chart_push' });
    const pulls = await app.post('/api/webhooks/distribution', {
      events: [{ id: 'pl', timestamp: '2026-11-27T10:00:00Z', action: 'pull', target: { digest, repository: 'x' }, request: { host: app.proxy.loginServer } }],
    });
    expect(pulls.status).toBe(200);
    expect(pulls.json.accepted).toBe(0);
    expect(await queueLength()).toBe(before);
  });

  it('answers 404 for a method or path that is not registered', async () => {
    expect((await request(`${app.host.url}/api/webhooks/acr`)).status).toBe(404);
    expect((await request(`${app.host.url}/api/nope`)).status).toBe(404);
  });
});

describe('log lines', () => {
  // The queue trigger logs the event too (its own line, not the webhook's), so these look at the webhook's lines.
  it('quote payload values escaped, so a newline or NUL in an id or host cannot split or forge a line', async () => {
    const id = 'evt-log\nFORGED 2026-01-01 line\u0000end';
    const res = await app.post('/api/webhooks/acr', push({ id, request: { host: app.proxy.loginServer } }));
    expect(res.status).toBe(202);
    const line = await app.host.waitForLog(/queued event evt-log/);
    expect(line).toMatch(/queued event evt-log\\nFORGED 2026-01-01 line\\u0000end push /);
    const refused = await app.post('/api/webhooks/acr', push({ request: { host: 'elsewhere.example\nFORGED-REGISTRY' } }));
    expect(refused.status).toBe(403);
    expect(await app.host.waitForLog(/webhook refused: registry elsewhere/)).toContain('elsewhere.example\\nforged-registry');
    expect(
      app.host
        .logs()
        .split('\n')
        .filter((l) => l.toLowerCase().startsWith('forged-registry')),
    ).toEqual([]);
  });
});

describe('storage outage', () => {
  it('answers 503 fast and logs the event id, repository, tag and digest', async () => {
    // Storage on a port nothing listens on: the enqueue cannot succeed.
    const down = app.connectionString.replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:9');
    const host = await startLocalHost({ AzureWebJobsStorage: down, WEBHOOK_SECRET: SECRET, ALLOWED_REGISTRIES: app.proxy.loginServer });
    try {
      const started = Date.now();
      const res = await request(`${host.url}/api/webhooks/acr`, {
        method: 'POST',
        headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' },
        body: JSON.stringify(push({ id: 'outage-1\nFORGED line\u0000', request: { host: app.proxy.loginServer } })),
      });
      expect(Date.now() - started).toBeLessThan(5000);
      expect(res.status).toBe(503);
      const answer = JSON.parse(res.body.toString());
      expect(answer.error).toMatch(/^the event was not queued: queue storage is unreachable \(ECONNREFUSED, 2 tries\); retry later/);
      expect(answer).toMatchObject({ reason: 'unreachable', accepted: 0, events: [{ id: 'outage-1\nFORGED line\u0000', outcome: 'not_queued' }] });
      expect(res.headers['retry-after']).toBe('5');
      const line = await waitFor(() =>
        host
          .logs()
          .split('\n')
          .find((l) => l.includes('could not queue')),
      );
      expect(line).toContain('outage-1\\nFORGED line\\u0000');
      expect(line).toContain('team/app:v1');
      expect(line).toContain(digest);
      // Nothing was queued, so every line here is the webhook's own: none split, no raw NUL.
      expect(host.logs()).not.toContain('\u0000');
      expect(
        host
          .logs()
          .split('\n')
          .filter((l) => l.startsWith('FORGED')),
      ).toEqual([]);
    } finally {
      await host.stop();
    }
  });
});
