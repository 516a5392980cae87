/**
 * Cold start of the compiled app, before and after bundling, as far as this machine can
 * show it: the local host (packages/local-host, the same load path as the Functions Node
 * worker: `require` of package.json `main`) started on
 *
 * - the tsc output with node_modules (dist/src/index.js): what the remote build served
 *   before (it uploaded the sources, ran `npm install` with dev dependencies and tsc);
 * - the deployment package dist/deploy (one esbuild bundle): what azd uploads now;
 *
 * and a bare `node:http` server as the floor. For each: time from spawn to the first 200
 * of a GET on an app function (median of several runs), then the files and bytes of
 * JavaScript loading the app reads, the production dependency tree (`npm ci --omit=dev`
 * in a temporary copy) and what each design puts on the instance.
 *
 *   npm run bench -- coldStart [runs=5]
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { startTestAzurite } from '../test/integration/support/azurite';
import { SECRET } from '../test/integration/support/app';
import { repoRoot } from '../test/integration/support/host';
import { freePort } from '../test/integration/support/wait';

const runs = Number(process.argv[2] ?? 5);
const ROOT = repoRoot();
const HOST = path.join(ROOT, 'packages', 'local-host', 'dist', 'main.js');
const REGISTRY = 'coldstart.example.azurecr.io';
const MiB = 1024 * 1024;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function get(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
  });
}

/** Spawns `args` and polls `pathname` until it answers 200; the time from spawn, in ms. */
async function toFirstAnswer(args: string[], cwd: string, env: Record<string, string>, pathname: string): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env, PORT: String(port) }, stdio: 'ignore' });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited with ${child.exitCode} before answering`);
      if ((await get(`http://127.0.0.1:${port}${pathname}`)) === 200) return performance.now() - started;
      if (performance.now() - started > 30_000) throw new Error(`${args.join(' ')} did not answer ${pathname} within 30 s`);
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
  }
}

/**
 * Loads the app in a fresh process through the functions-core stand-in alone, as the
 * Functions worker would: the local host's own modules (which import @azure/functions,
 * @azure/identity and @azure/storage-queue themselves) would otherwise be in the require
 * cache already and flatter the unbundled app. `process_ms` is spawn to exit.
 */
function appLoad(entry: string, env: Record<string, string>): { ms: number; files: number; bytes: number; functions: number; process_ms: number } {
  const script = `
    const fs = require('node:fs');
    const core = require(${JSON.stringify(path.join(ROOT, 'packages', 'local-host', 'dist', 'functionsCore.js'))});
    const registry = new core.FunctionRegistry(() => {});
    core.installFunctionsCore();
    core.activateRegistry(registry);
    const before = new Set(Object.keys(require.cache));
    const t = performance.now();
    require(${JSON.stringify(entry)});
    const ms = performance.now() - t;
    const files = Object.keys(require.cache).filter((f) => !before.has(f));
    const bytes = files.reduce((s, f) => s + fs.statSync(f).size, 0);
    process.stdout.write(JSON.stringify({ ms, files: files.length, bytes, functions: registry.functions.length }));
    process.exit(0);`;
  const started = performance.now();
  const out = execFileSync(process.execPath, ['-e', script], { cwd: path.dirname(entry), env: { ...process.env, ...env }, encoding: 'utf8' });
  return { ...(JSON.parse(out) as { ms: number; files: number; bytes: number; functions: number }), process_ms: performance.now() - started };
}

/** The median run of `appLoad` by process time. */
function medianLoad(entry: string, env: Record<string, string>): ReturnType<typeof appLoad> {
  const all = Array.from({ length: runs }, () => appLoad(entry, env)).sort((a, b) => a.process_ms - b.process_ms);
  return all[Math.floor(all.length / 2)]!;
}

/** Every file under `dir` (symbolic links not followed), with the package directories among them. */
function walk(dir: string): { files: number; bytes: number; packages: number } {
  let files = 0;
  let bytes = 0;
  let packages = 0;
  const visit = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (path.basename(path.dirname(p)) === 'node_modules' || path.basename(path.dirname(path.dirname(p))) === 'node_modules') {
          if (fs.existsSync(path.join(p, 'package.json'))) packages++;
        }
        visit(p);
      } else if (e.isFile()) {
        files++;
        bytes += fs.statSync(p).size;
      }
    }
  };
  if (fs.existsSync(dir)) visit(dir);
  return { files, bytes, packages };
}

/** `npm ci --omit=dev` of this package.json and lockfile in a temporary directory. */
function productionTree(): { packages: number; bytes: number; files: number; msalBrowser: boolean } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acrsize-prod-'));
  try {
    for (const f of ['package.json', 'package-lock.json', path.join('packages', 'local-host', 'package.json')]) {
      fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
    }
    execFileSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: dir,
      stdio: 'ignore',
    });
    const tree = walk(path.join(dir, 'node_modules'));
    return { ...tree, msalBrowser: fs.existsSync(path.join(dir, 'node_modules', '@azure', 'msal-browser')) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** What the remote build uploaded: the tracked files its .funcignore kept (tests, benchmarks, docs, infra and tooling left out). */
function remoteBuildUpload(): { files: number; bytes: number } {
  const excluded =
    /^(test|bench|scripts|docs|infra|\.ci|\.github|packages\/[^/]+\/test)\/|\.md$|^(local\.settings.*\.json|tsconfig\.check\.json|vitest\.config\.mts|azure\.yaml|\.gitignore)$/;
  const tracked = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((f) => f && !excluded.test(f) && fs.existsSync(path.join(ROOT, f)));
  return { files: tracked.length, bytes: tracked.reduce((s, f) => s + fs.statSync(path.join(ROOT, f)).size, 0) };
}

async function main() {
  const deploy = path.join(ROOT, 'dist', 'deploy');
  if (!fs.existsSync(path.join(deploy, 'index.js'))) throw new Error('dist/deploy/index.js is missing: `npm run build` makes it');
  const azurite = await startTestAzurite();
  try {
    const env = { AzureWebJobsStorage: azurite.connectionString, WEBHOOK_SECRET: SECRET, ALLOWED_REGISTRIES: REGISTRY };
    const floor = `require('node:http').createServer((q, s) => s.end('{}')).listen(Number(process.env.PORT), '127.0.0.1')`;
    const targets = [
      { name: 'tsc output + node_modules (remote build, before)', args: [HOST], cwd: ROOT, pathname: `/api/failures?registry=${REGISTRY}` },
      { name: 'dist/deploy bundle (after)', args: [HOST], cwd: deploy, pathname: `/api/failures?registry=${REGISTRY}` },
      { name: 'bare node:http (floor)', args: ['-e', floor], cwd: ROOT, pathname: '/' },
    ];
    // One run each first: the page cache then holds every file, as it would for a warm instance's second start; what differs is the work of loading them.
    for (const t of targets) await toFirstAnswer(t.args, t.cwd, env, t.pathname);
    const times = new Map(targets.map((t) => [t.name, [] as number[]]));
    for (let r = 0; r < runs; r++) for (const t of targets) times.get(t.name)!.push(await toFirstAnswer(t.args, t.cwd, env, t.pathname));

    const tscLoad = medianLoad(path.join(ROOT, 'dist', 'src', 'index.js'), env);
    const bundleLoad = medianLoad(path.join(deploy, 'index.js'), env);
    console.log(
      `\nSpawn to the first 200 of a GET (an app function, /api/failures, on Azurite; the floor answers /), ${runs} alternating runs after one warm-up each:`,
    );
    console.table(
      targets.map((t) => {
        const xs = times.get(t.name)!;
        const load = t.cwd === ROOT && t.args[0] === HOST ? tscLoad : t.cwd === deploy ? bundleLoad : undefined;
        return {
          target: t.name,
          median_ms: Math.round(median(xs)),
          min_ms: Math.round(Math.min(...xs)),
          max_ms: Math.round(Math.max(...xs)),
          load_process_ms: load ? Math.round(load.process_ms) : '',
          require_ms: load ? Math.round(load.ms) : '',
          files_loaded: load?.files ?? '',
          js_loaded_MiB: load ? +(load.bytes / MiB).toFixed(2) : '',
          functions: load?.functions ?? '',
        };
      }),
    );

    const prod = productionTree();
    const full = walk(path.join(ROOT, 'node_modules'));
    const upload = remoteBuildUpload();
    const built = walk(path.join(ROOT, 'dist', 'src'));
    const pkg = walk(deploy);
    const zipped = fs.readdirSync(deploy).reduce((s, f) => s + zlib.deflateRawSync(fs.readFileSync(path.join(deploy, f)), { level: 6 }).length, 0);
    console.log('\nDependencies and what goes to Azure:');
    console.table([
      {
        what: 'npm ci --omit=dev (production tree)',
        packages: prod.packages,
        files: prod.files,
        MiB: +(prod.bytes / MiB).toFixed(1),
        note: prod.msalBrowser ? '@azure/msal-browser in it (a dependency of @azure/identity)' : '',
      },
      { what: 'npm ci (all; the remote build installed this)', packages: full.packages, files: full.files, MiB: +(full.bytes / MiB).toFixed(1), note: '' },
      {
        what: 'before: upload for the remote build',
        packages: '',
        files: upload.files,
        MiB: +(upload.bytes / MiB).toFixed(2),
        note: 'sources; the platform then ran npm install and tsc',
      },
      {
        what: 'before: on the instance after the remote build',
        packages: full.packages,
        files: upload.files + full.files + built.files,
        MiB: +((upload.bytes + full.bytes + built.bytes) / MiB).toFixed(1),
        note: 'sources + node_modules + dist',
      },
      {
        what: 'after: dist/deploy (uploaded and run as it is)',
        packages: 0,
        files: pkg.files,
        MiB: +(pkg.bytes / MiB).toFixed(2),
        note: `${(zipped / MiB).toFixed(2)} MiB deflated, as in the zip`,
      },
    ]);
    const before = median(times.get(targets[0]!.name)!);
    const after = median(times.get(targets[1]!.name)!);
    console.log(
      `spawn to first answer, before / after: ${(before / after).toFixed(2)}× (${Math.round(before)} → ${Math.round(after)} ms); loading the app alone, spawn to exit: ${Math.round(tscLoad.process_ms)} → ${Math.round(bundleLoad.process_ms)} ms; files the app loads: ${tscLoad.files} → ${bundleLoad.files}; on the instance: ${(
        (upload.bytes + full.bytes + built.bytes) /
        MiB
      ).toFixed(0)} MiB → ${(pkg.bytes / MiB).toFixed(1)} MiB`,
    );
  } finally {
    await azurite.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
