// Prerequisites shared by `npm test` and `npm run bench`: the binaries the suites
// spawn, and the generated test CA that Node trusts through NODE_EXTRA_CA_CERTS.
// A missing prerequisite is always a failure, never a skipped test.
import { spawnSync } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const isCI = /^(1|true|yes)$/i.test(process.env.CI ?? '');

/** Binaries the test suite spawns, and the Debian package that provides each. */
const PREREQUISITES = [
  { binary: 'docker-registry', debianPackage: 'docker-registry', why: 'real OCI registry (CNCF Distribution) for integration tests' },
  { binary: 'chromium', debianPackage: 'chromium', why: 'headless browser for rendering tests' },
  { binary: 'buildah', debianPackage: 'buildah', why: 'builds real images from Dockerfiles for integration tests' },
  { binary: 'zstd', debianPackage: 'zstd', why: 'compresses real zstd layers for the layer analysis tests' },
];

export const TLS_DIR = path.join(root, '.cache', 'test-tls');
// Regenerate well before expiry so a long test run never straddles it.
const MIN_REMAINING_MS = 7 * 24 * 3600 * 1000;
const CERT_DAYS = 365;

export function fail(message) {
  console.error(`\n[test] ERROR: ${message}\n`);
  process.exit(1);
}

/** The executable `binary` on PATH, or undefined. */
export function which(binary) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, binary);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not in this PATH entry
    }
  }
  return undefined;
}

export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.error) fail(`could not run ${cmd}: ${r.error.message}`);
  return r.status ?? 1;
}

export function ensurePrerequisites() {
  let missing = PREREQUISITES.filter((p) => !which(p.binary));
  if (missing.length === 0) return;

  const packages = [...new Set(missing.map((p) => p.debianPackage))];
  const list = missing.map((p) => `  - ${p.binary} (Debian package "${p.debianPackage}"): ${p.why}`).join('\n');
  const installCmd = `sudo apt-get update && sudo apt-get install -y ${packages.join(' ')}`;
  const ciNote = isCI ? '\nCI never skips integration tests: install them in the CI script (.ci/run).' : '';

  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    fail(`missing test prerequisites:\n${list}\n\nInstall them with:\n  ${installCmd}${ciNote}`);
  }

  console.log(`[test] installing missing prerequisites: ${packages.join(', ')}`);
  if (run('apt-get', ['update']) !== 0) fail(`"apt-get update" failed; install manually:\n  ${installCmd}${ciNote}`);
  if (run('apt-get', ['install', '-y', ...packages], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }) !== 0) {
    fail(`"apt-get install -y ${packages.join(' ')}" failed${ciNote}`);
  }
  missing = PREREQUISITES.filter((p) => !which(p.binary));
  if (missing.length > 0) {
    fail(`still missing after install: ${missing.map((p) => p.binary).join(', ')}${ciNote}`);
  }
}

/** True when the cached CA and server cert exist, match their keys, chain, and are not about to expire. */
function tlsIsUsable(dir) {
  try {
    const ca = new X509Certificate(fs.readFileSync(path.join(dir, 'ca.crt')));
    const server = new X509Certificate(fs.readFileSync(path.join(dir, 'server.crt')));
    const serverKey = createPrivateKey(fs.readFileSync(path.join(dir, 'server.key')));
    createPrivateKey(fs.readFileSync(path.join(dir, 'ca.key')));
    const deadline = Date.now() + MIN_REMAINING_MS;
    return (
      new Date(ca.validTo).getTime() > deadline &&
      new Date(server.validTo).getTime() > deadline &&
      server.checkIssued(ca) &&
      server.verify(ca.publicKey) &&
      server.checkPrivateKey(serverKey) &&
      server.checkHost('localhost') !== undefined &&
      server.checkIP('127.0.0.1') !== undefined
    );
  } catch {
    return false;
  }
}

function generateTls(dir) {
  // Build in a scratch dir and rename, so concurrent runs never see half-written files.
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const tmp = fs.mkdtempSync(path.join(path.dirname(dir), 'test-tls-tmp-'));
  const openssl = (...args) => {
    const r = spawnSync('openssl', args, { cwd: tmp, encoding: 'utf8' });
    if (r.error) fail(`openssl is required to generate test TLS certificates: ${r.error.message}`);
    if (r.status !== 0) fail(`openssl ${args.join(' ')} failed:\n${r.stderr}`);
  };
  fs.writeFileSync(
    path.join(tmp, 'server.ext'),
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid,issuer',
      '',
    ].join('\n'),
  );
  // P-256 keys: accepted by both Go's crypto/tls (Distribution) and Node/OpenSSL 3.
  openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key');
  openssl(
    'req',
    '-x509',
    '-new',
    '-key',
    'ca.key',
    '-sha256',
    '-days',
    String(CERT_DAYS),
    '-subj',
    '/CN=acr-size-tracker test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE,pathlen:0',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-out',
    'ca.crt',
  );
  openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'server.key');
  openssl('req', '-new', '-key', 'server.key', '-subj', '/CN=localhost', '-out', 'server.csr');
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-sha256',
    '-days',
    String(CERT_DAYS),
    '-extfile',
    'server.ext',
    '-out',
    'server.crt',
  );
  for (const f of ['ca.key', 'server.key']) fs.chmodSync(path.join(tmp, f), 0o600);
  fs.chmodSync(tmp, 0o755); // mkdtemp makes it 0700; the CA cert must stay readable
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
  if (!tlsIsUsable(dir)) fail(`generated TLS material in ${dir} failed validation`);
}

export function ensureTls() {
  if (tlsIsUsable(TLS_DIR)) return;
  console.log(`[test] generating test CA and localhost certificate in ${path.relative(root, TLS_DIR)}/`);
  try {
    generateTls(TLS_DIR);
  } catch (err) {
    fail(`cannot write test TLS material to ${TLS_DIR}: ${err.message}`);
  }
}

/** Environment for processes that must trust the test CA (Node reads it only at start-up). */
export function tlsEnv() {
  return { NODE_EXTRA_CA_CERTS: path.join(TLS_DIR, 'ca.crt'), TEST_TLS_DIR: TLS_DIR };
}
