import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * Starts the Azurite storage emulator from the project's own dev dependency, for tests
 * and for `npm start` with `UseDevelopmentStorage=true`. The host does not depend on
 * Azurite itself: a dependency of the host would be installed with the app's production
 * dependencies, and only a project that uses development storage needs it.
 */

export interface AzuritePorts {
  blob: number;
  queue: number;
  table: number;
}

export interface AzuriteOptions {
  /** The project whose `azurite` dev dependency runs; the current directory by default. */
  projectRoot?: string;
  location?: string;
  inMemory?: boolean;
  ports?: AzuritePorts | 'auto';
  silent?: boolean;
}

export interface RunningAzurite {
  connectionString: string;
  ports: AzuritePorts;
  /** The emulator's process, e.g. for tests that freeze it (SIGSTOP). */
  pid: number;
  stop(): Promise<void>;
}

export const DEV_STORAGE_PORTS: AzuritePorts = { blob: 10000, queue: 10001, table: 10002 };
export const DEV_STORAGE_CONNECTION = 'UseDevelopmentStorage=true';
const ACCOUNT = 'devstoreaccount1';
/** Azurite's well-known development key; public, not a secret. */
const ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;
/** Azurite's start-up line per service; with port 0 it is the only way to learn the port. */
const LISTENING = /Azurite (Blob|Queue|Table) service is successfully listening at http:\/\/[^\s:]+:(\d+)/g;

export function azuriteConnectionString(ports: AzuritePorts): string {
  const endpoint = (port: number) => `http://${HOST}:${port}/${ACCOUNT}`;
  return (
    `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${ACCOUNT_KEY};` +
    `BlobEndpoint=${endpoint(ports.blob)};QueueEndpoint=${endpoint(ports.queue)};TableEndpoint=${endpoint(ports.table)};`
  );
}

function azuriteCli(projectRoot: string): string {
  let pkg: string;
  try {
    pkg = require.resolve('azurite/package.json', { paths: [projectRoot] });
  } catch {
    throw new Error(
      `Azurite is not installed in ${projectRoot}: add it as a dev dependency (npm install --save-dev azurite), or start a storage emulator yourself`,
    );
  }
  return path.join(path.dirname(pkg), 'dist', 'src', 'azurite.js');
}

/** True when something accepts TCP connections on HOST:port. */
export function isListening(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: HOST, port });
    const done = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * `detached` puts Azurite in its own process group, so a Ctrl+C in the terminal reaches only
 * the host, which can then drain its queue work before stopping the emulator itself.
 */
async function launch(opts: AzuriteOptions & { detached?: boolean }, ports: AzuritePorts, location: string | undefined): Promise<RunningAzurite> {
  const silent = opts.silent ?? true;
  const args = [
    azuriteCli(opts.projectRoot ?? process.cwd()),
    '--skipApiVersionCheck',
    '--loose',
    '--disableTelemetry',
    '--blobHost',
    HOST,
    '--blobPort',
    String(ports.blob),
    '--queueHost',
    HOST,
    '--queuePort',
    String(ports.queue),
    '--tableHost',
    HOST,
    '--tablePort',
    String(ports.table),
  ];
  if (location) args.push('--location', location);
  if (opts.inMemory) args.push('--inMemoryPersistence');
  if (silent) args.push('--silent');

  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: opts.detached ?? false });
  // An orphaned emulator would keep its ports busy for the next run.
  const killOnExit = () => child.kill();
  process.once('exit', killOnExit);

  let output = '';
  const bound: Partial<AzuritePorts> = {};
  let onProgress = () => {};
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8_000);
    for (const m of output.matchAll(LISTENING)) bound[m[1]!.toLowerCase() as keyof AzuritePorts] = Number(m[2]);
    onProgress();
  };
  child.stdout.on('data', (chunk: Buffer) => {
    keep(chunk);
    if (!silent) process.stdout.write(chunk);
  });
  child.stderr.on('data', (chunk: Buffer) => {
    keep(chunk);
    if (!silent) process.stderr.write(chunk);
  });

  const stop = async () => {
    process.off('exit', killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    if (!(await waitForExit(child, STOP_TIMEOUT_MS))) {
      child.kill('SIGKILL');
      await waitForExit(child, STOP_TIMEOUT_MS);
    }
  };

  // Ready when Azurite says all three services listen: a port merely accepting connections
  // could be some other process that made Azurite fail.
  const ready = await new Promise<AzuritePorts | Error>((resolve) => {
    const timer = setTimeout(
      () => resolve(new Error(`Azurite did not start listening on 127.0.0.1 within ${START_TIMEOUT_MS / 1000}s. Its output:\n${output.trim()}`)),
      START_TIMEOUT_MS,
    );
    const finish = (result: AzuritePorts | Error) => {
      clearTimeout(timer);
      onProgress = () => {};
      resolve(result);
    };
    onProgress = () => {
      if (bound.blob && bound.queue && bound.table) finish({ blob: bound.blob, queue: bound.queue, table: bound.table });
    };
    child.once('exit', (code, signal) => finish(new Error(`Azurite exited during start-up (${code ?? signal}). Its output:\n${output.trim()}`)));
    child.once('error', (err) => finish(new Error(`Could not start Azurite: ${err.message}`)));
  });
  if (ready instanceof Error) {
    await stop();
    throw ready;
  }
  return { connectionString: azuriteConnectionString(ready), ports: ready, pid: child.pid!, stop };
}

export function startAzurite(opts: AzuriteOptions = {}): Promise<RunningAzurite> {
  return start(opts);
}

async function start(opts: AzuriteOptions & { detached?: boolean }): Promise<RunningAzurite> {
  let location = opts.location;
  if (location) mkdirSync(location, { recursive: true });
  // Without a location and not in memory, data goes to a fresh temporary folder rather than the cwd.
  else if (!opts.inMemory) location = mkdtempSync(path.join(os.tmpdir(), 'azurite-'));
  // Port 0 lets the OS choose, with no window for another process to take the port first.
  const ports = opts.ports === 'auto' ? { blob: 0, queue: 0, table: 0 } : (opts.ports ?? DEV_STORAGE_PORTS);
  return launch(opts, ports, location);
}

/**
 * What `npm start` does for `AzureWebJobsStorage=UseDevelopmentStorage=true`: start Azurite
 * on the standard ports with data in `<projectRoot>/.azurite`, or use the one already running.
 * Returns the emulator to stop with the host, or undefined when there is nothing to stop.
 */
export async function ensureDevelopmentStorage(
  projectRoot: string,
  env: NodeJS.ProcessEnv = process.env,
  say: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  /** Only tests change this: "UseDevelopmentStorage=true" always means the standard ports. */
  ports: AzuritePorts = DEV_STORAGE_PORTS,
): Promise<RunningAzurite | undefined> {
  if (env.AzureWebJobsStorage?.trim() !== DEV_STORAGE_CONNECTION) return undefined;
  const entries = Object.entries(ports) as [keyof AzuritePorts, number][];
  const listening = await Promise.all(entries.map(([, port]) => isListening(port)));
  const range = `127.0.0.1:${ports.blob}/${ports.queue}/${ports.table}`;
  if (listening.every(Boolean)) {
    say(`Using the storage emulator already listening on ${range}.`);
    return undefined;
  }
  if (listening.some(Boolean)) {
    const busy = entries.filter((_, i) => listening[i]).map(([service, port]) => `${port} (${service})`);
    const free = entries.filter((_, i) => !listening[i]).map(([service, port]) => `${port} (${service})`);
    throw new Error(
      `AzureWebJobsStorage is "${DEV_STORAGE_CONNECTION}", but only some storage emulator ports are in use: ${busy.join(', ')} busy, ${free.join(', ')} free. ` +
        'Stop whatever holds those ports, or start a full Azurite (blob, queue and table), or set AzureWebJobsStorage to a connection string.',
    );
  }
  const location = path.join(projectRoot, '.azurite');
  say(`Starting Azurite on ${range} (data in ${location})...`);
  return start({ projectRoot, location, ports, silent: true, detached: true });
}
