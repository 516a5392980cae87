/**
 * What acknowledging a webhook costs in storage requests: one queue send per event and
 * nothing else (README: ACR waits 5 s and never retries, so the ack must stay cheap).
 * Counted at the wire, through a proxy in front of Azurite's queue and table endpoints.
 * The queue trigger and the alert timer are switched off with the Functions convention
 * (`AzureWebJobs.<name>.Disabled`), so every request to the events queue and every table
 * request seen here comes from the webhook.
 */
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS_QUEUE } from '../../src/names';
import { SECRET } from './support/app';
import { startTestAzurite } from './support/azurite';
import { startLocalHost, type LocalHost } from './support/host';
import { request } from './support/http';
import { startStorageRequestLog, type StorageRequest, type StorageRequestLog } from './support/storageRequestLog';

const REGISTRY = 'ack.example.azurecr.io';
let azurite: Awaited<ReturnType<typeof startTestAzurite>>;
let storage: StorageRequestLog;
let host: LocalHost;

beforeAll(async () => {
  azurite = await startTestAzurite();
  storage = await startStorageRequestLog(azurite.connectionString);
  host = await startLocalHost({
    AzureWebJobsStorage: storage.connectionString,
    WEBHOOK_SECRET: SECRET,
    ALLOWED_REGISTRIES: REGISTRY,
    'AzureWebJobs.processRegistryEvent.Disabled': 'true',
    'AzureWebJobs.resendAlerts.Disabled': 'true',
  });
});
afterAll(async () => {
  await host?.stop();
  await storage?.stop();
  await azurite?.stop();
});

const digest = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;
const target = (tag: string) => ({
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  size: 500,
  digest: digest(tag),
  length: 500,
  repository: 'ack/app',
  tag,
});
const acrPush = (tag: string) => ({
  id: randomUUID(),
  timestamp: new Date().toISOString(),
  action: 'push',
  target: target(tag),
  request: { id: randomUUID(), host: REGISTRY, method: 'PUT', useragent: 'docker/27.0' },
});

/** Posts and returns the answer with the storage requests the webhook made; the events queue and every table request are the webhook's alone here. */
async function post(path: string, body: unknown): Promise<{ status: number; requests: StorageRequest[] }> {
  const before = storage.requests().length;
  const res = await request(`${host.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` },
    body: JSON.stringify(body),
  });
  const requests = storage
    .requests()
    .slice(before)
    .filter((r) => r.service === 'table' || r.resource === EVENTS_QUEUE || r.resource.startsWith(`${EVENTS_QUEUE}/`));
  return { status: res.status, requests };
}

const send = { service: 'queue', method: 'POST', resource: `${EVENTS_QUEUE}/messages`, status: 201 };

describe('webhook acknowledgement', () => {
  it('sends one queue message per event, creating the queue once per process, and touches no table', async () => {
    const first = await post('/api/webhooks/acr', acrPush('v1'));
    expect(first.status).toBe(202);
    expect(first.requests).toEqual([{ service: 'queue', method: 'PUT', resource: EVENTS_QUEUE, status: 201 }, send]);

    for (const tag of ['v2', 'v3', 'v4']) {
      const next = await post('/api/webhooks/acr', acrPush(tag));
      expect(next.status).toBe(202);
      expect(next.requests).toEqual([send]);
    }
  });

  it('sends N messages for a Distribution envelope of N events, and none for what it ignores', async () => {
    const events = ['d1', 'd2', 'd3'].map((tag) => ({
      ...acrPush(tag),
      request: { id: randomUUID(), addr: '127.0.0.1', host: REGISTRY, method: 'PUT', useragent: 'docker/27.0' },
    }));
    const pull = { ...acrPush('pulled'), action: 'pull' };
    const res = await post('/api/webhooks/distribution', { events: [...events, pull] });
    expect(res.status).toBe(202);
    expect(res.requests).toEqual([send, send, send]);

    const ping = await post('/api/webhooks/acr', { id: randomUUID(), timestamp: new Date().toISOString(), action: 'ping' });
    expect(ping.status).toBe(200);
    expect(ping.requests).toEqual([]);
  });

  it('leaves the messages for the queue trigger: nothing read them while it was disabled', async () => {
    const peeks = storage.requests().filter((r) => r.resource === `${EVENTS_QUEUE}/messages` && r.method !== 'POST');
    expect(peeks).toEqual([]);
  });
});
