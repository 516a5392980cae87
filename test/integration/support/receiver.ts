/**
 * A plain-HTTP endpoint that records what it is sent and answers from a script:
 * stands in for a Teams webhook, and captures Distribution's notifications.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from './wait';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Parsed body when it is JSON, else undefined. */
  json: unknown;
  time: number;
}

export interface ScriptedResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | object;
  /** Wait this long before answering, e.g. to trip a client timeout. */
  delayMs?: number;
}

export interface Receiver {
  /** "http://127.0.0.1:PORT" — append any path; every path is recorded. */
  url: string;
  port: number;
  /** Queue responses for the next requests, in order; afterwards the default applies. */
  respondWith(...responses: ScriptedResponse[]): void;
  /** Response once the queue is empty (initially 200 with an empty body). */
  setDefault(response: ScriptedResponse): void;
  requests(): ReceivedRequest[];
  /** Resolves once at least `n` requests (matching `filter`, if given) have arrived. */
  waitForRequests(n: number, opts?: { timeoutMs?: number; filter?: (r: ReceivedRequest) => boolean }): Promise<ReceivedRequest[]>;
  reset(): void;
  stop(): Promise<void>;
}

function parseJson(body: string): unknown {
  try {
    return body ? JSON.parse(body) : undefined;
  } catch {
    return undefined;
  }
}

export async function startReceiver(): Promise<Receiver> {
  const received: ReceivedRequest[] = [];
  let queue: ScriptedResponse[] = [];
  let fallback: ScriptedResponse = { status: 200 };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body,
        json: parseJson(body),
        time: Date.now(),
      });
      const r = queue.shift() ?? fallback;
      const payload = r.body === undefined ? '' : typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
      const headers = {
        ...(typeof r.body === 'object' ? { 'content-type': 'application/json' } : {}),
        ...r.headers,
        'content-length': String(Buffer.byteLength(payload)),
      };
      const send = () => {
        res.writeHead(r.status, headers);
        res.end(payload);
      };
      if (r.delayMs) setTimeout(send, r.delayMs);
      else send();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    respondWith: (...responses) => void queue.push(...responses),
    setDefault: (response) => void (fallback = response),
    requests: () => [...received],
    waitForRequests: (n, { timeoutMs = 10_000, filter = () => true } = {}) =>
      waitFor(
        () => {
          const hits = received.filter(filter);
          return hits.length >= n && hits;
        },
        { timeoutMs, message: `${n} matching request(s) at the receiver` },
      ),
    reset() {
      received.length = 0;
      queue = [];
      fallback = { status: 200 };
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
