/**
 * The floor for the webhook benchmark, in a process of its own (like the service): a
 * bare Node HTTP handler that reads the body, parses it, sends one queue message and
 * answers 202. Prints its URL on stdout once listening.
 *
 *   node --import tsx bench/support/floorServer.ts <storage connection string>
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { QueueClient } from '@azure/storage-queue';

async function main() {
  const queue = new QueueClient(process.argv[2]!, 'bench-floor');
  await queue.createIfNotExists();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    const answer = async () => {
      const text = Buffer.concat(chunks).toString();
      JSON.parse(text);
      await queue.sendMessage(Buffer.from(text).toString('base64'));
      res.writeHead(202, { 'content-type': 'application/json' }).end('{"accepted":1}');
    };
    req.on('end', () => {
      answer().catch((e: Error) => res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: e.message })));
    });
  });
  server.listen(0, '127.0.0.1', () => console.log(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
