#!/usr/bin/env node
// `npm test` = `node scripts/test.mjs [vitest args]`.
//
// This wrapper exists because the integration tests talk HTTPS to a real registry
// with a locally generated CA, and Node only reads NODE_EXTRA_CA_CERTS when a
// process starts: it has to be set before vitest (and every process vitest forks)
// is launched. TLS verification is never disabled.
import { spawn } from 'node:child_process';
import { ensurePrerequisites, ensureTls, fail, root, run, tlsEnv } from './prerequisites.mjs';

ensurePrerequisites();
ensureTls();

// Integration tests spawn the compiled local host (packages/local-host/dist/main.js).
if (run('npm', ['run', 'build']) !== 0) fail('"npm run build" failed; fix the TypeScript errors above');
// vitest strips types without checking them: check tests, benchmarks and scripts too.
if (run('npm', ['run', 'typecheck']) !== 0) fail('"npm run typecheck" failed; fix the TypeScript errors above');
// Lint, format and unused-code checks gate the tests, as they gate CI: zero findings.
if (run('npm', ['run', 'lint']) !== 0) fail('"npm run lint" failed: fix the findings above (`npm run format` rewrites formatting)');

const env = { ...process.env, ...tlsEnv() };
const vitest = spawn('npx', ['vitest', 'run', ...process.argv.slice(2)], { stdio: 'inherit', cwd: root, env });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => vitest.kill(sig));
vitest.on('error', (err) => fail(`could not start vitest: ${err.message}`));
vitest.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
