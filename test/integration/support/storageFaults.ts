/**
 * A plain-HTTP reverse proxy in front of Azurite's queue endpoint that refuses chosen
 * messages the way a throttled account does (503 ServerBusy) and passes everything else
 * to the real emulator, so a delivery can be made to queue some of its events and not others.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface QueueFaults {
  /** Point the app's QueueEndpoint here. */
  port: number;
  /** Refuse sendMessage for events whose id matches (the message is the host's base64 JSON). */
  refuseEvents(match: RegExp | undefined): void;
  refused(): string[];
  stop(): Promise<void>;
}

export async function startQueueFaults(targetPort: number): Promise<QueueFaults> {
  let match: RegExp | undefined;
  const refusedIds: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (match && req.method === 'POST' && /\/messages(\?|$)/.test(req.url ?? '')) {
        const text = /<MessageText>([^<]*)<\/MessageText>/.exec(body.toString())?.[1];
        const id = text ? (JSON.parse(Buffer.from(text, 'base64').toString('utf8')) as { id?: string }).id : undefined;
        if (id && match.test(id)) {
          refusedIds.push(id);
          res.writeHead(503, { 'content-type': 'application/xml', 'x-ms-error-code': 'ServerBusy' });
          res.end('<?xml version="1.0" encoding="utf-8"?><Error><Code>ServerBusy</Code><Message>The server is busy.</Message></Error>');
          return;
        }
      }
      const upstream = http.request({ host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.on('error', (err) => res.writeHead(502).end(String(err)));
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    refuseEvents: (m) => void (match = m),
    refused: () => [...refusedIds],
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
