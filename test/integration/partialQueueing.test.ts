/**
 * A delivery whose events are only partly queued (the queue refuses some with 503
 * ServerBusy): the webhook says which were queued and which were not and why, answers 503
 * so the sender resends, and the resend queues the rest while the events queued the first
 * time are processed once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAzurite } from './support/azurite';
import { SECRET } from './support/app';
import { startLocalHost, type LocalHost } from './support/host';
import { header, request } from './support/http';
import { makeImage, pushImage } from './support/images';
import { startRegistry, type TestRegistry } from './support/registry';
import { startQueueFaults, type QueueFaults } from './support/storageFaults';
import { waitFor } from './support/wait';

let azurite: Awaited<ReturnType<typeof startTestAzurite>>;
let faults: QueueFaults;
let registry: TestRegistry;
let host: LocalHost;

beforeAll(async () => {
  azurite = await startTestAzurite();
  faults = await startQueueFaults(azurite.ports.queue);
  registry = await startRegistry();
  const viaFaults = azurite.connectionString.replace(/QueueEndpoint=http:\/\/127\.0\.0\.1:\d+/, `QueueEndpoint=http://127.0.0.1:${faults.port}`);
  host = await startLocalHost({
    AzureWebJobsStorage: viaFaults,
    WEBHOOK_SECRET: SECRET,
    ALLOWED_REGISTRIES: registry.loginServer,
    AzureFunctionsJobHost__extensions__queues__maxPollingInterval: '00:00:00.200',
  });
});
afterAll(async () => {
  await host?.stop();
  await registry?.stop();
  await faults?.stop();
  await azurite?.stop();
});

function eventGridBatch(digest: string, ids: string[]) {
  return ids.map((id) => ({
    id,
    eventType: 'Microsoft.ContainerRegistry.ImagePushed',
    subject: `partial/app:${id}`,
    eventTime: new Date().toISOString(),
    data: {
      id,
      timestamp: new Date().toISOString(),
      action: 'push',
      target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 1, digest, length: 1, repository: 'partial/app', tag: id },
      request: { id: 'r', host: registry.loginServer, method: 'PUT', useragent: 'x' },
    },
  }));
}

async function deliver(body: unknown) {
  const res = await request(`${host.url}/api/webhooks/eventgrid`, {
    method: 'POST',
    headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, retryAfter: header(res, 'retry-after'), json: JSON.parse(res.body.toString()) as Record<string, any> };
}

async function trendTags(): Promise<string[]> {
  const url = new URL(`${host.url}/api/trend`);
  url.searchParams.set('registry', registry.loginServer);
  url.searchParams.set('repository', 'partial/app');
  const res = await request(url);
  return res.status === 200 ? (JSON.parse(res.body.toString()) as { points: { tag: string }[] }).points.map((p) => p.tag).sort() : [];
}

describe('a partly queued delivery', () => {
  it("answers 503 with each event's outcome, and a resend completes it without duplicate points", async () => {
    const pushed = await pushImage(registry.url, 'partial/app', makeImage({ layers: [1500] }), { tag: 'base' });
    const ids = ['t1', 'refuse-t2', 't3', 'refuse-t4', 't5'];
    faults.refuseEvents(/^refuse-/);
    const first = await deliver(eventGridBatch(pushed.digest, ids));
    expect(first.status).toBe(503);
    expect(first.retryAfter).toMatch(/^\d+$/);
    expect(first.json.accepted).toBe(3);
    expect(first.json.reason).toBe('unavailable');
    expect(first.json.error).toMatch(/^2 of 5 events were not queued \(3 were\): queue storage answered 503 ServerBusy/);
    expect(first.json.events).toEqual([
      { id: 't1', outcome: 'queued' },
      { id: 'refuse-t2', outcome: 'not_queued', reason: expect.stringMatching(/answered 503 ServerBusy/) },
      { id: 't3', outcome: 'queued' },
      { id: 'refuse-t4', outcome: 'not_queued', reason: expect.stringMatching(/answered 503 ServerBusy/) },
      { id: 't5', outcome: 'queued' },
    ]);
    // What the body says was queued was: those events become points.
    await waitFor(async () => (await trendTags()).length === 3 && true, { timeoutMs: 20_000, message: 'three points' });
    expect(await trendTags()).toEqual(['t1', 't3', 't5']);

    // The sender resends the whole delivery once the queue takes messages again.
    faults.refuseEvents(undefined);
    const resend = await deliver(eventGridBatch(pushed.digest, ids));
    expect(resend).toMatchObject({ status: 202, json: { accepted: 5 } });
    await waitFor(async () => (await trendTags()).length === 5 && true, { timeoutMs: 20_000, message: 'five points' });
    await host.waitForLog(/partial\/app:t5@.*\(event t5\): ok, 1 platform\(s\), 0 new point/);
    expect(await trendTags()).toEqual(['refuse-t2', 'refuse-t4', 't1', 't3', 't5']);
  });
});
