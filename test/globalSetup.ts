import fs from 'node:fs';
import path from 'node:path';

/**
 * Integration tests speak verified HTTPS to a local registry whose CA must be in
 * NODE_EXTRA_CA_CERTS when each Node process starts, so running vitest directly
 * cannot work. Fail loudly instead of letting TLS errors surface test by test.
 */
export default function setup(): void {
  const hint =
    'run the tests with `npm test` (node scripts/test.mjs), which sets NODE_EXTRA_CA_CERTS and TEST_TLS_DIR ' +
    'to a generated test CA before vitest starts; extra vitest arguments go after `--`, ' +
    'e.g. `npm test -- test/integration/harness.test.ts`';
  const caFile = process.env.NODE_EXTRA_CA_CERTS;
  const tlsDir = process.env.TEST_TLS_DIR;
  if (!caFile || !tlsDir) {
    throw new Error(`NODE_EXTRA_CA_CERTS and TEST_TLS_DIR must be set: ${hint}`);
  }
  const missing = [caFile, ...['ca.crt', 'server.crt', 'server.key'].map((f) => path.join(tlsDir, f))].filter((f) => !fs.existsSync(f));
  if (missing.length > 0) {
    throw new Error(`test TLS files are missing (${missing.join(', ')}): ${hint}`);
  }
}
