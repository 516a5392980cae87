#!/usr/bin/env node
// `npm run start:func [-- func start args]`: the app under Azure Functions Core Tools instead
// of the project's own local host, for machines where Core Tools can be installed. It reads
// the same local.settings.json and host.json; unlike `npm start` it does not start Azurite.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { which } from './prerequisites.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function fail(message) {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

// Windows installs Core Tools as func.cmd or func.exe.
const func = (process.platform === 'win32' ? ['func.cmd', 'func.exe'] : ['func']).map(which).find(Boolean);
if (!func) {
  fail(
    'Azure Functions Core Tools (func) is not installed, or not on PATH, so "npm run start:func" cannot run the app under it.\n' +
      'Use "npm start": it runs the app with the project\'s own local host (packages/local-host), Azurite included.',
  );
}

const build = spawnSync('npm', ['run', 'build'], { stdio: 'inherit', cwd: root, shell: process.platform === 'win32' });
if (build.status !== 0) fail('"npm run build" failed; fix the errors above');

const child = spawn(func, ['start', ...process.argv.slice(2)], { stdio: 'inherit', cwd: root, shell: process.platform === 'win32' });
// Ctrl+C reaches func directly (same process group): wait for it to stop rather than exit first.
process.on('SIGINT', () => {});
// A SIGTERM sent to this process alone (a supervisor, a script) is passed on.
process.on('SIGTERM', () => child.kill('SIGTERM'));
child.on('error', (err) => fail(`could not start ${func}: ${err.message}`));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
