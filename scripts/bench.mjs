#!/usr/bin/env node
// `npm run bench -- <name> [args]` runs bench/<name>.ts with the test CA trusted;
// without a name it runs every benchmark. Figures are printed, never asserted.
import fs from 'node:fs';
import path from 'node:path';
import { ensurePrerequisites, ensureTls, fail, root, run, tlsEnv } from './prerequisites.mjs';

ensurePrerequisites();
ensureTls();
if (run('npm', ['run', 'build']) !== 0) fail('"npm run build" failed');

const [name, ...args] = process.argv.slice(2);
const all = fs
  .readdirSync(path.join(root, 'bench'))
  .filter((f) => f.endsWith('.ts') && f !== 'stats.ts')
  .map((f) => f.replace(/\.ts$/, ''));
const selected = name ? [name] : all;
for (const bench of selected) {
  if (!all.includes(bench)) fail(`no benchmark "${bench}"; available: ${all.join(', ')}`);
  console.log(`\n=== ${bench} ===`);
  const code = run(process.execPath, ['--import', 'tsx', path.join('bench', `${bench}.ts`), ...(name ? args : [])], { env: { ...process.env, ...tlsEnv() } });
  if (code !== 0) fail(`benchmark ${bench} failed`);
}
