/**
 * Regression → Teams: time from the webhook of a regressing push to the alert arriving
 * at a local receiver standing in for Teams, with host.json's own queue polling.
 * ALERT_SETTLE_SECONDS is 0 here, so the figure is the pipeline's own latency (ingest,
 * evaluation queue, delivery queue); in production add the settle delay (30 s default).
 *
 *   npm run bench -- alertLatency [pushes=10]
 */
import { startApp } from '../test/integration/support/app';
import { makeImage, pushImage } from '../test/integration/support/images';
import { startReceiver } from '../test/integration/support/receiver';
import { summarize } from './stats';

const pushes = Number(process.argv[2] ?? 10);
const MiB = 1024 * 1024;

async function main() {
  const teams = await startReceiver();
  const app = await startApp({
    hostJsonQueueSettings: true,
    env: { TEAMS_WEBHOOK_URL: `${teams.url}/hook`, REGISTRY_MAX_RETRIES: '2', ALERT_SETTLE_SECONDS: '0' },
  });
  try {
    const latencies: number[] = [];
    const bytes: number[] = [];
    for (let i = 0; i < pushes; i++) {
      const repo = `bench/regress${i}`;
      const small = await pushImage(app.registry.url, repo, makeImage({ layers: [4 * MiB] }), { tag: 'v1' });
      await app.acrPush({ repository: repo, digest: small.digest, tag: 'v1', timestamp: new Date(Date.now() - 60_000).toISOString() });
      await app.waitForPoints(repo, 1);
      const big = await pushImage(app.registry.url, repo, makeImage({ layers: [4 * MiB, 12 * MiB] }), { tag: 'v2' });
      teams.reset();
      const sent = Date.now();
      await app.acrPush({ repository: repo, digest: big.digest, tag: 'v2' });
      const [alert] = await teams.waitForRequests(1, { timeoutMs: 30_000 });
      latencies.push(alert!.time - sent);
      bytes.push(Buffer.byteLength(alert!.body));
      await new Promise((r) => setTimeout(r, 300));
    }
    console.log('\nRegression alert latency (webhook sent → card received), host.json polling, ALERT_SETTLE_SECONDS=0:');
    console.table([summarize('push +12 MiB (+300%) → Teams card', latencies, { card_bytes: `${Math.min(...bytes)}–${Math.max(...bytes)}` })]);
  } finally {
    await app.stop();
    await teams.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
