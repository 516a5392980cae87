/**
 * Regression alerts end to end: real images, the local host, Azurite, and local HTTP
 * receivers standing in for Teams Workflows webhooks.
 */
import { randomUUID } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PolicyTable } from '../../src/adapters/tables/policyTable';
import { Tables } from '../../src/adapters/tables/tables';
import { WorkQueue } from '../../src/adapters/workQueue';
import type { AlertRef } from '../../src/core/alertMessages';
import { escapeKey, repositoryKey } from '../../src/core/keys';
import { pointRefOf, type PointRef } from '../../src/core/trend';
import { ALERTS_QUEUE, DELIVERIES_QUEUE } from '../../src/names';
import { startApp, type AppUnderTest } from './support/app';
import { imageSize, makeConfig, makeImage, makeLayer, makeManifest, pushImage, type Image, type Layer } from './support/images';
import { startReceiver, type ReceivedRequest, type Receiver } from './support/receiver';
import { imageOf, tarLayer } from './support/tarLayers';
import { waitFor } from './support/wait';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the package's ESM entry has extensionless imports Node cannot load
const AC = require('adaptivecards/dist/adaptivecards.js') as typeof import('adaptivecards');

const MiB = 1024 * 1024;
const SETTLE_SECONDS = 1;
let app: AppUnderTest;
let teams: Receiver;
let teamOwn: Receiver;
/** Not on an allowed host: nothing may ever reach it. */
let sentinel: Receiver;
/** One Teams stand-in per test that runs concurrently. */
const receivers = {} as Record<'outage' | 'lost' | 'slow' | 'unknown', Receiver>;

function build(layers: Layer[], steps: string[]): Image {
  const created = new Date().toISOString();
  const config = makeConfig({
    os: 'linux',
    architecture: 'amd64',
    created,
    diffIds: layers.map((l) => l.diffId),
    history: steps.map((s) => ({ created_by: s, created })),
  });
  return { manifest: makeManifest({ format: 'oci', config, layers }), config, layers, totalSize: imageSize(config, layers) };
}

// Within the webhook's window of accepted event times (EVENT_MAX_AGE_HOURS), on a whole hour.
let clock = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 150 * 3_600_000;
async function push(repository: string, image: Image, tag: string, id = randomUUID()) {
  const pushed = await pushImage(app.registry.url, repository, image, { tag });
  clock += 3_600_000;
  const event = { repository, digest: pushed.digest, tag, id, timestamp: new Date(clock).toISOString() };
  expect((await app.acrPush(event)).status).toBe(202);
  return { pushed, event };
}

const re = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

async function processed(repository: string, tag: string) {
  await app.host.waitForLog(new RegExp(`${re(repository)}:${re(tag)}@\\S+ \\(event [^)]+\\): ok`), 30_000);
}

/** The evaluation step's log line for a point, e.g. "muted", "alerted (growth)". */
const evaluation = (repository: string, tag: string, outcome: string) => new RegExp(`alert evaluation \\S+/${re(repository)}:${re(tag)}@\\S+ .*: ${outcome}`);

function logCount(pattern: RegExp): number {
  return app.host
    .logs()
    .split('\n')
    .filter((l) => pattern.test(l)).length;
}

/** Waits for the n-th line matching `pattern`: a later occurrence of a line seen before. */
function waitForLogCount(pattern: RegExp, n: number, timeoutMs = 30_000) {
  return waitFor(() => logCount(pattern) >= n, { timeoutMs, message: `${n} log line(s) matching ${pattern}` });
}

async function alertsOf(repository: string, state?: string) {
  return (await app.get('/api/alerts', { registry: app.proxy.loginServer, repository, state })).json.alerts as Record<string, any>[];
}

function waitForAlert(repository: string, ok: (a: Record<string, any>) => boolean, timeoutMs = 30_000) {
  return waitFor(async () => (await alertsOf(repository)).find(ok), { timeoutMs, intervalMs: 100, message: `an alert of ${repository}` });
}

const alertRef = (alert: { id: string; createdAt: string }): AlertRef => ({
  registry: app.proxy.loginServer,
  rowKey: `a|${String(9_999_999_999_999 - Date.parse(alert.createdAt)).padStart(13, '0')}|${alert.id}`,
});

const card = (r: ReceivedRequest) => (r.json as { attachments: { content: Record<string, unknown> }[] }).attachments[0]!.content;
const cardText = (r: ReceivedRequest) => JSON.stringify(card(r));

function parseWarnings(content: Record<string, unknown>): string[] {
  const c = new AC.AdaptiveCard();
  const ctx = new AC.SerializationContext();
  c.parse(content, ctx);
  return Array.from({ length: ctx.eventCount }, (_, i) => ctx.getEventAt(i).message);
}

const policyRequest = (method: string, repository: string, body?: unknown) =>
  fetch(`${app.host.url}/api/policy?registry=${encodeURIComponent(app.proxy.loginServer)}&repository=${encodeURIComponent(repository)}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  })
    .then(async (r) => ({ status: r.status, text: r.status === 204 ? '' : await r.text() }))
    .then((r) => ({ ...r, json: r.text ? JSON.parse(r.text) : null }));

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
  sentinel = await startReceiver();
  for (const name of ['outage', 'lost', 'slow', 'unknown'] as const) receivers[name] = await startReceiver();
  app = await startApp({
    env: {
      TEAMS_WEBHOOK_URL: `${teams.url}/workflows/default?api-version=1&sig=DEFAULTSIG`,
      TEAMS_ALLOWED_HOSTS: [teamOwn, ...Object.values(receivers)].map((r) => `127.0.0.1:${r.port}`).join(','),
      PUBLIC_BASE_URL: 'https://sizes.example.com/',
      ALERT_SETTLE_SECONDS: String(SETTLE_SECONDS),
      ALERT_RESEND_SCHEDULE: '*/1 * * * * *',
      ALERT_MAX_ATTEMPTS: '6',
      ALERT_RETRY_BASE_SECONDS: '1',
      TEAMS_TIMEOUT_SECONDS: '11',
      // Some tests write policies straight to the table, as another instance would: no cached list may hide them.
      CACHE_SECONDS: '0',
      // Layers compress to little here: a first push's finding alerts from 1,000 compressed bytes.
      ALERT_FINDING_BYTES: '1000',
      ALERT_CONTENT_WAIT_SECONDS: '4',
    },
  });
}, 120_000);
afterAll(async () => {
  // Receivers first: a delivery still waiting on one ends at once instead of holding the host's stop.
  await teams?.stop();
  await teamOwn?.stop();
  await sentinel?.stop();
  for (const r of Object.values(receivers)) await r.stop();
  await app?.stop();
});

describe('regression alerts', () => {
  it('stays quiet for a first push and 1% growth, alerts once for +50% after the settle delay, and never again for the image', async () => {
    const first = await push('shop/api', v1, 'v1');
    await processed('shop/api', 'v1');
    await push('shop/api', v11, 'v1.1');
    await processed('shop/api', 'v1.1');
    expect(teams.requests()).toHaveLength(0);

    const webhookSent = Date.now();
    const { pushed, event } = await push('shop/api', v2, 'v2');
    const [alert] = await teams.waitForRequests(1, { timeoutMs: 30_000 });
    // The rules ran on the settled point, not inside the ingest of the push.
    expect(alert!.time - webhookSent).toBeGreaterThanOrEqual(SETTLE_SECONDS * 1000);
    await app.host.waitForLog(evaluation('shop/api', 'v2', 'alerted \\(growth\\)'));
    // Points no rule could fire on queue no evaluation: theirs would have run before v2's, queued later.
    // A first push is the exception: the first-push finding rule (ALERT_FINDING_BYTES) reads its
    // content, and with random layers finds nothing.
    await app.host.waitForLog(evaluation('shop/api', 'v1', 'quiet'));
    expect(logCount(evaluation('shop/api', 'v1', 'quiet'))).toBe(1);
    expect(logCount(evaluation('shop/api', 'v1', '(?!quiet|waiting for content)'))).toBe(0);
    expect(logCount(evaluation('shop/api', 'v1.1', ''))).toBe(0);
    expect(alert!.path).toBe('/workflows/default?api-version=1&sig=DEFAULTSIG');
    expect(alert!.headers['content-type']).toMatch(/application\/json/);
    const msg = alert!.json as { type: string; attachments: { contentType: string; contentUrl: null; content: { version: string } }[] };
    expect(msg.type).toBe('message');
    expect(msg.attachments[0]).toMatchObject({ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: { version: '1.5' } });
    expect(Buffer.byteLength(alert!.body)).toBeLessThan(28_000);
    expect(parseWarnings(card(alert!))).toEqual([]);
    const text = cardText(alert!);
    for (const expected of [
      'shop/api',
      'v2',
      'linux/amd64',
      pushed.digest.slice(7, 19),
      'apt-get install',
      'ACI',
      'App Service',
      'AKS',
      'https://sizes.example.com/api/ui?view=compare&',
    ]) {
      expect(text).toContain(expected);
    }
    expect(text).toMatch(/\+15\.\d MiB/);
    const [sent] = await alertsOf('shop/api');
    await app.host.waitForLog(new RegExp(`alert delivery ${sent!.id} .*: sent after 1 attempt`));

    const already = evaluation('shop/api', 'v2', 'growth already alerted for this image');
    // The same webhook again: a re-delivery evaluates the point again, and finds it alerted.
    expect((await app.acrPush(event)).status).toBe(202);
    await waitForLogCount(already, 1);
    // The same digest under another tag is the same image.
    await pushImage(app.registry.url, 'shop/api', v2, { tag: 'v2-again' });
    expect((await app.acrPush({ ...event, id: randomUUID(), tag: 'v2-again', timestamp: new Date(clock + 1000).toISOString() })).status).toBe(202);
    await app.host.waitForLog(evaluation('shop/api', 'v2-again', 'growth already alerted for this image'), 30_000);

    // Re-described: the stored point's baseline changes (an earlier point landed later) and it is evaluated again.
    const points = TableClient.fromConnectionString(app.connectionString, 'acrsizePoints', { allowInsecureConnection: true });
    const ref: PointRef = pointRefOf(app.proxy.loginServer, 'shop/api', {
      platform: 'linux/amd64',
      pushedAt: event.timestamp,
      tag: 'v2',
      digest: pushed.digest,
    });
    await points.updateEntity(
      {
        partitionKey: repositoryKey(ref.registry, ref.repository),
        rowKey: `p|${ref.pushedAt}|${escapeKey(ref.tag)}|${ref.digest}`,
        baselineDigest: first.pushed.digest,
        baselineTag: 'v1',
      },
      'Merge',
    );
    await new WorkQueue<PointRef>({ kind: 'connectionString', connectionString: app.connectionString }, ALERTS_QUEUE).send(ref);
    await waitForLogCount(already, 2);
    // A duplicate delivery message for the sent alert does nothing.
    await new WorkQueue<AlertRef>({ kind: 'connectionString', connectionString: app.connectionString }, DELIVERIES_QUEUE).send(
      alertRef(sent as { id: string; createdAt: string }),
    );
    await app.host.waitForLog(new RegExp(`alert delivery \\S+ ${re(alertRef(sent as { id: string; createdAt: string }).rowKey)}: skipped`));

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
    const alerts = await alertsOf('shop/api', 'sent');
    expect(alerts[0]).toMatchObject({ kind: 'improvement', rules: ['improvement'], tag: 'v3' });
  });

  it('alerts a layer over the limit on a first push: every layer of a first push is new', async () => {
    expect((await policyRequest('PUT', 'tools/*', { layerBytes: 1 * MiB })).status).toBe(201);
    teams.reset();
    await push('tools/builder', makeImage({ layers: [256 * 1024, 2 * MiB] }), 'v1');
    const [alert] = await teams.waitForRequests(1, { timeoutMs: 30_000 });
    expect(cardText(alert!)).toContain('first push: every layer is new');
    const [recorded] = await alertsOf('tools/builder');
    expect(recorded).toMatchObject({ rules: ['largeLayer'], kind: 'regression', tag: 'v1' });
    expect(recorded!.findings[0]).toMatchObject({ rule: 'largeLayer', threshold: 1 * MiB });
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
    const alert = await waitForAlert('pay/api', (a) => a.state === 'sent');
    await app.host.waitForLog(new RegExp(`alert delivery ${alert.id} .*: sent after 3 attempt`));
    expect(teams.requests()).toHaveLength(3);
    expect(requests[2]!.time - requests[1]!.time).toBeGreaterThanOrEqual(2000);
    expect(requests[2]!.body).toBe(requests[0]!.body);
    expect(alert).toMatchObject({ state: 'sent', attempts: 3 });
  });

  it('marks an alert failed when Teams refuses it, and keeps it visible', async () => {
    teams.reset();
    teams.respondWith({ status: 400, body: 'Bad card' });
    await push('pay/batch', v1, 'v1');
    await processed('pay/batch', 'v1');
    await push('pay/batch', v2, 'v2');
    const failed = await waitForAlert('pay/batch', (a) => a.state === 'failed');
    expect(failed).toMatchObject({ state: 'failed', attempts: 1, lastError: expect.stringMatching(/HTTP 400/) });
  });

  it('counts a Workflows 202 with an empty body as delivered', async () => {
    teams.reset();
    teams.respondWith({ status: 202 });
    await push('pay/flow', v1, 'v1');
    await processed('pay/flow', 'v1');
    await push('pay/flow', v2, 'v2');
    const sent = await waitForAlert('pay/flow', (a) => a.state !== 'pending');
    expect(sent).toMatchObject({ state: 'sent', attempts: 1 });
    expect(teams.requests()).toHaveLength(1);
  });
});

// These wait on back-offs and slow answers, each with its own Teams stand-in, so they run side by side.
describe.concurrent('delivery over time', () => {
  it('loses nothing in a longer outage: each attempt queues the next behind a doubling back-off', async () => {
    const rx = receivers.outage;
    rx.respondWith({ status: 503 }, { status: 503 }, { status: 503 });
    expect((await policyRequest('PUT', 'pay/worker', { teamsRoute: `${rx.url}/outage` })).status).toBe(201);
    await push('pay/worker', v1, 'v1');
    await processed('pay/worker', 'v1');
    await push('pay/worker', v2, 'v2');
    const pending = await waitForAlert('pay/worker', (a) => a.state === 'pending' && a.attempts >= 2);
    expect(pending.lastError).toMatch(/HTTP 503/);
    const sent = await waitForAlert('pay/worker', (a) => a.state === 'sent', 60_000);
    await app.host.waitForLog(new RegExp(`alert delivery ${sent.id} .*: sent after 4 attempt`));
    expect(sent.attempts).toBe(4);
    const times = rx.requests().map((r) => r.time);
    expect(times).toHaveLength(4);
    // 1 s, 2 s, 4 s (ALERT_RETRY_BASE_SECONDS=1).
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(1000 * 2 ** (i - 1) - 50);
  }, 90_000);

  it('the re-send timer re-queues a pending alert whose delivery message was lost', async () => {
    const rx = receivers.lost;
    rx.respondWith({ status: 503, headers: { 'retry-after': '3' } });
    expect((await policyRequest('PUT', 'pay/lost', { teamsRoute: `${rx.url}/lost` })).status).toBe(201);
    await push('pay/lost', v1, 'v1');
    await processed('pay/lost', 'v1');
    await push('pay/lost', v2, 'v2');
    const pending = await waitForAlert('pay/lost', (a) => a.state === 'pending' && a.attempts === 1);
    // After its log line the retry message is queued (hidden for 3 s); lose it. Other
    // tests' queued retries go too; the timer brings them back when they are due.
    await app.host.waitForLog(new RegExp(`alert delivery ${pending.id} .*: pending after 1 attempt`));
    const deliveries = new QueueClient(app.connectionString, DELIVERIES_QUEUE);
    await deliveries.clearMessages();
    const timerRuns = logCount(/re-send timer: \d+ due alert\(s\) queued/);
    const sent = await waitForAlert('pay/lost', (a) => a.state === 'sent');
    expect(logCount(/re-send timer: \d+ due alert\(s\) queued/)).toBeGreaterThan(timerRuns);
    expect(sent.attempts).toBe(2);
    expect(rx.requests()).toHaveLength(2);
    expect(rx.requests()[1]!.time - rx.requests()[0]!.time).toBeGreaterThanOrEqual(3000);
  }, 60_000);

  it('waits for a slow Teams: an answer after 10.5 s (past the old 10 s timeout) is one POST, sent', async () => {
    const rx = receivers.slow;
    rx.respondWith({ status: 200, delayMs: 10_500 });
    expect((await policyRequest('PUT', 'pay/slow', { teamsRoute: `${rx.url}/slow` })).status).toBe(201);
    await push('pay/slow', v1, 'v1');
    await processed('pay/slow', 'v1');
    await push('pay/slow', v2, 'v2');
    const slow = await waitForAlert('pay/slow', (a) => a.state === 'sent', 45_000);
    await app.host.waitForLog(new RegExp(`alert delivery ${slow.id} .*: sent after 1 attempt`));
    expect(slow.attempts).toBe(1);
    expect(rx.requests()).toHaveLength(1);
  }, 60_000);

  it('retries a Teams that does not answer within TEAMS_TIMEOUT_SECONDS as an unknown outcome, not a failure', async () => {
    const rx = receivers.unknown;
    // Past TEAMS_TIMEOUT_SECONDS (11 here): the card may have been posted; it is sent again later.
    rx.respondWith({ status: 200, delayMs: 12_000 });
    expect((await policyRequest('PUT', 'pay/unknown', { teamsRoute: `${rx.url}/unknown` })).status).toBe(201);
    await push('pay/unknown', v1, 'v1');
    await processed('pay/unknown', 'v1');
    await push('pay/unknown', v2, 'v2');
    const unknown = await waitForAlert('pay/unknown', (a) => a.attempts >= 1, 45_000);
    expect(unknown).toMatchObject({ attempts: 1, lastError: expect.stringMatching(/^outcome unknown: no answer within 11 s/) });
    expect(unknown.state).not.toBe('failed');
    const again = await waitForAlert('pay/unknown', (a) => a.state === 'sent', 30_000);
    expect(again.attempts).toBe(2);
    expect(rx.requests()).toHaveLength(2);
  }, 60_000);
});

describe('the alert queues are a trust boundary', () => {
  it('sends malformed messages and ones naming a registry not allowed to the poison queues, touching nothing', async () => {
    const conn = { kind: 'connectionString' as const, connectionString: app.connectionString };
    const evaluations = new WorkQueue<unknown>(conn, ALERTS_QUEUE);
    const deliveries = new WorkQueue<unknown>(conn, DELIVERIES_QUEUE);
    const point = {
      registry: '127.0.0.1:1',
      repository: 'shop/api',
      platform: 'linux/amd64',
      pushedAt: '2026-11-10T01:00:00.000Z',
      tag: 'v1',
      digest: `sha256:${'a'.repeat(64)}`,
    };
    teams.reset();
    await evaluations.send(point);
    await evaluations.send({ ...point, registry: app.proxy.loginServer, digest: 'md5:abc' });
    await evaluations.send({ ...point, registry: app.proxy.loginServer, extra: 1 });
    await deliveries.send({ registry: app.proxy.loginServer, rowKey: 'k|shop%2Fapi|x|growth' });
    await app.host.waitForLog(
      /moved to poison queue 'acrsize-alerts-poison': .*message is not a point reference: registry 127\.0\.0\.1:1 is not in ALLOWED_REGISTRIES/,
      20_000,
    );
    await app.host.waitForLog(
      /moved to poison queue 'acrsize-alerts-poison': .*message is not a point reference: .*digest: is not a sha256 or sha512 digest/,
      30_000,
    );
    await app.host.waitForLog(
      /moved to poison queue 'acrsize-alerts-poison': .*message is not a point reference: \(message\): Unrecognized key: "extra"/,
      30_000,
    );
    await app.host.waitForLog(
      /moved to poison queue 'acrsize-deliveries-poison': .*message is not an alert reference: rowKey: is not an alert row key/,
      30_000,
    );
    expect(teams.requests()).toHaveLength(0);
  });
});

describe('route signatures and allow-lists', () => {
  const signed = () => `${teamOwn.url}/team-c?api-version=1&sig=ROUTESIG`;

  it('never shows a route signature: policy, effective policy, listing, write answer', async () => {
    const put = await policyRequest('PUT', 'team-c/api', { teamsRoute: signed(), growthPercent: 20 });
    expect(put.status).toBe(201);
    expect(put.json.policy.teamsRoute).toBe(`${teamOwn.url}/team-c?[redacted]`);
    const got = await policyRequest('GET', 'team-c/api');
    expect(got.json.policy.teamsRoute).toBe(`${teamOwn.url}/team-c?[redacted]`);
    expect(got.json.effective.teamsRoute).toBe(`${teamOwn.url}/team-c?[redacted]`);
    const listing = await app.get('/api/policy', { registry: app.proxy.loginServer });
    expect(listing.status).toBe(200);
    for (const answer of [put.text, got.text, listing.body.toString()]) expect(answer).not.toContain('ROUTESIG');

    // The stored route itself is whole: the alert reaches the signed URL.
    teamOwn.reset();
    await push('team-c/api', v1, 'v1');
    await processed('team-c/api', 'v1');
    await push('team-c/api', v2, 'v2');
    const [alert] = await teamOwn.waitForRequests(1, { timeoutMs: 30_000 });
    expect(alert!.path).toBe('/team-c?api-version=1&sig=ROUTESIG');
    const listed = await alertsOf('team-c/api');
    expect(listed[0]).toMatchObject({ route: 'policy', state: 'sent' });
    expect(JSON.stringify(listed)).not.toContain('ROUTESIG');
  });

  it('refuses routes with credentials or on other hosts, without echoing them', async () => {
    const creds = await policyRequest('PUT', 'team-d/api', { teamsRoute: `http://bob:hunter2@127.0.0.1:${teamOwn.port}/x?sig=ROUTESIG` });
    expect(creds.status).toBe(400);
    expect(creds.json.error).toMatch(/must not contain credentials/);
    const elsewhere = await policyRequest('PUT', 'team-d/api', { teamsRoute: `${sentinel.url}/x?sig=ROUTESIG` });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.json.error).toMatch(/host 127\.0\.0\.1:\d+ is not allowed/);
    for (const r of [creds, elsewhere]) for (const secret of ['hunter2', 'ROUTESIG']) expect(r.text).not.toContain(secret);
  });

  it('re-checks a stored route before sending: one the allow-list no longer admits is not posted to', async () => {
    // Policies stored before the allow-list changed (or by an older version), written straight to the table.
    const policies = new PolicyTable(new Tables({ kind: 'connectionString', connectionString: app.connectionString }));
    const at = new Date().toISOString();
    await policies.put(app.proxy.loginServer, 'legacy/moved', { teamsRoute: `${sentinel.url}/x?sig=ROUTESIG` }, at);
    await policies.put(app.proxy.loginServer, 'legacy/creds', { teamsRoute: `http://bob:hunter2@127.0.0.1:${teamOwn.port}/x?sig=ROUTESIG` }, at);
    teamOwn.reset();
    for (const repository of ['legacy/moved', 'legacy/creds']) {
      await push(repository, v1, 'v1');
      await processed(repository, 'v1');
      await push(repository, v2, 'v2');
    }
    const moved = await waitForAlert('legacy/moved', (a) => a.state !== 'pending');
    expect(moved).toMatchObject({ state: 'failed', attempts: 0, lastError: expect.stringMatching(/no longer allowed.*host 127\.0\.0\.1:\d+ is not allowed/) });
    const creds = await waitForAlert('legacy/creds', (a) => a.state !== 'pending');
    expect(creds).toMatchObject({ state: 'failed', attempts: 0, lastError: expect.stringMatching(/no longer allowed.*must not contain credentials/) });
    for (const secret of ['hunter2', 'ROUTESIG', 'bob']) expect(JSON.stringify([moved, creds])).not.toContain(secret);
    for (const secret of ['hunter2', 'ROUTESIG']) expect(app.host.logs()).not.toContain(secret);
    expect(sentinel.requests()).toHaveLength(0);
    expect(teamOwn.requests()).toHaveLength(0);
  });
});

describe('policies', () => {
  it('validates, stores, applies and deletes a per-repository policy', async () => {
    const bad = await policyRequest('PUT', 'quiet/*', { growthPercnt: 5, layerBytes: -1 });
    expect(bad.status).toBe(400);
    expect(bad.json.problems.map((p: { field: string }) => p.field).sort()).toEqual(['(body)', 'layerBytes']);

    expect((await policyRequest('PUT', 'quiet/*', { muted: true })).status).toBe(201);
    expect((await policyRequest('PUT', 'quiet/*', { muted: true, growthPercent: 5 })).status).toBe(200);
    const got = await policyRequest('GET', 'quiet/app');
    expect(got.json.effective).toMatchObject({ muted: true, growthPercent: 5, matchedPattern: 'quiet/*' });

    teams.reset();
    await push('quiet/app', v1, 'v1');
    await processed('quiet/app', 'v1');
    await push('quiet/app', v2, 'v2');
    await app.host.waitForLog(evaluation('quiet/app', 'v2', 'muted'), 30_000);
    expect(teams.requests()).toHaveLength(0);
    expect(await alertsOf('quiet/app')).toEqual([]);

    expect((await policyRequest('DELETE', 'quiet/*')).status).toBe(204);
    expect((await policyRequest('DELETE', 'quiet/*')).status).toBe(404);
  });

  it('serves writes from their own function (API_WRITE_AUTH_LEVEL) on the same route as reads', async () => {
    const writes = /Executing 'Functions\.policyWrite'/;
    const reads = /Executing 'Functions\.policy'/;
    const [w, r] = [logCount(writes), logCount(reads)];
    expect((await policyRequest('PUT', 'auth/app', { growthPercent: 7 })).status).toBe(201);
    await waitForLogCount(writes, w + 1);
    expect((await policyRequest('GET', 'auth/app')).json.policy).toEqual({ growthPercent: 7 });
    await waitForLogCount(reads, r + 1);
    expect((await policyRequest('DELETE', 'auth/app')).status).toBe(204);
    await waitForLogCount(writes, w + 2);
    expect(logCount(reads)).toBe(r + 1);
    expect((await policyRequest('PATCH', 'auth/app', {})).status).toBe(404);
  });

  it('bounds patterns at 256 characters, naming the parameter', async () => {
    const long = await policyRequest('PUT', `${'*a'.repeat(128)}*b`, { muted: true });
    expect(long.status).toBe(400);
    expect(long.json.problems).toEqual([{ parameter: 'repository', message: 'must be at most 256 characters' }]);
    // The worst case for a backtracking matcher, at the limit, against a long name: answered, and the app stays responsive.
    expect((await policyRequest('PUT', `${'*a'.repeat(127)}*b`, { muted: true })).status).toBe(201);
    const lookup = await policyRequest('GET', `${'a'.repeat(200)}/${'a'.repeat(55)}`);
    expect(lookup.status).toBe(200);
    expect(lookup.json.effective.matchedPattern).toBeNull();
    expect((await policyRequest('DELETE', `${'*a'.repeat(127)}*b`)).status).toBe(204);
  });
});

describe('content alerts (what is inside the image)', () => {
  const toolchain = () =>
    tarLayer(
      [
        { file: 'usr/lib/gcc/x86_64-linux-gnu/12/cc1', bytes: 2_000_000 },
        { file: 'usr/bin/x86_64-linux-gnu-gcc-12', bytes: 50_000 },
        { file: `srv/${randomUUID()}`, bytes: 10 },
      ],
      'gzip',
    );

  it('alerts a first push that ships a compiler, the card saying what is inside and how a multi-stage build would drop it', async () => {
    const image = imageOf([toolchain()], { steps: ['RUN apt-get update && apt-get install -y build-essential'] });
    await push('shop/toolchain', image, 'v1');
    const alert = await waitForAlert('shop/toolchain', (a) => a.rules.includes('finding'));
    expect(alert.findings[0]).toMatchObject({
      rule: 'finding',
      summary: expect.stringMatching(/^First push ships gcc and its support files \(.* compressed\): at least 1000 B/),
    });
    const request = await waitFor(async () => teams.requests().find((r) => cardText(r).includes('shop/toolchain')), { timeoutMs: 30_000, message: 'the card' });
    expect(parseWarnings(card(request))).toEqual([]);
    const text = cardText(request);
    for (const expected of [
      'Image content alert: shop/toolchain:v1',
      'What is inside',
      'On disk',
      'Does not belong in production',
      'a multi-stage build',
      'per pull',
    ])
      expect(text).toContain(expected);
    expect(text).toContain('RUN apt-get update && apt-get install -y build-essential');
  });

  it("applies a policy's wastedBytes rule on a later push, and sends an alert without the content when its layers are not read in time, saying so", async () => {
    expect((await policyRequest('PUT', 'shop/wasteful', { wastedBytes: 100_000 })).status).toBe(201);
    const keep = tarLayer([{ file: 'srv/data.bin', bytes: 300_000 }], 'gzip');
    const replaced = tarLayer([{ file: 'srv/data.bin', bytes: 1_000 }], 'gzip');
    await push('shop/wasteful', imageOf([keep]), 'v1');
    await push('shop/wasteful', imageOf([keep, replaced]), 'v2');
    const wasted = await waitForAlert('shop/wasteful', (a) => a.rules.includes('wastedBytes'));
    expect(wasted).toMatchObject({ tag: 'v2', findings: [expect.objectContaining({ rule: 'wastedBytes', observed: 300_000, threshold: 100_000 })] });

    // A registry that stalls on a layer: the growth alert waits ALERT_CONTENT_WAIT_SECONDS, then goes without.
    const stuck = tarLayer([{ file: 'srv/big.bin', bytes: 40 * MiB }], 'none');
    const release = app.proxy.hold(new RegExp(`/blobs/sha256(?::|%3A)${stuck.digest.slice(7)}$`, 'i'));
    const started = Date.now();
    await push('shop/wasteful', imageOf([keep, replaced, stuck]), 'v3');
    const grown = await waitForAlert('shop/wasteful', (a) => a.tag === 'v3' && a.rules.includes('growth'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(4_000);
    const request = await waitFor(async () => teams.requests().find((r) => cardText(r).includes(grown.digest.slice(7, 19))), {
      timeoutMs: 30_000,
      message: 'the v3 card',
    });
    expect(cardText(request)).toContain('sent without what is inside');
    release();
  });
});
