import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request } from './http';
import { testTls } from './tls';
import { freePort, waitFor } from './wait';

export interface RegistryNotifications {
  /** Where Distribution POSTs event envelopes. */
  url: string;
  headers?: Record<string, string[]>;
  /** Events whose target has one of these media types are not sent. */
  ignoredMediaTypes?: string[];
}

export interface TestRegistry {
  /** "localhost:PORT", what a registry login server / image reference uses. */
  loginServer: string;
  /** "https://localhost:PORT" */
  url: string;
  port: number;
  /** Everything the registry wrote to stdout/stderr so far. */
  logs(): string;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
// Registries outlive a crashed test file otherwise.
process.once('exit', () => live.forEach((c) => c.kill('SIGKILL')));

/** YAML double-quoted scalars accept JSON string syntax, so no YAML library is needed. */
const q = (s: string) => JSON.stringify(s);

export interface RegistryOptions {
  notifications?: RegistryNotifications;
  /** A port chosen beforehand, when something must know the login server before the registry starts. */
  port?: number;
  /** Accept foreign layers (with `urls`) without holding their blobs, as Distribution allows when configured. */
  allowForeignLayers?: boolean;
}

function configYaml(port: number, storageDir: string, opts: RegistryOptions): string {
  const notifications = opts.notifications;
  const tls = testTls();
  const lines = [
    'version: 0.1',
    'log:',
    '  level: info',
    '  fields:',
    '    service: registry',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${q(storageDir)}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${q(`127.0.0.1:${port}`)}`,
    '  tls:',
    `    certificate: ${q(tls.serverCert)}`,
    `    key: ${q(tls.serverKey)}`,
  ];
  if (opts.allowForeignLayers) lines.push('validation:', '  manifests:', '    urls:', '      allow:', `        - ${q('^https?://')}`);
  if (notifications) {
    lines.push('notifications:', '  endpoints:', '    - name: "test-receiver"', `      url: ${q(notifications.url)}`);
    const headers = Object.entries(notifications.headers ?? {});
    if (headers.length > 0) {
      lines.push('      headers:');
      for (const [k, vs] of headers) lines.push(`        ${q(k)}: [${vs.map(q).join(', ')}]`);
    }
    lines.push('      timeout: 2s', '      threshold: 5', '      backoff: 1s');
    const ignored = notifications.ignoredMediaTypes ?? [];
    if (ignored.length > 0) lines.push(`      ignoredmediatypes: [${ignored.map(q).join(', ')}]`);
  }
  return lines.join('\n') + '\n';
}

async function startOnce(port: number, opts: RegistryOptions): Promise<TestRegistry> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'test-registry-'));
  const configPath = path.join(workDir, 'config.yml');
  fs.mkdirSync(path.join(workDir, 'storage'));
  fs.writeFileSync(configPath, configYaml(port, path.join(workDir, 'storage'), opts));

  // REGISTRY_* variables override the config file; don't let the caller's leak in.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REGISTRY_')));
  const child = spawn('docker-registry', ['serve', configPath], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exit = new Promise<void>((resolve) =>
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      live.delete(child);
      resolve();
    }),
  );
  let spawnError: Error | undefined;
  child.on('error', (err) => (spawnError = err));

  const url = `https://localhost:${port}`;
  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exit;
      clearTimeout(t);
    }
    fs.rmSync(workDir, { recursive: true, force: true });
  };

  try {
    const ready = await waitFor(
      async () => {
        if (spawnError || exited) return 'dead';
        const res = await request(`${url}/v2/`, { timeoutMs: 2_000 }).catch(() => undefined);
        return res?.status === 200 && 'ready';
      },
      { timeoutMs: 15_000, intervalMs: 50, message: `registry on ${url}/v2/` },
    );
    if (ready === 'dead') {
      throw new Error(
        spawnError
          ? `cannot run docker-registry (install it: apt-get install docker-registry): ${spawnError.message}`
          : `docker-registry exited early (${exited?.code ?? exited?.signal})`,
      );
    }
  } catch (err) {
    await stop();
    // A failed start is only worth retrying when it lost the port race.
    throw Object.assign(new Error(`${(err as Error).message}\n--- registry output ---\n${output}`), {
      addressInUse: /address already in use/i.test(output),
    });
  }

  return { loginServer: `localhost:${port}`, url, port, logs: () => output, stop };
}

/** A real CNCF Distribution registry over verified TLS, with its own empty storage. */
export async function startRegistry(opts: RegistryOptions = {}): Promise<TestRegistry> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts.port ?? (await freePort()), opts);
    } catch (err) {
      if (attempt >= 3 || opts.port !== undefined || !(err as { addressInUse?: boolean }).addressInUse) throw err;
    }
  }
}
