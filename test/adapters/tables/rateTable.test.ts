/**
 * One request rate per registry across instances, in Table Storage (Azurite): each
 * RateGate has its own Tables (its own clients and connections), as separate Function
 * instances would, and they share only the row.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageUnavailableError } from '../../../src/adapters/storage';
import { RateGate, RateWaitTooLongError } from '../../../src/adapters/tables/rateTable';
import { Tables } from '../../../src/adapters/tables/tables';
import { StoredRecordError } from '../../../src/core/errors';
import { escapeKey } from '../../../src/core/keys';
import { startTestAzurite } from '../../integration/support/azurite';

/** Azurite's well-known development account key. */
const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

let azurite: Awaited<ReturnType<typeof startTestAzurite>>;

beforeAll(async () => {
  azurite = await startTestAzurite();
});
afterAll(() => azurite?.stop());

/** Table requests one instance sent, by HTTP method: GET reads, POST creates, PUT conditional replaces. */
type Requests = Record<string, number>;

interface Instance {
  gate: RateGate;
  tables: Tables;
  requests: Requests;
}

/** A gate of its own, counting every try it sends to the rate table. */
async function instance(limit = 10): Promise<Instance> {
  const tables = new Tables({ kind: 'connectionString', connectionString: azurite.connectionString });
  const requests: Requests = {};
  const client = await tables.get('rates');
  client.pipeline.addPolicy(
    {
      name: 'countRequests',
      sendRequest: (request, next) => {
        requests[request.method] = (requests[request.method] ?? 0) + 1;
        return next(request);
      },
    },
    { afterPhase: 'Retry' },
  );
  return { gate: new RateGate(tables, { limit }), tables, requests };
}

const total = (r: Requests) => Object.values(r).reduce((a, b) => a + b, 0);

/** Starts `count` gate calls across the instances in turn; the time each one resolved. */
function gateAll(instances: readonly Instance[], registry: string, count: number): Promise<number[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => instances[i % instances.length]!.gate.gate(registry).then(() => Date.now())));
}

/** The most of `times` that lie in any one half-open interval of `windowMs`. */
function busiest(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; j < sorted.length; j++) {
    while (sorted[j]! - sorted[i]! >= windowMs) i++;
    most = Math.max(most, j - i + 1);
  }
  return most;
}

describe('RateGate', () => {
  it('lets 60 concurrent requests from three instances through at no more than 10 in any second', async () => {
    const instances = await Promise.all([instance(), instance(), instance()]);
    const start = Date.now();
    const times = await gateAll(instances, 'contended.example', 60);
    const elapsed = Math.max(...times) - start;

    expect(busiest(times, 1_000)).toBeLessThanOrEqual(10);
    // Six windows of 10, each 1,200 ms after the one before: the rate is applied, and nearly reached.
    expect(elapsed).toBeGreaterThanOrEqual(6_000);
    expect(elapsed).toBeLessThan(9_000);
    // Each instance queues its 20 and records up to a window's worth in one write (0.3 to 0.45 a grant seen here).
    expect(instances.map((i) => total(i.requests)).reduce((a, b) => a + b)).toBeLessThanOrEqual(60);
  });

  it('needs one conditional write a grant, and no read, while one instance is the only writer', async () => {
    const only = await instance(20);
    await only.gate.gate('alone.example');
    // The first finds no row and creates it.
    expect(only.requests).toEqual({ GET: 1, POST: 1 });
    for (let i = 0; i < 10; i++) await only.gate.gate('alone.example');
    expect(only.requests).toEqual({ GET: 1, POST: 1, PUT: 10 });
  });

  it('does not use a grant whose write came back too late, and asks again', async () => {
    const only = await instance(5);
    // The clock jumps 300 ms while the first grant is being written: its request would go out long after its recorded time.
    let calls = 0;
    const gate = new RateGate(only.tables, { limit: 5, now: () => Date.now() + (++calls >= 2 ? 300 : 0) });
    await gate.gate('slow-write.example');
    // One read (no row yet), the dropped grant's create, the used grant's replace.
    expect(only.requests).toEqual({ GET: 1, POST: 1, PUT: 1 });
    const row = await (await only.tables.get('rates')).getEntity<Record<string, unknown>>(escapeKey('slow-write.example'), 'rate');
    expect(
      String(Object.values(row).find((v) => typeof v === 'string' && v.includes(';')))
        .split(';')[1]!
        .split(','),
    ).toHaveLength(2);
  });

  it('pauses every instance when one is told to retry after 1,500 ms, also those already waiting', async () => {
    const [a, b, c] = await Promise.all([instance(), instance(), instance()]);
    const registry = 'paused.example';
    // The window is full, and each instance remembers the row as it last wrote it.
    await gateAll([a, b, c], registry, 10);
    const waiting = b.gate.gate(registry).then(() => Date.now());
    const pausedAt = Date.now();
    await a.gate.throttled(registry, 1_500);
    const times = [await waiting, ...(await Promise.all([a, c].map((i) => i.gate.gate(registry).then(() => Date.now()))))];

    expect(Math.min(...times)).toBeGreaterThanOrEqual(pausedAt + 1_500);
    expect(Math.max(...times)).toBeLessThan(pausedAt + 2_500);
  });

  it('gives each registry its own budget', async () => {
    const instances = await Promise.all([instance(), instance(), instance()]);
    const full = await gateAll(instances, 'one.example', 10);
    const next = instances[0].gate.gate('one.example').then(() => Date.now());
    const other = await gateAll(instances, 'two.example', 10);

    expect(Math.max(...other)).toBeLessThan(Math.min(...full) + 1_000);
    expect(await next).toBeGreaterThanOrEqual(Math.min(...full) + 1_000);
  });

  it('refuses to wait out a pause longer than a request may wait, as a transient failure', async () => {
    const [a, b] = await Promise.all([instance(), instance()]);
    await a.gate.throttled('long.example', 120_000);
    const error = await b.gate.gate('long.example').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateWaitTooLongError);
    expect(error).toMatchObject({ registry: 'long.example', maxWaitMs: 60_000, waitMs: expect.any(Number) });
    expect((error as RateWaitTooLongError).waitMs).toBeGreaterThan(100_000);
  });

  it('reports a row it did not write instead of guessing at the rate', async () => {
    const { gate, tables } = await instance();
    const client = await tables.get('rates');
    await client.upsertEntity({ partitionKey: escapeKey('odd/registry'), rowKey: 'rate', window: '0;12,x' }, 'Replace');
    await expect(gate.gate('odd/registry')).rejects.toThrow(StoredRecordError);
    await expect(gate.gate('odd/registry')).rejects.toMatchObject({ table: 'acrsizeRates', partitionKey: 'odd%2Fregistry', rowKey: 'rate' });
  });

  it('fails the waiting requests when storage cannot answer, and serves later ones afresh', async () => {
    // The table exists (409 to its creation); every entity request meets a busy account.
    let entityRequests = 0;
    const busy = http.createServer((req, res) => {
      req.resume();
      const creating = req.method === 'POST' && /\/Tables$/.test(req.url ?? '');
      if (!creating) entityRequests++;
      const [status, code] = creating ? [409, 'TableAlreadyExists'] : [503, 'ServerBusy'];
      res
        .writeHead(status, { 'content-type': 'application/json', 'x-ms-error-code': code })
        .end(`{"odata.error":{"code":"${code}","message":{"value":"${code}"}}}`);
    });
    const port = await new Promise<number>((resolve) => busy.listen(0, '127.0.0.1', () => resolve((busy.address() as AddressInfo).port)));
    try {
      const conn = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${AZURITE_KEY};TableEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`;
      const gate = new RateGate(new Tables({ kind: 'connectionString', connectionString: conn }, { tryTimeoutMs: 500, maxTries: 2, retryDelayMs: 10 }), {
        limit: 10,
      });
      const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => gate.gate('busy.example')));
      for (const o of outcomes) expect(o).toMatchObject({ status: 'rejected', reason: { service: 'table', kind: 'unavailable' } });
      expect((outcomes[0] as PromiseRejectedResult).reason).toBeInstanceOf(StorageUnavailableError);
      // The five shared one read (two tries); a later request tries again rather than finding the gate stuck.
      expect(entityRequests).toBe(2);
      await expect(gate.gate('busy.example')).rejects.toBeInstanceOf(StorageUnavailableError);
      expect(entityRequests).toBe(4);
    } finally {
      busy.closeAllConnections();
      busy.close();
    }
  });
});
