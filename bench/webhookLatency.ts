/**
 * Webhook acknowledgement latency at a fixed request rate (open loop: requests leave on
 * schedule whether or not earlier ones finished), for the service's ACR webhook on the
 * local host and for the floor: a bare Node HTTP handler doing one queue enqueue, in a
 * process of its own. Both are warmed up at the rate first (JIT, connection pools,
 * Azurite's own warm-up), then measured in alternating rounds, so neither gets a warmer
 * machine than the other. The service's queue trigger processes the events meanwhile,
 * as it would in Azure, unless `ingest` is `off`: then the host runs with
 * `AzureWebJobs.processRegistryEvent.Disabled=true`, so the figures are the
 * acknowledgement's own, without ingest competing for the same cores.
 *
 *   npm run bench -- webhookLatency [rate=50] [seconds=10] [rounds=2] [ingest=on|off]
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { SECRET, startApp } from '../test/integration/support/app';
import { makeImage, pushImage } from '../test/integration/support/images';
import { percentile, summarize } from './stats';

const rate = Number(process.argv[2] ?? 50);
const seconds = Number(process.argv[3] ?? 10);
const rounds = Number(process.argv[4] ?? 2);
const ingest = process.argv[5] ?? 'on';
if (ingest !== 'on' && ingest !== 'off') throw new Error(`ingest must be on or off, got "${ingest}"`);

interface Run {
  latencies: number[];
  errors: number;
  statuses: Record<number, number>;
  /** The worst latency of each second of sending: where a tail comes from. */
  worstPerSecond: number[];
}

async function openLoop(url: string, body: (i: number) => string, durationS: number): Promise<Run> {
  const total = Math.round(rate * durationS);
  const run: Run = { latencies: [], errors: 0, statuses: {}, worstPerSecond: [] };
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
        const second = Math.floor((sent - start) / 1000);
        const req = http.request(
          url,
          {
            method: 'POST',
            agent,
            headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}`, 'content-length': Buffer.byteLength(payload) },
          },
          (res) => {
            res.resume();
            res.on('end', () => {
              const ms = performance.now() - sent;
              run.latencies.push(ms);
              run.worstPerSecond[second] = Math.max(run.worstPerSecond[second] ?? 0, ms);
              run.statuses[res.statusCode ?? 0] = (run.statuses[res.statusCode ?? 0] ?? 0) + 1;
              resolve();
            });
          },
        );
        req.on('error', () => {
          run.errors++;
          resolve();
        });
        req.end(payload);
      }),
    );
  }
  await Promise.all(inFlight);
  agent.destroy();
  return run;
}

function startFloor(connectionString: string): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'support', 'floorServer.ts'), connectionString], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => resolve({ url: d.toString().trim(), stop: () => child.kill() }));
    child.once('exit', (code) => reject(new Error(`floor server exited with ${code}`)));
  });
}

async function main() {
  const app = await startApp(ingest === 'off' ? { env: { 'AzureWebJobs.processRegistryEvent.Disabled': 'true' } } : {});
  const floor = await startFloor(app.connectionString);
  try {
    const image = makeImage({ layers: [4096] });
    const pushed = await pushImage(app.registry.url, 'bench/app', image, { tag: 'base' });
    let n = 0;
    const event = () =>
      JSON.stringify({
        id: `bench-${n}-${Date.now()}`,
        timestamp: new Date().toISOString(),
        action: 'push',
        target: {
          mediaType: pushed.mediaType,
          size: pushed.manifestSize,
          digest: pushed.digest,
          length: pushed.manifestSize,
          repository: 'bench/app',
          tag: `t${n++}`,
        },
        request: { id: `r${n}`, host: app.proxy.loginServer, method: 'PUT', useragent: 'bench' },
      });
    const targets = [
      { name: 'service POST /api/webhooks/acr', url: `${app.host.url}/api/webhooks/acr` },
      { name: 'bare Node handler + 1 enqueue (own process)', url: floor.url },
    ];
    for (const t of targets) await openLoop(t.url, event, 2);

    const runs = new Map<string, Run[]>(targets.map((t) => [t.name, []]));
    for (let r = 0; r < rounds; r++) for (const t of targets) runs.get(t.name)!.push(await openLoop(t.url, event, seconds));

    console.log(
      `\nWebhook acknowledgement latency, ${rate} req/s, ${rounds} alternating rounds of ${seconds} s after 2 s of warm-up each (open loop), Azurite queue, same machine, queue trigger ${ingest === 'on' ? 'ingesting the events meanwhile' : 'disabled'}:`,
    );
    const rows = targets.map((t) => {
      const all = runs.get(t.name)!;
      const latencies = all.flatMap((x) => x.latencies);
      return summarize(t.name, latencies, {
        errors: all.reduce((s, x) => s + x.errors, 0),
        non_202: all.reduce(
          (s, x) =>
            s +
            Object.entries(x.statuses)
              .filter(([k]) => k !== '202')
              .reduce((a, [, v]) => a + v, 0),
          0,
        ),
        p99_per_round: all.map((x) => Math.round(percentile(x.latencies, 99))).join(' / '),
      });
    });
    console.table(rows);
    for (const t of targets)
      console.log(
        `${t.name}: worst latency per second of sending (ms): ${runs
          .get(t.name)!
          .map((x) => x.worstPerSecond.map(Math.round).join(' '))
          .join(' | ')}`,
      );
    const [service, bare] = rows;
    console.log(`p99 service / floor: ${(service!.p99_ms / bare!.p99_ms).toFixed(2)}`);
  } finally {
    floor.stop();
    await app.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
