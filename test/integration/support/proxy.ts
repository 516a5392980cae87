/**
 * HTTPS servers that sit where a registry would: a recording, fault-injecting
 * reverse proxy in front of a real registry, and a sentinel that only records
 * who knocked (to prove the service never contacts a registry it must not).
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { serverTlsOptions } from './tls';

export interface RecordedRequest {
  method: string;
  /** Path plus query, as received. */
  path: string;
  status: number;
  /** Epoch ms when the request arrived. */
  time: number;
  durationMs: number;
  /** True when the answer came from failNext rather than the registry. */
  injected: boolean;
}

export interface RequestFilter {
  method?: string;
  path?: RegExp | string;
  status?: number;
  injected?: boolean;
}

export interface RegistryProxy {
  loginServer: string;
  url: string;
  port: number;
  /**
   * Answer `status` to the next `n` requests (only those whose path matches `path`, if given),
   * with `headers` added to the answer (a 429's Retry-After, say).
   */
  failNext(n: number, status: number, opts?: { path?: RegExp; headers?: Record<string, string> }): void;
  /** Holds requests whose path matches unanswered (a registry that stalls) until the returned function is called. */
  hold(path: RegExp): () => void;
  /** Drops pending faults and the request log. */
  reset(): void;
  requests(): RecordedRequest[];
  count(filter?: RequestFilter): number;
  stop(): Promise<void>;
}

const matches = (r: RecordedRequest, f: RequestFilter) =>
  (f.method === undefined || r.method === f.method.toUpperCase()) &&
  (f.path === undefined || (typeof f.path === 'string' ? r.path === f.path : f.path.test(r.path))) &&
  (f.status === undefined || r.status === f.status) &&
  (f.injected === undefined || r.injected === f.injected);

async function listen(server: https.Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

async function close(server: https.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

// Per-connection headers must not be forwarded by a proxy (RFC 9110 §7.6.1).
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

function forwardable(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !HOP_BY_HOP.has(k.toLowerCase())));
}

export async function startRegistryProxy(targetUrl: string): Promise<RegistryProxy> {
  const target = new URL(targetUrl);
  const log: RecordedRequest[] = [];
  let faults: Array<{ status: number; path?: RegExp; headers?: Record<string, string> }> = [];
  const holds = new Set<{ path: RegExp; held: (() => void)[] }>();
  let origin = '';

  const server = https.createServer(serverTlsOptions(), (req, res) => {
    const started = Date.now();
    const entry: RecordedRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      status: 0,
      time: started,
      durationMs: 0,
      injected: false,
    };
    log.push(entry);
    const finish = (status: number) => {
      entry.status = status;
      entry.durationMs = Date.now() - started;
    };

    const faultIndex = faults.findIndex((f) => !f.path || f.path.test(entry.path));
    const fault = faultIndex >= 0 ? faults.splice(faultIndex, 1)[0] : undefined;
    if (fault) {
      entry.injected = true;
      req.resume();
      const body = JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: `injected fault ${fault.status}` }] });
      res.writeHead(fault.status, { ...fault.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      finish(fault.status);
      return;
    }

    const hold = [...holds].find((h) => h.path.test(entry.path));
    if (hold) {
      hold.held.push(() => forward());
      return;
    }
    forward();

    function forward() {
      // The registry sees its own host, so absolute Locations it builds point at it; rewritten below.
      const upstream = https.request(
        new URL(entry.path, target),
        { method: entry.method, headers: { ...forwardable(req.headers), host: target.host }, agent: false },
        (up) => {
          const headers = forwardable(up.headers);
          const location = up.headers.location;
          if (location) {
            const abs = new URL(location, target);
            headers.location = abs.origin === target.origin ? origin + abs.pathname + abs.search : location;
          }
          res.writeHead(up.statusCode ?? 502, headers);
          up.pipe(res);
          up.on('end', () => finish(up.statusCode ?? 502));
        },
      );
      upstream.on('error', (err) => {
        finish(502);
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`proxy upstream error: ${err.message}`);
      });
      req.pipe(upstream);
    }
  });

  const port = await listen(server);
  origin = `https://localhost:${port}`;
  return {
    loginServer: `localhost:${port}`,
    url: origin,
    port,
    failNext(n, status, opts = {}) {
      for (let i = 0; i < n; i++) faults.push({ status, ...(opts.path ? { path: opts.path } : {}), ...(opts.headers ? { headers: opts.headers } : {}) });
    },
    hold(path) {
      const h = { path, held: [] as (() => void)[] };
      holds.add(h);
      return () => {
        holds.delete(h);
        for (const release of h.held.splice(0)) release();
      };
    },
    reset() {
      faults = [];
      log.length = 0;
    },
    requests: () => log.map((r) => ({ ...r })),
    count: (filter = {}) => log.filter((r) => matches(r, filter)).length,
    stop: () => close(server),
  };
}

export interface SentinelConnection {
  remoteAddress: string;
  remotePort: number;
  time: number;
}

export interface Sentinel {
  loginServer: string;
  url: string;
  port: number;
  /** Every TCP connection, recorded before TLS, so even a failed handshake counts. */
  connections(): SentinelConnection[];
  requests(): Array<{ method: string; path: string; headers: http.IncomingHttpHeaders; time: number }>;
  stop(): Promise<void>;
}

/** An HTTPS "registry" that answers 503 to everything and remembers every contact. */
export async function startSentinel(): Promise<Sentinel> {
  const connections: SentinelConnection[] = [];
  const requests: ReturnType<Sentinel['requests']> = [];
  const server = https.createServer(serverTlsOptions(), (req, res) => {
    requests.push({ method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, time: Date.now() });
    req.resume();
    res.writeHead(503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: 'sentinel: this registry must not be contacted' }] }));
  });
  server.on('connection', (socket: Socket) => {
    connections.push({ remoteAddress: socket.remoteAddress ?? '', remotePort: socket.remotePort ?? 0, time: Date.now() });
  });
  const port = await listen(server);
  return {
    loginServer: `localhost:${port}`,
    url: `https://localhost:${port}`,
    port,
    connections: () => [...connections],
    requests: () => [...requests],
    stop: () => close(server),
  };
}
