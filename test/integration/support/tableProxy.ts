/**
 * A plain-HTTP reverse proxy in front of Azurite's table endpoint that records every
 * query, so a test can see what a piece of code reads. Shared-key signatures cover the
 * path, not the host, so requests pass through unchanged.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TableQuery {
  method: string;
  /** The table the request addressed, e.g. `acrsizeAlerts`. */
  table: string;
  /** The decoded `$filter`, when there was one. */
  filter?: string;
  /** The columns asked for (`$select`), when the query named them. */
  select?: string[];
  /** The page size asked for (`$top`), when there was one. */
  top?: number;
  /** Entities in the answer. */
  returned: number;
  /** Bytes of the answer's body. */
  bytes: number;
  /** The answer's HTTP status (a batch answers 202 and carries its operations' statuses inside). */
  status: number;
  /** For a batch: the first failed operation's status inside it (409, 412), when one failed. */
  failedWith?: number;
}

/** Discrete comparisons in a filter (Table Storage allows at most 15), counted outside quoted values. */
export function comparisons(filter: string): number {
  return filter.replace(/'(?:[^']|'')*'/g, "''").match(/\s(?:eq|ne|gt|ge|lt|le)\s/g)?.length ?? 0;
}

export interface TableProxy {
  /** The connection string with its TableEndpoint pointing at the proxy. */
  connectionString: string;
  queries(): TableQuery[];
  reset(): void;
  stop(): Promise<void>;
}

export async function startTableProxy(connectionString: string): Promise<TableProxy> {
  const m = /TableEndpoint=(http:\/\/[^;/]+)(\/[^;]*)?/.exec(connectionString);
  if (!m) throw new Error('the connection string has no http TableEndpoint');
  const target = new URL(m[1]!);
  const log: TableQuery[] = [];
  const server = http.createServer((req, res) => {
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
      (up) => {
        const chunks: Buffer[] = [];
        up.on('data', (c: Buffer) => chunks.push(c));
        up.on('end', () => {
          const body = Buffer.concat(chunks);
          const url = new URL(req.url ?? '/', 'http://x');
          const table = decodeURIComponent(url.pathname.split('/')[2] ?? '').replace(/\(.*$/, '');
          let returned = 0;
          try {
            const parsed = JSON.parse(body.toString('utf8')) as { value?: unknown[]; PartitionKey?: string };
            returned = Array.isArray(parsed.value) ? parsed.value.length : parsed.PartitionKey !== undefined ? 1 : 0;
          } catch {
            // not JSON (a batch, an empty answer)
          }
          const filter = url.searchParams.get('$filter') ?? undefined;
          const select = url.searchParams.get('$select')?.split(',');
          const top = url.searchParams.get('$top');
          log.push({
            method: req.method ?? 'GET',
            table,
            ...(filter ? { filter } : {}),
            ...(select ? { select } : {}),
            ...(top ? { top: Number(top) } : {}),
            returned,
            bytes: body.length,
            status: up.statusCode ?? 0,
            ...batchFailure(body),
          });
          res.writeHead(up.statusCode ?? 502, up.headers);
          res.end(body);
        });
      },
    );
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    connectionString: connectionString.replace(/TableEndpoint=http:\/\/[^;/]+/, `TableEndpoint=http://127.0.0.1:${port}`),
    queries: () => [...log],
    reset: () => void (log.length = 0),
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The key range a filter pins down, as Table Storage executes it: a PartitionKey
 * equality and RowKey bounds make a range scan; without a PartitionKey the service
 * scans the whole table, whatever else the filter says.
 */
export function scannedBy(filter: string | undefined, entity: { partitionKey: string; rowKey: string }): boolean {
  if (!filter) return true;
  const literal = (op: string, key: string) => [...filter.matchAll(new RegExp(`${key} ${op} '((?:[^']|'')*)'`, 'g'))].map((x) => x[1]!.replace(/''/g, "'"));
  const pk = literal('eq', 'PartitionKey');
  if (pk.length === 0) return true;
  if (!pk.includes(entity.partitionKey)) return false;
  const rk = entity.rowKey;
  return (
    literal('ge', 'RowKey').every((b) => rk >= b) &&
    literal('gt', 'RowKey').every((b) => rk > b) &&
    literal('le', 'RowKey').every((b) => rk <= b) &&
    literal('lt', 'RowKey').every((b) => rk < b) &&
    literal('eq', 'RowKey').every((b) => rk === b)
  );
}

/** A failed operation inside a batch answer shows as an inner HTTP status line other than 2xx. */
function batchFailure(body: Buffer): { failedWith?: number } {
  const m = /HTTP\/1\.1 ([45]\d\d)/.exec(body.toString('latin1'));
  return m ? { failedWith: Number(m[1]) } : {};
}
