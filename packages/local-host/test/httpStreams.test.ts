import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHost, type RunningHost } from '../src/host';
import type { LogLevel } from '../src/log';

/**
 * The local host with an app that calls app.setup({ enableHttpStream: true }): handlers
 * run once the headers are in and read the body as it arrives, and
 * FUNCTIONS_REQUEST_BODY_SIZE_LIMIT is enforced while they read.
 */

const projectRoot = path.join(__dirname, 'fixtures', 'stream');
const MiB = 1024 * 1024;
const savedEnv = { ...process.env };
let host: RunningHost;
let base: string;
const lines: [LogLevel, string][] = [];

beforeAll(async () => {
  process.env = { ...savedEnv, FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: String(64 * MiB) };
  host = await startHost({ projectRoot, port: 0, log: (level, line) => void lines.push([level, line]) });
  base = `http://127.0.0.1:${host.port}`;
});
afterAll(async () => {
  await host?.stop();
  process.env = savedEnv;
});

interface Sent {
  status: number;
  body: string;
  sentWhenAnswered: number;
}

/** POSTs `size` bytes in 64 KiB chunks, declared or chunked, and stops writing once answered. */
function send(pathname: string, size: number, declare: boolean): Promise<Sent> {
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = http.request(`${base}${pathname}`, {
      method: 'POST',
      agent: false,
      headers: declare ? { 'content-length': String(size) } : { 'transfer-encoding': 'chunked' },
    });
    req.on('response', (res) => {
      answered = true;
      const sentWhenAnswered = sent;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body, sentWhenAnswered });
        req.destroy();
      });
    });
    req.on('error', (err) => (answered ? undefined : reject(err)));
    const pump = () => {
      while (!answered && sent < size) {
        const n = Math.min(chunk.length, size - sent);
        sent += n;
        if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void req.once('drain', pump);
      }
      if (!answered) req.end();
    };
    pump();
  });
}

describe('HTTP streams', () => {
  it('invokes the handler before the body has arrived, so it can answer without it', async () => {
    for (const declare of [true, false]) {
      // Larger than the socket buffers between client and host, so an answer before the end shows nobody read it all.
      const res = await send('/api/refuse', 48 * MiB, declare);
      expect(res).toMatchObject({ status: 401, body: '{"error":"no"}' });
      expect(res.sentWhenAnswered).toBeLessThan(48 * MiB);
    }
    // The connection was closed or drained: the host still serves.
    expect((await send('/api/count', 10, true)).status).toBe(200);
  });

  it('hands over a body that had arrived whole before the handler began to read it', async () => {
    // A handler that awaits something first (a token check, say) reads a body that is all there already.
    const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(`${base}/api/late`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end('{"a":1}', () => void fetch(`${base}/api/release`, { method: 'POST' }).catch(reject));
    });
    expect(await answered).toEqual({ status: 200, body: '{"received":{"a":1}}' });
  });

  it('hands the body over as it arrives, whole', async () => {
    const res = await send('/api/count', 3 * MiB + 5, false);
    expect(res.status).toBe(200);
    const { bytes, chunks } = JSON.parse(res.body) as { bytes: number; chunks: number };
    expect(bytes).toBe(3 * MiB + 5);
    expect(chunks).toBeGreaterThan(1);
    const json = await fetch(`${base}/api/json`, { method: 'POST', body: JSON.stringify({ a: [1, 2] }) });
    expect(await json.json()).toEqual({ received: { a: [1, 2] } });
  });

  it('answers 413 for a body past FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: declared before invoking, streamed while the handler reads', async () => {
    const executed = () => lines.filter(([, l]) => l.includes("Executing 'Functions.count'")).length;
    const before = executed();
    const declared = await send('/api/count', 64 * MiB + 1, true);
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.body)).toMatchObject({ error: 'Payload Too Large' });
    expect(executed()).toBe(before);
    const streamed = await send('/api/count', 96 * MiB, false);
    expect(streamed.status).toBe(413);
    expect(streamed.sentWhenAnswered).toBeLessThan(96 * MiB);
    expect(executed()).toBe(before + 1);
  });
});

describe('a request whose headers are over the limit', () => {
  /** Headers over Node's 16 KiB limit, then a body still being written when the answer comes. */
  function oversized(): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request(`${base}/api/echo`, {
        method: 'PUT',
        agent: false,
        headers: { 'content-length': String(4 * MiB), 'x-big': 'h'.repeat(20_000) },
      });
      req.on('response', (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body });
          req.destroy();
        });
      });
      req.on('error', reject);
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      let sent = 0;
      const pump = () => {
        while (sent < 4 * MiB) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
  }

  it('is answered 431 with a JSON body, never a connection reset, while the client is still sending', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => oversized()));
    for (const a of answers) {
      expect(a.status).toBe(431);
      expect(JSON.parse(a.body)).toEqual({ error: expect.stringMatching(/header/i) });
    }
  });
});
