/**
 * Large bodies against the real app on the local host: an unauthenticated sender cannot
 * make the host hold its body (the app streams requests and checks the secret before
 * reading), and an authenticated one is cut off at the webhook limit while reading.
 * Memory is read from the host process itself (/proc/<pid>/status).
 */
import fs from 'node:fs';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET, startApp, type AppUnderTest } from './support/app';

const MiB = 1024 * 1024;
let app: AppUnderTest;
beforeAll(async () => {
  // The host's own limit left at its 100 MiB default: what bounds memory here is the app.
  app = await startApp({ env: { FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: '' } });
});
afterAll(() => app?.stop());

/** kB figures from /proc/<pid>/status: VmRSS now, VmHWM the peak since the process started. */
function memory(pid: number): { rssMiB: number; peakMiB: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)![1]);
  return { rssMiB: kb('VmRSS') / 1024, peakMiB: kb('VmHWM') / 1024 };
}

interface Sent {
  status: number;
  body: string;
  /** Bytes of the body written when the answer arrived. */
  sentWhenAnswered: number;
}

/**
 * No retry on a reset: the host closes a connection it answered early only after reading
 * the rest of the body (RFC 9112 §9.6's lingering close), so the answer is never lost.
 */
const sendLarge = sendLargeOnce;

/** POSTs `size` bytes (declared, or chunked) from one reused buffer, stopping once answered. */
function sendLargeOnce(path: string, size: number, headers: Record<string, string>, declare: boolean): Promise<Sent> {
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = http.request(`${app.host.url}${path}`, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', ...headers, ...(declare ? { 'content-length': String(size) } : { 'transfer-encoding': 'chunked' }) },
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
    // The host may stop reading (and close) once it has answered.
    req.on('error', (err) => (answered ? undefined : reject(err)));
    // One chunk per turn of the event loop, so an answer is read as soon as it arrives
    // (as a sender waiting on its socket would), not after the host gave up reading.
    const pump = () => {
      if (answered) return;
      if (sent >= size) return void req.end();
      const n = Math.min(chunk.length, size - sent);
      sent += n;
      if (req.write(n === chunk.length ? chunk : chunk.subarray(0, n))) setImmediate(pump);
      else req.once('drain', pump);
    };
    pump();
  });
}

describe('large request bodies', () => {
  it('16 unauthenticated 96 MiB bodies answer 401 before they are sent, and the host stays small', async () => {
    const before = memory(app.host.pid);
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        sendLarge(['/api/webhooks/acr', '/api/webhooks/distribution', '/api/webhooks/eventgrid'][i % 3]!, 96 * MiB, {}, i % 2 === 0),
      ),
    );
    const after = memory(app.host.pid);
    console.log(`host memory: RSS ${before.rssMiB.toFixed(0)} MiB before, ${after.rssMiB.toFixed(0)} MiB after, peak ${after.peakMiB.toFixed(0)} MiB`);
    for (const r of results) {
      expect(r.status).toBe(401);
      expect(JSON.parse(r.body).error).toMatch(/Authorization/);
      // Answered before the sender was done: nobody read the body first.
      expect(r.sentWhenAnswered).toBeLessThan(96 * MiB);
    }
    // Generous: the host starts near 150 MiB; holding the bodies took it to 1.8 GB.
    expect(after.peakMiB).toBeLessThan(before.peakMiB + 256);
    // The host still answers.
    expect((await app.get('/api/repositories', { registry: app.proxy.loginServer })).status).toBe(200);
  });

  it('an authenticated body over 1 MiB is refused with 413 on its Content-Length, or once 1 MiB has been read', async () => {
    const auth = { authorization: `Bearer ${SECRET}` };
    const declared = await sendLarge('/api/webhooks/acr', 96 * MiB, auth, true);
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.body)).toMatchObject({ limitBytes: MiB });
    expect(declared.sentWhenAnswered).toBeLessThan(96 * MiB);
    const chunked = await sendLarge('/api/webhooks/distribution', 96 * MiB, auth, false);
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.body)).toMatchObject({ limitBytes: MiB });
    expect(chunked.sentWhenAnswered).toBeLessThan(96 * MiB);
    const peak = memory(app.host.pid).peakMiB;
    expect(peak).toBeLessThan(600);
  });

  it('answers every sender still writing and asking to close (80 at 8 at a time), never with a reset that loses the answer', async () => {
    const auth = { authorization: `Bearer ${SECRET}` };
    const statuses: number[] = [];
    for (let round = 0; round < 10; round++) {
      const sent = await Promise.all(Array.from({ length: 8 }, (_, i) => sendLargeOnce('/api/webhooks/acr', 96 * MiB, auth, i % 2 === 0)));
      statuses.push(...sent.map((s) => s.status));
    }
    expect(statuses).toEqual(Array.from({ length: 80 }, () => 413));
  });

  it('the unauthenticated Event Grid validation handshake reads at most 64 KiB', async () => {
    const big = await sendLarge('/api/webhooks/eventgrid', 96 * MiB, { 'aeg-event-type': 'SubscriptionValidation' }, false);
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body)).toMatchObject({ limitBytes: 64 * 1024 });
    expect(big.sentWhenAnswered).toBeLessThan(96 * MiB);
  });
});
