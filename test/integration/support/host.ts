/**
 * Runs the compiled local Functions host (packages/local-host/dist/main.js) as a child
 * process, the way a developer runs `npm start`. Requires `npm run build`
 * (done by `npm test`).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { request } from './http';
import { freePort, waitFor } from './wait';

export interface LocalHost {
  /** "http://127.0.0.1:PORT" */
  url: string;
  port: number;
  /** The host process, e.g. to read its memory from /proc/<pid>/status. */
  pid: number;
  logs(): string;
  /** Resolves with the first log line (past or future) matching `re`. */
  waitForLog(re: RegExp, timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

export interface LocalHostOptions {
  /** How long to wait for /admin/host/status to answer 200 (default 30 s). */
  startTimeoutMs?: number;
  /** Script to run instead of packages/local-host/dist/main.js (absolute, or relative to the repo root). */
  script?: string;
  /** Echo the host's output to this process's stderr as it arrives, for debugging. */
  echo?: boolean;
  /** The function app directory the host serves (its package.json `main`, host.json): the repository root unless given, e.g. dist/deploy. */
  appDir?: string;
}

/** Node flags for the host process, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile a benchmark (NODE_OPTIONS refuses --cpu-prof). */
const hostExecArgv = (process.env.LOCAL_HOST_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);

/** The repository root: the nearest ancestor of this file holding package.json. */
export function repoRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${__dirname}`);
  }
}

const live = new Set<() => void>();
process.once('exit', () => live.forEach((kill) => kill()));

/**
 * `env` is layered over process.env. main.js seeds local.settings.json from the
 * sample when it is missing and lets env override it, so pass every setting the
 * test depends on rather than relying on whatever local.settings.json holds.
 */
export async function startLocalHost(env: Record<string, string>, opts: LocalHostOptions = {}): Promise<LocalHost> {
  const root = repoRoot();
  const main = path.resolve(root, opts.script ?? path.join('packages', 'local-host', 'dist', 'main.js'));
  if (!fs.existsSync(main)) throw new Error(`${main} does not exist: build first (\`npm test\` runs \`npm run build\`)`);

  const port = await freePort();
  const child = spawn(process.execPath, [...hostExecArgv, main], {
    cwd: path.resolve(root, opts.appDir ?? '.'),
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const kill = () => child.kill('SIGKILL');
  live.add(kill);

  let output = '';
  const watchers = new Set<() => void>();
  const onData = (d: Buffer) => {
    output += d.toString();
    if (opts.echo) process.stderr.write(d);
    watchers.forEach((w) => w());
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);

  let exitInfo: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      exitInfo = `exited with ${code ?? signal}`;
      live.delete(kill);
      watchers.forEach((w) => w());
      resolve();
    });
    child.on('error', (err) => {
      exitInfo = `failed to start: ${err.message}`;
      live.delete(kill);
      watchers.forEach((w) => w());
      resolve();
    });
  });

  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (exitInfo === undefined) {
      child.kill('SIGTERM');
      const t = setTimeout(kill, 10_000);
      await exited;
      clearTimeout(t);
    }
  };

  const ready = await waitFor(
    async () => {
      if (exitInfo !== undefined) return 'dead';
      const res = await request(`${url}/admin/host/status`, { timeoutMs: 2_000 }).catch(() => undefined);
      return res?.status === 200 && 'ready';
    },
    { timeoutMs: opts.startTimeoutMs ?? 30_000, intervalMs: 100, message: `local host on ${url}/admin/host/status` },
  ).catch(async (err: Error) => {
    await stop();
    throw new Error(`${err.message}\n--- host output ---\n${output}`);
  });
  if (ready === 'dead') throw new Error(`local host ${exitInfo} before becoming ready\n--- host output ---\n${output}`);

  const waitForLog = (re: RegExp, timeoutMs = 10_000) =>
    new Promise<string>((resolve, reject) => {
      const stateless = new RegExp(re.source, re.flags.replace(/[gy]/g, '')); // a /g regex's lastIndex would skip lines
      const check = () => {
        const line = output.split('\n').find((l) => stateless.test(l));
        if (line !== undefined) return done(() => resolve(line));
        if (exitInfo !== undefined) return done(() => reject(new Error(`local host ${exitInfo} before logging ${re}\n${output}`)));
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`no log line matching ${re} within ${timeoutMs} ms\n--- host output ---\n${output}`))),
        timeoutMs,
      );
      const done = (settle: () => void) => {
        clearTimeout(timer);
        watchers.delete(check);
        settle();
      };
      watchers.add(check);
      check();
    });

  return { url, port, pid: child.pid!, logs: () => output, waitForLog, stop };
}
