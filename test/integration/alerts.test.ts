/**
 * Regression alerts end to end: real images, the local host, Azurite, and a local HTTP
 * receiver standing in for a Teams Workflows webhook.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type AppUnderTest } from './support/app';
import { imageSize, makeConfig, makeLayer, makeManifest, pushImage, type Image, type Layer } from './support/images';
import { startReceiver, type ReceivedRequest, type Receiver } from './support/receiver';
import { waitFor } from './support/wait';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const AC = require('adaptivecards/dist/adaptivecards.js') as typeof import('adaptivecards');

const MiB = 1024 * 1024;
let app: AppUnderTest;
let teams: Receiver;
let teamOwn: Receiver;

function build(layers: Layer[], steps: string[]): Image {
  const created = new Date().toISOString();
  const config = makeConfig({ os: 'linux', architecture: 'amd64', created, diffIds: layers.map((l) => l.diffId), history: steps.map((s) => ({ created_by: s, created })) });
  return { manifest: makeManifest({ format: 'oci', config, layers }), config, layers, totalSize: imageSize(config, layers) };
}

let clock = Date.parse('2026-11-10T00:00:00.000Z');
async function push(repository: string, image: Image, tag: string, id = randomUUID()) {
  const pushed = await pushImage(app.registry.url, repository, image, { tag });
  clock += 3_600_000;
  const event = { repository, digest: pushed.digest, tag, id, timestamp: new Date(clock).toISOString() };
  expect((await app.acrPush(event)).status).toBe(202);
  return { pushed, event };
}

async function processed(repository: string, tag: string) {
  await app.host.waitForLog(new RegExp(`${repository.replace('/', '\\/')}:${tag}@\\S+ \\(event [^)]+\\): ok`), 30_000);
}

const card = (r: ReceivedRequest) => (r.json as { attachments: { content: Record<string, unknown> }[] }).attachments[0]!.content;
const cardText = (r: ReceivedRequest) => JSON.stringify(card(r));

function parseWarnings(content: Record<string, unknown>): string[] {
  const c = new AC.AdaptiveCard();
  const ctx = new AC.SerializationContext();
  c.parse(content, ctx);
  return Array.from({ length: ctx.eventCount }, (_, i) => ctx.getEventAt(i).message);
}

// Layers are built once: random data does not compress, so sizes are what they say.
const base = makeLayer(20 * MiB);
const app10 = makeLayer(10 * MiB);
const app10b = makeLayer(10 * MiB + 300 * 1024); // ~1% more than v1 overall
const extra15 = makeLayer(15 * MiB);
const v1 = build([base, app10], ['ADD rootfs.tar /', 'COPY . /app']);
const v11 = build([base, app10b], ['ADD rootfs.tar /', 'COPY . /app']);
const v2 = build([base, app10b, extra15], ['ADD rootfs.tar /', 'COPY . /app', 'RUN apt-get install -y build-essential']);
const v3 = build([base], ['ADD rootfs.tar /']);

beforeAll(async () => {
  teams = await startReceiver();
  teamOwn = await startReceiver();
  app = await startApp({
    env: {
      TEAMS_WEBHOOK_URL: `${teams.url}/workflows/default`,
      TEAMS_ALLOWED_HOSTS: `127.0.0.1:${teamOwn.port}`,
      PUBLIC_BASE_URL: 'https://sizes.example.com/',
      ALERT_RESEND_SCHEDULE: '*/1 * * * * *',
      ALERT_MAX_ATTEMPTS: '6',
      ALERT_RETRY_BASE_SECONDS: '1',
    },
  });
}, 120_000);
afterAll(async () => {
  await app?.stop();
  await teams?.stop();
  await teamOwn?.stop();
});

describe('regression alerts', () => {
  it('stays quiet for a first push and for 1% growth, alerts once for +50% / +15 MiB, and not again for a duplicate webhook', async () => {
    await push('shop/api', v1, 'v1');
    await processed('shop/api', 'v1');
    await push('shop/api', v11, 'v1.1');
    await processed('shop/api', 'v1.1');
    expect(teams.requests()).toHaveLength(0);

    const { pushed, event } = await push('shop/api', v2, 'v2');
    const [alert] = await teams.waitForRequests(1, { timeoutMs: 30_000 });
    expect(alert!.path).toBe('/workflows/default');
    expect(alert!.headers['content-type']).toMatch(/application\/json/);
    const msg = alert!.json as { type: string; attachments: { contentType: string; contentUrl: null; content: { version: string } }[] };
    expect(msg.type).toBe('message');
    expect(msg.attachments[0]).toMatchObject({ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: { version: '1.5' } });
    expect(Buffer.byteLength(alert!.body)).toBeLessThan(28_000);
    expect(parseWarnings(card(alert!))).toEqual([]);
    const text = cardText(alert!);
    for (const expected of ['shop/api', 'v2', 'linux/amd64', pushed.digest.slice(7, 19), 'apt-get install', 'ACI', 'App Service', 'AKS', 'https://sizes.example.com/api/compare?']) {
      expect(text).toContain(expected);
    }
    expect(text).toMatch(/\+15\.\d MiB/);

    // The same webhook again, and the same digest under another tag: the image was alerted already.
    expect((await app.acrPush(event)).status).toBe(202);
    await pushImage(app.registry.url, 'shop/api', v2, { tag: 'v2-again' });
    expect((await app.acrPush({ ...event, id: randomUUID(), tag: 'v2-again', timestamp: new Date(clock + 1000).toISOString() })).status).toBe(202);
    await processed('shop/api', 'v2-again');
    await new Promise((r) => setTimeout(r, 1500));
    expect(teams.requests()).toHaveLength(1);

    const history = await app.get('/api/alerts', { registry: app.proxy.loginServer, repository: 'shop/api' });
    expect(history.status).toBe(200);
    expect(history.json.alerts).toHaveLength(1);
    expect(history.json.alerts[0]).toMatchObject({ state: 'sent', rules: ['growth'], kind: 'regression', tag: 'v2', digest: pushed.digest, attempts: 1 });
    expect(JSON.stringify(history.json)).not.toContain('/workflows/default'); // the route URL carries a signature
  });

  it('sends an improvement notice when the image shrinks by the thresholds', async () => {
    teams.reset();
    await push('shop/api', v3, 'v3');
    const [notice] = await teams.waitForRequests(1, { timeoutMs: 30_000 });
    expect(parseWarnings(card(notice!))).toEqual([]);
    expect(cardText(notice!)).toMatch(/smaller/i);
    const alerts = (await app.get('/api/alerts', { registry: app.proxy.loginServer, repository: 'shop/api', state: 'sent' })).json.alerts;
    expect(alerts[0]).toMatchObject({ kind: 'improvement', rules: ['improvement'], tag: 'v3' });
  });
});

describe('delivery', () => {
  it('retries a 500, waits out a 429 Retry-After, and delivers once', async () => {
    teams.reset();
    teams.respondWith({ status: 500 }, { status: 429, headers: { 'retry-after': '2' } });
    await push('pay/api', v1, 'v1');
    await processed('pay/api', 'v1');
    await push('pay/api', v2, 'v2');
    const requests = await teams.waitForRequests(3, { timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 1500));
    expect(teams.requests()).toHaveLength(3);
    expect(requests[2]!.time - requests[1]!.time).toBeGreaterThanOrEqual(2000);
    expect(requests[2]!.body).toBe(requests[0]!.body);
    const [alert] = await waitFor(async () => {
      const a = (await app.get('/api/alerts', { registry: app.proxy.loginServer, repository: 'pay/api' })).json.alerts;
      return a[0]?.state === 'sent' ? a : undefined;
    });
    expect(alert).toMatchObject({ state: 'sent', attempts: 3 });
  });

  it('loses nothing in a longer outage: the re-send timer delivers what is pending', async () => {
    teams.reset();
    teams.respondWith({ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 });
    await push('pay/worker', v1, 'v1');
    await processed('pay/worker', 'v1');
    await push('pay/worker', v2, 'v2');
    const pending = await waitFor(async () => {
      const a = (await app.get('/api/alerts', { registry: app.proxy.loginServer, repository: 'pay/worker' })).json.alerts;
      return a[0]?.state === 'pending' && a[0].attempts >= 3 ? a[0] : undefined;
    }, { timeoutMs: 30_000 });
    expect(pending.lastError).toMatch(/HTTP 503/);
    const sent = await waitFor(async () => {
      const a = (await app.get('/api/alerts', { registry: app.proxy.loginServer, repository: 'pay/worker' })).json.alerts;
      return a[0]?.state === 'sent' ? a[0] : undefined;
    }, { timeoutMs: 90_000, intervalMs: 500 });
    expect(sent.attempts).toBe(5);
    expect(teams.requests()).toHaveLength(5);
    await app.host.waitForLog(/re-sent alerts: 1 due, 1 sent/);
  }, 120_000);

  it('marks an alert failed when Teams refuses it, and keeps it visible', async () => {
    teams.reset();
    teams.respondWith({ status: 400, body: 'Bad card' });
    await push('pay/batch', v1, 'v1');
    await processed('pay/batch', 'v1');
    await push('pay/batch', v2, 'v2');
    const failed = await waitFor(async () => {
      const a = (await app.get('/api/alerts', { registry: app.proxy.loginServer, repository: 'pay/batch', state: 'failed' })).json.alerts;
      return a[0];
    }, { timeoutMs: 30_000 });
    expect(failed).toMatchObject({ state: 'failed', attempts: 1, lastError: expect.stringMatching(/HTTP 400/) });
  });
});

describe('policies', () => {
  it('validates, stores, applies and deletes a per-repository policy', async () => {
    const q = `registry=${encodeURIComponent(app.proxy.loginServer)}&repository=${encodeURIComponent('quiet/*')}`;
    const request = (method: string, path: string, body?: unknown) =>
      fetch(`${app.host.url}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) }).then(async (r) => ({ status: r.status, json: r.status === 204 ? null : await r.json() }));

    const bad = await request('PUT', `/api/policy?${q}`, { growthPercnt: 5, layerBytes: -1 });
    expect(bad.status).toBe(400);
    expect(bad.json.problems.map((p: { field: string }) => p.field).sort()).toEqual(['(body)', 'layerBytes']);
    const badRoute = await request('PUT', `/api/policy?${q}`, { teamsRoute: 'https://evil.example.com/hook' });
    expect(badRoute.status).toBe(400);
    expect(badRoute.json.error).toMatch(/host evil\.example\.com is not allowed/);

    const created = await request('PUT', `/api/policy?${q}`, { muted: true });
    expect(created.status).toBe(201);
    expect((await request('PUT', `/api/policy?${q}`, { muted: true, growthPercent: 5 })).status).toBe(200);
    const got = await request('GET', `/api/policy?registry=${encodeURIComponent(app.proxy.loginServer)}&repository=quiet/app`);
    expect(got.json.effective).toMatchObject({ muted: true, growthPercent: 5, matchedPattern: 'quiet/*' });

    teams.reset();
    await push('quiet/app', v1, 'v1');
    await processed('quiet/app', 'v1');
    await push('quiet/app', v2, 'v2');
    await processed('quiet/app', 'v2');
    await new Promise((r) => setTimeout(r, 1000));
    expect(teams.requests()).toHaveLength(0);

    expect((await request('DELETE', `/api/policy?${q}`)).status).toBe(204);
    expect((await request('DELETE', `/api/policy?${q}`)).status).toBe(404);
  });

  it('routes a repository to its own Teams channel', async () => {
    const q = `registry=${encodeURIComponent(app.proxy.loginServer)}&repository=team-b/api`;
    const res = await fetch(`${app.host.url}/api/policy?${q}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ teamsRoute: `${teamOwn.url}/team-b`, growthPercent: 20 }),
    });
    expect(res.status).toBe(201);
    teams.reset();
    await push('team-b/api', v1, 'v1');
    await processed('team-b/api', 'v1');
    await push('team-b/api', v2, 'v2');
    const [alert] = await teamOwn.waitForRequests(1, { timeoutMs: 30_000 });
    expect(alert!.path).toBe('/team-b');
    expect(teams.requests()).toHaveLength(0);
    const listed = (await app.get('/api/alerts', { registry: app.proxy.loginServer, repository: 'team-b/api' })).json.alerts;
    expect(listed[0]).toMatchObject({ route: 'policy', state: 'sent' });
  });
});
