/**
 * Reads and webhooks while storage is down: Azurite stopped (connections refused) and
 * Azurite frozen (SIGSTOP: connections accepted, nothing answered). Every answer is a
 * 503 with Retry-After saying which, within a bound, and the service recovers after.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAzurite } from './support/azurite';
import { SECRET } from './support/app';
import { startLocalHost, type LocalHost } from './support/host';
import { header, request } from './support/http';

const REGISTRY = 'outage.azurecr.io';
const digest = 'sha256:' + 'd'.repeat(64);
// Per try 1 s, 2 tries: a frozen storage call gives up after about 2 s.
const STORAGE_ENV = { STORAGE_TRY_TIMEOUT_MS: '1000', STORAGE_MAX_TRIES: '2' };
// Generous: far above the 2 s the settings allow, far below the 15 s this client waits.
const BOUND_MS = 8_000;

const reads: [string, Record<string, string>][] = [
  ['/api/repositories', { registry: REGISTRY }],
  ['/api/trend', { registry: REGISTRY, repository: 'team/app' }],
  ['/api/image', { registry: REGISTRY, repository: 'team/app', digest }],
  ['/api/storage', { registry: REGISTRY }],
  ['/api/policy', { registry: REGISTRY }],
  ['/api/alerts', { registry: REGISTRY }],
];

async function get(host: LocalHost, path: string, query: Record<string, string>) {
  const url = new URL(`${host.url}${path}`);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  const started = Date.now();
  const res = await request(url);
  return {
    status: res.status,
    ms: Date.now() - started,
    retryAfter: header(res, 'retry-after'),
    json: JSON.parse(res.body.toString() || 'null') as { error?: string; reason?: string },
  };
}

function push(id: string) {
  return JSON.stringify({
    id,
    timestamp: new Date().toISOString(),
    action: 'push',
    target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 1, digest, length: 1, repository: 'team/app', tag: 'v1' },
    request: { id: 'r', host: REGISTRY, method: 'PUT', useragent: 'x' },
  });
}

async function webhook(host: LocalHost, id: string) {
  const started = Date.now();
  const res = await request(`${host.url}/api/webhooks/acr`, {
    method: 'POST',
    headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' },
    body: push(id),
  });
  return {
    status: res.status,
    ms: Date.now() - started,
    retryAfter: header(res, 'retry-after'),
    json: JSON.parse(res.body.toString()) as Record<string, unknown>,
  };
}

describe('storage stopped', () => {
  let host: LocalHost;
  beforeAll(async () => {
    const azurite = await startTestAzurite();
    const connectionString = azurite.connectionString;
    await azurite.stop();
    host = await startLocalHost({ AzureWebJobsStorage: connectionString, WEBHOOK_SECRET: SECRET, ALLOWED_REGISTRIES: REGISTRY, ...STORAGE_ENV });
  });
  afterAll(() => host?.stop());

  it('answers every read with 503, Retry-After and "unreachable", within the bound', async () => {
    for (const [path, query] of reads) {
      const res = await get(host, path, query);
      console.log(`storage stopped: ${path} answered ${res.status} in ${res.ms} ms`);
      expect(res.status, `${path}: ${JSON.stringify(res.json)}`).toBe(503);
      expect(res.retryAfter).toMatch(/^\d+$/);
      expect(res.json.reason).toBe('unreachable');
      expect(res.json.error).toMatch(/storage is unreachable/);
      expect(res.ms).toBeLessThan(BOUND_MS);
    }
  });
});

describe('storage frozen', () => {
  let host: LocalHost;
  let azurite: Awaited<ReturnType<typeof startTestAzurite>>;
  beforeAll(async () => {
    azurite = await startTestAzurite();
    host = await startLocalHost({ AzureWebJobsStorage: azurite.connectionString, WEBHOOK_SECRET: SECRET, ALLOWED_REGISTRIES: REGISTRY, ...STORAGE_ENV });
    // Tables and the queue exist before the freeze, so what is measured is the read itself.
    expect((await get(host, '/api/repositories', { registry: REGISTRY })).status).toBe(200);
    expect((await webhook(host, 'before')).status).toBe(202);
  });
  afterAll(async () => {
    process.kill(azurite.pid, 'SIGCONT');
    await host?.stop();
    await azurite?.stop();
  });

  it('answers every read and webhook with 503, Retry-After and "timeout" within the bound, and recovers once storage answers again', async () => {
    process.kill(azurite.pid, 'SIGSTOP');
    try {
      const answers = await Promise.all(reads.map(([path, query]) => get(host, path, query)));
      for (const [i, res] of answers.entries()) {
        console.log(`storage frozen: ${reads[i]![0]} answered ${res.status} in ${res.ms} ms`);
        expect(res.status, `${reads[i]![0]}: ${JSON.stringify(res.json)}`).toBe(503);
        expect(res.retryAfter).toMatch(/^\d+$/);
        expect(res.json.reason).toBe('timeout');
        expect(res.json.error).toMatch(/did not answer within 1000 ms/);
        expect(res.ms).toBeLessThan(BOUND_MS);
      }
      const hook = await webhook(host, 'frozen');
      console.log(`storage frozen: webhook answered ${hook.status} in ${hook.ms} ms`);
      expect(hook.status).toBe(503);
      expect(hook.retryAfter).toMatch(/^\d+$/);
      expect(hook.json).toMatchObject({
        reason: 'timeout',
        accepted: 0,
        events: [{ id: 'frozen', outcome: 'unknown', reason: expect.stringMatching(/did not answer within 1000 ms/) }],
      });
      expect(hook.ms).toBeLessThan(5_000);
    } finally {
      process.kill(azurite.pid, 'SIGCONT');
    }
    expect((await get(host, '/api/repositories', { registry: REGISTRY })).status).toBe(200);
    expect((await webhook(host, 'after')).status).toBe(202);
  });
});
