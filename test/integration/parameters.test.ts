/**
 * Query parameters of every read API are bounded (OCI distribution-spec lengths) and
 * digests checked strictly, so no key built from them can exceed Table Storage's 1 KiB
 * limit: an over-long value answers 400 naming the parameter, never 500.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type AppUnderTest } from './support/app';

let app: AppUnderTest;
beforeAll(async () => {
  app = await startApp();
});
afterAll(() => app?.stop());

const digest = 'sha256:' + 'a'.repeat(64);
const longRepository = Array.from({ length: 275 }, () => 'ab').join('/'); // 824 characters, 274 slashes
const repository1100 = 'a'.repeat(1100);

async function expectBadParameter(path: string, query: Record<string, string>, parameter: string, message: RegExp) {
  const res = await app.get(path, query);
  expect(res.status, `${path} ${parameter}: ${res.body.toString().slice(0, 300)}`).toBe(400);
  expect(res.json.problems).toContainEqual({ parameter, message: expect.stringMatching(message) });
  expect(res.json.error).toContain(parameter);
}

describe('read API parameters', () => {
  it('answer 400 naming a repository over 256 characters on every API that takes one', async () => {
    const registry = app.proxy.loginServer;
    for (const repository of [repository1100, longRepository]) {
      await expectBadParameter('/api/image', { registry, repository, digest }, 'repository', /at most 256/);
      await expectBadParameter('/api/compare', { registry, repository, from: digest, to: digest }, 'repository', /at most 256/);
      await expectBadParameter('/api/estimate', { registry, repository, digest }, 'repository', /at most 256/);
      await expectBadParameter('/api/trend', { registry, repository }, 'repository', /at most 256/);
      await expectBadParameter('/api/alerts', { registry, repository }, 'repository', /at most 256/);
      // The policy API has its own repository schema (names and globs), bounded the same.
      await expectBadParameter('/api/policy', { registry, repository }, 'repository', /256/);
    }
  });

  it('answer 400 naming a registry over 253 characters, or one that is not a login server', async () => {
    for (const registry of ['r'.repeat(1025), 'r'.repeat(16_000)]) {
      await expectBadParameter('/api/repositories', { registry }, 'registry', /at most 253/);
      await expectBadParameter('/api/storage', { registry }, 'registry', /at most 253/);
      await expectBadParameter('/api/trend', { registry, repository: 'team/app' }, 'registry', /at most 253/);
      await expectBadParameter('/api/policy', { registry }, 'registry', /at most 253/);
    }
    await expectBadParameter('/api/repositories', { registry: 'a/b|c' }, 'registry', /login server/);
  });

  it('answer 400 for an over-long tag, platform or continuation token', async () => {
    const registry = app.proxy.loginServer;
    await expectBadParameter('/api/trend', { registry, repository: 'team/app', tag: 't'.repeat(129) }, 'tag', /tag/);
    await expectBadParameter('/api/trend', { registry, repository: 'team/app', platform: `linux/${'a'.repeat(2000)}` }, 'platform', /at most/);
    const token = Buffer.from(JSON.stringify({ after: `p|${'x'.repeat(5000)}` })).toString('base64url');
    await expectBadParameter('/api/trend', { registry, repository: 'team/app', continuationToken: token }, 'continuationToken', /continuation token/);
  });

  it('answer 400 for digests that are not sha256 or sha512 with lower-case hex of the right length', async () => {
    const registry = app.proxy.loginServer;
    for (const bad of [
      'md5:' + 'a'.repeat(32),
      'a:b',
      'sha256:' + 'A'.repeat(64),
      'sha256:' + 'a'.repeat(63),
      'sha512:' + 'a'.repeat(64),
      'sha256:' + 'a'.repeat(3000),
    ]) {
      await expectBadParameter('/api/image', { registry, repository: 'team/app', digest: bad }, 'digest', /sha256/);
      await expectBadParameter('/api/compare', { registry, repository: 'team/app', from: digest, to: bad }, 'to', /sha256/);
      await expectBadParameter('/api/estimate', { registry, repository: 'team/app', digest, baseline: bad }, 'baseline', /sha256/);
    }
    const sha512 = 'sha512:' + 'b'.repeat(128);
    expect((await app.get('/api/image', { registry, repository: 'team/app', digest: sha512 })).status).toBe(404);
  });

  it('still answer 404 for a repository at the limits that is not tracked', async () => {
    const repository = Array.from({ length: 128 }, () => 'a')
      .join('/')
      .padEnd(256, 'b')
      .slice(0, 256)
      .replace(/\/$/, 'c');
    const registry = `${'r'.repeat(240)}.example`;
    for (const path of ['/api/image', '/api/estimate']) {
      const res = await app.get(path, { registry, repository, digest: 'sha512:' + 'c'.repeat(128) });
      expect(res.status, `${path}: ${res.body.toString().slice(0, 300)}`).toBe(404);
    }
    expect((await app.get('/api/trend', { registry, repository, platform: 'linux/arm64/v8', tag: 'T'.repeat(128) })).status).toBe(404);
    expect((await app.get('/api/repositories', { registry })).status).toBe(200);
  });
});
