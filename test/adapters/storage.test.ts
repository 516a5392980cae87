/**
 * The storage adapters' bounds, against an endpoint that answers 503 ServerBusy to
 * everything (as a throttled or failing account does) and one that accepts connections
 * but never answers: tries are counted and capped, and the error says which failure it was.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventQueue } from '../../src/adapters/eventQueue';
import { StorageUnavailableError } from '../../src/adapters/storage';
import { Tables } from '../../src/adapters/tables/tables';
import type { RegistryEvent } from '../../src/core/events';
import { samplePush } from '../support/sampleEvent';

const KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const retry = { tryTimeoutMs: 300, maxTries: 3, retryDelayMs: 20 };
const { tag: _untagged, ...event }: RegistryEvent = samplePush;

let requests = 0;
let busy: http.Server;
let silent: http.Server;
const connectionString = (port: number) =>
  `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${KEY};QueueEndpoint=http://127.0.0.1:${port}/devstoreaccount1;TableEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`;
const listen = (server: http.Server) => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));

beforeAll(() => {
  busy = http.createServer((req, res) => {
    requests++;
    req.resume();
    res
      .writeHead(503, { 'content-type': 'application/json', 'x-ms-error-code': 'ServerBusy' })
      .end('{"odata.error":{"code":"ServerBusy","message":{"value":"busy"}}}');
  });
  silent = http.createServer((req) => {
    requests++;
    req.resume();
  });
});
afterAll(() => {
  busy.closeAllConnections();
  busy.close();
  silent.closeAllConnections();
  silent.close();
});

async function failure(work: () => Promise<unknown>): Promise<StorageUnavailableError> {
  const e = await work().then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(StorageUnavailableError);
  return e as StorageUnavailableError;
}

describe('bounded storage calls', () => {
  it('give up on a busy account after maxTries, saying it answered 503', async () => {
    const port = await listen(busy);
    const conn = { kind: 'connectionString' as const, connectionString: connectionString(port) };
    requests = 0;
    const table = await failure(() => new Tables(conn, retry).get('images'));
    expect(table).toMatchObject({ service: 'table', kind: 'unavailable' });
    expect(table.message).toMatch(/^table storage answered 503 .*\(3 tries\)$/);
    expect(requests).toBe(3);
    requests = 0;
    const [queue] = await new EventQueue(conn, 'q', retry).enqueue([event]);
    expect(queue).toMatchObject({ outcome: 'not_queued', error: { service: 'queue', kind: 'unavailable' } });
    expect(requests).toBe(3);
  });

  it('cut each try that gets no answer, and say it timed out', async () => {
    const port = await listen(silent);
    const conn = { kind: 'connectionString' as const, connectionString: connectionString(port) };
    const queueError = async () => {
      const [o] = await new EventQueue(conn, 'q', retry).enqueue([event]);
      throw o?.outcome === 'queued' ? new Error('queued') : (o?.error as Error);
    };
    for (const [service, work] of [
      ['table', () => new Tables(conn, retry).get('points')],
      ['queue', queueError],
    ] as const) {
      requests = 0;
      const e = await failure(work);
      expect(e).toMatchObject({ service, kind: 'timeout', message: `${service} storage did not answer within 300 ms (3 tries)` });
      // Each try was cut (the next one started), and there were no more than three.
      expect(requests).toBe(3);
    }
  });
});
