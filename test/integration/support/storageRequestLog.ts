/**
 * Plain-HTTP reverse proxies in front of Azurite's queue and table endpoints that record
 * every request (method, service, path), so a test can count what a code path sends to
 * storage. Shared-key signatures cover the path, not the host, so requests pass through
 * unchanged.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StorageRequest {
  service: 'queue' | 'table';
  method: string;
  /** The path without the account, e.g. `acrsize-events/messages` or `acrsizeImages(PartitionKey='…',RowKey='…')`. */
  resource: string;
  status: number;
}

export interface StorageRequestLog {
  /** The connection string with its QueueEndpoint and TableEndpoint pointing at the proxies. */
  connectionString: string;
  requests(): StorageRequest[];
  stop(): Promise<void>;
}

async function proxy(service: StorageRequest['service'], target: URL, log: StorageRequest[]): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
      (up) => {
        const url = new URL(req.url ?? '/', 'http://x');
        log.push({
          service,
          method: req.method ?? 'GET',
          resource: decodeURIComponent(url.pathname.split('/').slice(2).join('/')),
          status: up.statusCode ?? 0,
        });
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { server, port: (server.address() as AddressInfo).port };
}

export async function startStorageRequestLog(connectionString: string): Promise<StorageRequestLog> {
  const log: StorageRequest[] = [];
  let rewritten = connectionString;
  const servers: http.Server[] = [];
  for (const [service, key] of [
    ['queue', 'QueueEndpoint'],
    ['table', 'TableEndpoint'],
  ] as const) {
    const m = new RegExp(`${key}=(http://[^;/]+)`).exec(connectionString);
    if (!m) throw new Error(`the connection string has no http ${key}`);
    const { server, port } = await proxy(service, new URL(m[1]!), log);
    servers.push(server);
    rewritten = rewritten.replace(m[0], `${key}=http://127.0.0.1:${port}`);
  }
  return {
    connectionString: rewritten,
    requests: () => [...log],
    stop: async () => {
      for (const server of servers) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    },
  };
}
