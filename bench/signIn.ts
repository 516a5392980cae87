/**
 * What Entra ID sign-in costs a read: the token check alone (EntraTokens.verify on a
 * token of a stand-in tenant, its keys fetched once, in this process), and a read API end
 * to end on the local host with sign-in off and on (GET /api/trend of one image, closed
 * loop, one request at a time, in alternating rounds so neither app gets a warmer
 * machine), so the difference of the medians is what a signed-in person pays per request.
 *
 *   npm run bench -- signIn [verifications=5000] [requests=300] [rounds=2]
 */
import http from 'node:http';
import { EntraTokens } from '../src/adapters/entraTokens';
import { startApp, type AppUnderTest } from '../test/integration/support/app';
import { startEntraStandIn } from '../test/integration/support/entraStandIn';
import { makeImage, pushImage } from '../test/integration/support/images';
import { waitFor } from '../test/integration/support/wait';
import { percentile, summarize } from './stats';

const verifications = Number(process.argv[2] ?? 5000);
const requests = Number(process.argv[3] ?? 300);
const rounds = Number(process.argv[4] ?? 2);
const REPOSITORY = 'bench/signed-in';

async function seeded(env: Record<string, string>, headers: Record<string, string>): Promise<{ app: AppUnderTest; url: URL }> {
  const app = await startApp({ env: { ...env, LAYER_ANALYSIS: 'false' }, contractHeaders: async () => headers });
  const pushed = await pushImage(app.registry.url, REPOSITORY, makeImage({ layers: [32 * 1024] }), { tag: 'v1' });
  await app.acrPush({ repository: REPOSITORY, digest: pushed.digest, tag: 'v1' });
  const url = new URL(`${app.host.url}/api/trend?registry=${app.proxy.loginServer}&repository=${REPOSITORY}`);
  await waitFor(async () => (await app.get('/api/trend', { registry: app.proxy.loginServer, repository: REPOSITORY }, headers)).json?.points?.length === 1, {
    timeoutMs: 30_000,
    message: 'the push in the trend',
  });
  return { app, url };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function get(url: URL, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    http
      .get(url, { agent, headers }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - t0) : reject(new Error(`${url.pathname} answered ${res.statusCode}`))));
      })
      .on('error', reject);
  });
}

async function main(): Promise<void> {
  const idp = await startEntraStandIn();
  const token = await idp.mint();

  // The check alone.
  const tokens = new EntraTokens({ authorityHost: idp.authorityHost, tenantId: idp.tenantId, clientId: idp.clientId, scope: 'access_as_user' });
  await tokens.verify(token);
  const checks: number[] = [];
  for (let i = 0; i < verifications; i++) {
    const t0 = performance.now();
    await tokens.verify(token);
    checks.push(performance.now() - t0);
  }
  console.log(
    JSON.stringify({
      target: 'EntraTokens.verify (RS256, keys cached)',
      n: checks.length,
      p50_us: Math.round(percentile(checks, 50) * 1000),
      p99_us: Math.round(percentile(checks, 99) * 1000),
      keyFetches: idp.requests.filter((r) => r.path.endsWith('/keys')).length,
    }),
  );

  const bearer = { authorization: `Bearer ${token}` };
  const off = await seeded({}, {});
  const on = await seeded({ ENTRA_TENANT_ID: idp.tenantId, ENTRA_CLIENT_ID: idp.clientId, ENTRA_AUTHORITY_HOST: idp.authorityHost }, bearer);
  const times = { off: [] as number[], on: [] as number[] };
  try {
    for (const [target, headers] of [
      [off, {}],
      [on, bearer],
    ] as const) {
      for (let i = 0; i < 30; i++) await get(target.url, headers);
    }
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < requests; i++) times.off.push(await get(off.url, {}));
      for (let i = 0; i < requests; i++) times.on.push(await get(on.url, bearer));
    }
    console.log(JSON.stringify(summarize('GET /api/trend, sign-in off', times.off)));
    console.log(JSON.stringify(summarize('GET /api/trend, sign-in on', times.on)));
    console.log(
      JSON.stringify({
        signInCostPerRequest_ms: Number((percentile(times.on, 50) - percentile(times.off, 50)).toFixed(2)),
        ratio_p50: Number((percentile(times.on, 50) / percentile(times.off, 50)).toFixed(3)),
      }),
    );
  } finally {
    agent.destroy();
    await Promise.all([off.app.stop(), on.app.stop()]);
    await idp.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
