#!/usr/bin/env node
// The deployment package, dist/deploy/: the app bundled into one file with every
// dependency it loads, plus host.json, the dashboard's pages (ui/) and a package.json
// whose `main` names the bundle.
// azd uploads this directory as it is (azure.yaml `dist`), so nothing is installed or
// built in Azure. It bundles tsc's output (dist/src), the same JavaScript the tests run.
//
// A cold start then reads one file instead of hundreds: Microsoft's TypeScript build
// guidance says a large dependency set slows cold starts because each file is loaded
// on its own, and recommends bundling with esbuild or webpack
// (https://learn.microsoft.com/azure/azure-functions/typescript-build-options).
//
//   node scripts/build-deploy.mjs     (run by `npm run build`, after tsc)
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist', 'deploy');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });

const result = await build({
  absWorkingDir: root,
  entryPoints: [path.join(root, pkg.main)],
  outfile: path.join(out, 'index.js'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: `node${/(\d+)/.exec(pkg.engines.node)[1]}`,
  // The Functions Node worker provides this module to the library at run time.
  external: ['@azure/functions-core'],
  // Names and layout kept: a stack trace in Application Insights stays readable.
  minify: false,
  legalComments: 'eof',
  metafile: true,
  logLevel: 'warning',
});
if (result.warnings.length > 0) {
  // A warning here is a dynamic require or a missing file: what the bundle would fail on in Azure.
  console.error(`build-deploy: ${result.warnings.length} esbuild warning(s); the bundle must load without them`);
  process.exit(1);
}

fs.copyFileSync(path.join(root, 'host.json'), path.join(out, 'host.json'));
// The dashboard's pages, which src/functions/ui.ts looks for in ui/ beside index.js.
const ui = path.join(root, 'dist', 'ui');
if (!fs.existsSync(path.join(ui, 'index.html'))) {
  console.error('build-deploy: dist/ui/index.html is missing; run scripts/build-ui.mjs first (npm run build does)');
  process.exit(1);
}
fs.cpSync(ui, path.join(out, 'ui'), { recursive: true });
const deployPkg = {
  name: pkg.name,
  version: pkg.version,
  private: true,
  description: `${pkg.name} deployment package, built by scripts/build-deploy.mjs; every dependency is in index.js`,
  license: pkg.license,
  main: 'index.js',
  engines: pkg.engines,
};
fs.writeFileSync(path.join(out, 'package.json'), `${JSON.stringify(deployPkg, null, 2)}\n`);
// Beside the package, not in it: what went into the bundle, for the tests and the benchmark.
fs.writeFileSync(path.join(root, 'dist', 'deploy.meta.json'), JSON.stringify(result.metafile));
