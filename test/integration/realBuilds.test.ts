/**
 * Images built as a team builds them (buildah from a Dockerfile), pushed to the real
 * registry: a squashed build's one layer is never blamed on CMD (issue 8.19), and the same
 * COPY line is one step across builds although the builder stamps it with a content hash
 * (issue 8.20).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type AppUnderTest } from './support/app';
import { startBuilder, type Builder } from './support/buildah';
import { waitFor } from './support/wait';

let app: AppUnderTest;
let builder: Builder;
beforeAll(async () => {
  [app, builder] = await Promise.all([startApp(), startBuilder()]);
});
afterAll(async () => {
  await builder?.cleanup();
  await app?.stop();
});

const DOCKERFILE = [
  'FROM scratch',
  'COPY greeter /usr/local/bin/greeter',
  'COPY motd.txt /etc/motd',
  'ENV GREETING=hello',
  'CMD ["/usr/local/bin/greeter"]',
  '',
].join('\n');

async function pushAndIngest(repository: string, tag: string, name: string, timestamp: string) {
  const digest = await builder.push(name, app.registry.loginServer, repository, tag);
  expect((await app.acrPush({ repository, digest, tag, timestamp, id: `${repository}-${tag}` })).status).toBe(202);
  await app.host.waitForLog(new RegExp(`\\(event ${repository}-${tag}\\): ok`), 20_000);
  return digest;
}

describe('real buildah builds', () => {
  it('attributes a squashed layer to the COPY steps it holds, not to CMD', async () => {
    await builder.build('localhost/squashed:v1', DOCKERFILE, { greeter: randomBytes(300_000), 'motd.txt': 'hi\n' });
    const digest = await pushAndIngest('real/squashed', 'v1', 'localhost/squashed:v1', new Date(Date.now() - 3 * 3_600_000).toISOString());
    const image = await app.get('/api/image', { registry: app.proxy.loginServer, repository: 'real/squashed', digest });
    const [platform] = image.json.platforms;
    expect(platform.history).toBe('matched');
    expect(platform.layers).toHaveLength(1);
    expect(platform.layers[0]).toMatchObject({
      createdBy: 'COPY file in /usr/local/bin/greeter + COPY file in /etc/motd',
      steps: ['COPY file in /usr/local/bin/greeter', 'COPY file in /etc/motd'],
    });
    expect(JSON.stringify(platform.layers)).not.toContain('CMD');
  });

  it('pairs the same COPY line across two builds as one changed step, without the content hash', async () => {
    const files = (size: number) => ({ greeter: randomBytes(size), 'motd.txt': 'same motd\n' });
    await builder.build('localhost/layered:v1', DOCKERFILE, files(200_000), { layers: true });
    await builder.build('localhost/layered:v2', DOCKERFILE, files(500_000), { layers: true });
    const v1 = await pushAndIngest('real/layered', 'v1', 'localhost/layered:v1', new Date(Date.now() - 2 * 3_600_000).toISOString());
    const v2 = await pushAndIngest('real/layered', 'v2', 'localhost/layered:v2', new Date(Date.now() - 1 * 3_600_000).toISOString());
    const compare = await app.get('/api/compare', { registry: app.proxy.loginServer, repository: 'real/layered', from: v1, to: v2 });
    expect(compare.status).toBe(200);
    // Paired step for step; the motd layer's digest differs too (buildah stamps file times), by a few bytes.
    const steps = compare.json.steps.map((s: { step: string; change: string }) => [s.step, s.change]);
    expect(steps).toEqual([
      ['COPY file in /usr/local/bin/greeter', 'changed'],
      ['COPY file in /etc/motd', 'changed'],
    ]);
    expect(Math.abs(compare.json.steps[1].deltaBytes)).toBeLessThan(100);
    const grown = compare.json.steps[0];
    expect(grown.deltaBytes).toBeGreaterThan(290_000);
    expect(JSON.stringify(compare.json)).not.toMatch(/file:[0-9a-f]{64}/);
  });
});

describe('what is inside a real buildah build', () => {
  it('reads the layers buildah wrote: a file copied over by a later step is wasted, on-disk bytes are the final files', async () => {
    const dockerfile = ['FROM scratch', 'COPY big.bin /srv/data.bin', 'COPY small.bin /srv/data.bin', 'COPY motd.txt /etc/motd', ''].join('\n');
    await builder.build(
      'localhost/overwrite:v1',
      dockerfile,
      { 'big.bin': randomBytes(300_000), 'small.bin': randomBytes(1_000), 'motd.txt': 'ten bytes\n' },
      { layers: true },
    );
    const digest = await pushAndIngest('real/overwrite', 'v1', 'localhost/overwrite:v1', new Date(Date.now() - 3_600_000).toISOString());
    const content = await waitFor(
      async () => {
        const res = await app.get('/api/image', { registry: app.proxy.loginServer, repository: 'real/overwrite', digest });
        const c = res.json?.platforms?.[0]?.content;
        return c?.status === 'done' ? c : undefined;
      },
      { timeoutMs: 30_000, message: 'the content of the buildah image' },
    );
    expect(content).toMatchObject({ complete: true, onDiskBytes: 1_010, wastedBytes: 300_000, findings: [], diffIdMismatches: [] });
    // dive: srv/data.bin seen at 300,000 then 1,000 bytes, etc/motd at 10.
    expect(content.efficiency).toBeCloseTo((1_000 + 10) / (301_000 + 10), 10);
    expect(content.topWasted).toEqual([{ path: 'srv/data.bin', bytes: 300_000, layer: 0, by: 'replaced', byLayer: 1 }]);
    expect(content.layers.map((l: { step?: string }) => l.step)).toEqual([
      'COPY file in /srv/data.bin',
      'COPY file in /srv/data.bin',
      'COPY file in /etc/motd',
    ]);
  });
});
