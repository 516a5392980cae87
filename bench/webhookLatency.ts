/**
 * Webhook acknowledgement latency at a fixed request rate (open loop: requests leave on
 * schedule whether or not earlier ones finished), for the service's ACR webhook on the
 * local host and for a bare Node HTTP handler doing one queue enqueue: the floor.
 *
 *   npm run bench -- webhookLatency [rate=50] [seconds=10]
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { QueueClient } from '@azure/storage-queue';
import { SECRET, startApp } from '../test/integration/support/app';
import { makeImage, pushImage } from '../test/integration/support/images';
import { summarize } from './stats';

const rate = Number(process.argv[2] ?? 50);
const seconds = Number(process.argv[3] ?? 10);

async function openLoop(url: string, body: (i: number) => string): Promise<{ latencies: number[]; errors: number; statuses: Record<number, number> }> {
  const total = Math.round(rate * seconds);
  const latencies: number[] = [];
  const statuses: Record<number, number> = {};
  let errors = 0;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const start = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inFlight.push(
      new Promise<void>((resolve) => {
        const payload = body(i);
        const sent = performance.now();
        const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}`, 'content-length': Buffer.byteLength(payload) } }, (res) => {
          res.resume();
          res.on('end', () => {
            latencies.push(performance.now() - sent);
            statuses[res.statusCode ?? 0] = (statuses[res.statusCode ?? 0] ?? 0) + 1;
            resolve();
          });
        });
        req.on('error', () => {
          errors++;
          resolve();
        });
        req.end(payload);
      }),
    );
  }
  await Promise.all(inFlight);
  agent.destroy();
  return { latencies, errors, statuses };
}

async function main() {
  const app = await startApp();
  try {
    const image = makeImage({ layers: [4096] });
    const pushed = await pushImage(app.registry.url, 'bench/app', image, { tag: 'base' });
    const event = (i: number) =>
      JSON.stringify({
        id: `bench-${i}-${Date.now()}`,
        timestamp: new Date().toISOString(),
        action: 'push',
        target: { mediaType: pushed.mediaType, size: pushed.manifestSize, digest: pushed.digest, length: pushed.manifestSize, repository: 'bench/app', tag: `t${i}` },
        request: { id: `r${i}`, host: app.proxy.loginServer, method: 'PUT', useragent: 'bench' },
      });

    // The floor: parse the body, one sendMessage, answer 202.
    const floorQueue = new QueueClient(app.connectionString, 'bench-floor');
    await floorQueue.createIfNotExists();
    const floor = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const text = Buffer.concat(chunks).toString();
        JSON.parse(text);
        await floorQueue.sendMessage(Buffer.from(text).toString('base64'));
        res.writeHead(202, { 'content-type': 'application/json' }).end('{"accepted":1}');
      });
    });
    await new Promise<void>((r) => floor.listen(0, '127.0.0.1', r));
    const floorUrl = `http://127.0.0.1:${(floor.address() as AddressInfo).port}/`;

    // Warm both paths (JIT, connections, queue creation) before measuring.
    await openLoopOnce(`${app.host.url}/api/webhooks/acr`, event(-1));
    await openLoopOnce(floorUrl, event(-2));

    const service = await openLoop(`${app.host.url}/api/webhooks/acr`, event);
    const bare = await openLoop(floorUrl, event);
    floor.close();

    console.log(`\nWebhook acknowledgement latency, ${rate} req/s for ${seconds} s (open loop), Azurite queue, same machine:`);
    console.table([
      summarize('service POST /api/webhooks/acr', service.latencies, { errors: service.errors, statuses: JSON.stringify(service.statuses) }),
      summarize('bare Node handler + 1 enqueue', bare.latencies, { errors: bare.errors, statuses: JSON.stringify(bare.statuses) }),
    ]);
  } finally {
    await app.stop();
  }
}

async function openLoopOnce(url: string, payload: string) {
  await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` }, body: payload });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
