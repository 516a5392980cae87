/**
 * The deployment package (dist/deploy, built by `npm run build` through
 * scripts/build-deploy.mjs) is what azd uploads: these tests hold it to what Azure needs
 * and then run it, so what is deployed is what is tested, not only the tsc output the
 * other integration tests serve.
 */
import { builtinModules } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type AppUnderTest } from './support/app';
import { repoRoot } from './support/host';
import { makeImage, pushImage } from './support/images';

const ROOT = repoRoot();
const DEPLOY = path.join(ROOT, 'dist', 'deploy');

interface Metafile {
  inputs: Record<string, { bytes: number }>;
  outputs: Record<string, { imports: { path: string; external?: boolean }[] }>;
}

const rootPackage = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  devDependencies: Record<string, string>;
  engines: { node: string };
};
const meta = JSON.parse(fs.readFileSync(path.join(ROOT, 'dist', 'deploy.meta.json'), 'utf8')) as Metafile;
/** The packages whose files went into the bundle. */
const bundledPackages = new Set(Object.keys(meta.inputs).flatMap((f) => [...f.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)/g)].map((m) => m[1]!)));

describe('the deployment package', () => {
  it('holds the bundle, host.json, the dashboard pages and a package.json naming the bundle, with nothing to install', () => {
    expect(fs.readdirSync(DEPLOY).sort()).toEqual(['host.json', 'index.js', 'package.json', 'ui']);
    expect(fs.readdirSync(path.join(DEPLOY, 'ui')).sort()).toEqual(['index.html', 'reference.html']);
    expect(fs.readFileSync(path.join(DEPLOY, 'ui', 'index.html'), 'utf8')).toBe(fs.readFileSync(path.join(ROOT, 'dist', 'ui', 'index.html'), 'utf8'));
    const pkg = JSON.parse(fs.readFileSync(path.join(DEPLOY, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg.main).toBe('index.js');
    expect(pkg.engines).toEqual(rootPackage.engines);
    for (const key of ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies', 'scripts', 'workspaces'])
      expect(pkg, key).not.toHaveProperty(key);
    expect(fs.readFileSync(path.join(DEPLOY, 'host.json'), 'utf8')).toBe(fs.readFileSync(path.join(ROOT, 'host.json'), 'utf8'));
  });

  it('loads nothing at run time but Node built-ins and the module the Functions worker provides', () => {
    const externals = new Set(Object.values(meta.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path)));
    const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    expect([...externals].filter((m) => !builtins.has(m))).toEqual(['@azure/functions-core']);
  });

  it('bundles no browser-only or dev-only package', () => {
    // @azure/identity depends on @azure/msal-browser for its browser build; the Node code never requires it.
    expect(bundledPackages).not.toContain('@azure/msal-browser');
    expect([...bundledPackages].filter((p) => p in rootPackage.devDependencies)).toEqual([]);
    expect(bundledPackages).toContain('@azure/identity');
    expect(bundledPackages).toContain('@azure/msal-node');
  });
});

describe('the deployment package served by the local host', () => {
  let app: AppUnderTest;
  beforeAll(async () => {
    app = await startApp({ appDir: DEPLOY });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('registers every function the tsc build registers', () => {
    const listed = (logs: string) => [...logs.matchAll(/^\t(\w+): /gm)].map((m) => m[1]!).sort();
    const bundled = listed(app.host.logs());
    expect(bundled.length).toBeGreaterThan(10);
    const sources = fs
      .readdirSync(path.join(ROOT, 'src', 'functions'))
      .flatMap((f) =>
        [...fs.readFileSync(path.join(ROOT, 'src', 'functions', f), 'utf8').matchAll(/(?:app\.\w+|registerReadApi)\(\s*'(\w+)'/g)].map((m) => m[1]!),
      );
    expect(bundled).toEqual([...sources].sort());
  });

  it('acknowledges a webhook and ingests the push end to end', async () => {
    const pushed = await pushImage(app.registry.url, 'deploy/app', makeImage({ layers: [2048, 4096] }), { tag: 'v1' });
    const res = await app.acrPush({ repository: 'deploy/app', digest: pushed.digest, tag: 'v1', mediaType: pushed.mediaType });
    expect(res.status).toBe(202);
    const [point] = await app.waitForPoints('deploy/app', 1);
    expect(point!.digest).toBe(pushed.digest);
    expect(point!.sizeBytes).toBeGreaterThan(6144);
  });

  it('serves the dashboard from ui/ beside the bundle', async () => {
    const res = await app.get('/api/ui', { view: 'repository', registry: app.proxy.loginServer, repository: 'deploy/app' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body.toString('utf8')).toBe(fs.readFileSync(path.join(DEPLOY, 'ui', 'index.html'), 'utf8'));
  });
});
