import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QueueServiceClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type RunningAzurite } from '../src/azurite';

/**
 * The compiled `npm start` entry (dist/main.js, built by `npm test`), run in a throwaway
 * project root holding the fixture app, its settings and the installed packages.
 */

const compiledMain = path.resolve(__dirname, '..', 'dist', 'main.js');
const fixtures = path.join(__dirname, 'fixtures');
/** The node_modules the workspace installed, which the throwaway projects share. */
const nodeModules = path.resolve(path.dirname(require.resolve('@azure/functions/package.json')), '..', '..');

let tmp: string;

beforeAll(() => {
  if (!fs.existsSync(compiledMain)) throw new Error(`${compiledMain} is missing: run "npm run build" first (npm test does)`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'local-main-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A function app's root: package.json, host.json, the app and node_modules. */
function makeProject(name: string, files: { [file: string]: unknown }): string {
  const root = path.join(tmp, name);
  fs.mkdirSync(root);
  fs.symlinkSync(nodeModules, path.join(root, 'node_modules'), 'dir');
  fs.copyFileSync(path.join(fixtures, 'app.js'), path.join(root, 'app.js'));
  fs.copyFileSync(path.join(fixtures, 'host.json'), path.join(root, 'host.json'));
  fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name, private: true, main: 'app.js' }));
  for (const [file, content] of Object.entries(files)) fs.writeFileSync(path.join(root, file), JSON.stringify(content));
  return root;
}

interface Run {
  stdout: string;
  stderr: string;
  code: number | null;
}

/** Runs main.js with only the given environment (nothing inherited that could mask a setting). */
function runMain(root: string, env: { [key: string]: string }, whileRunning?: (out: () => string, kill: (s: NodeJS.Signals) => void) => Promise<void>) {
  return new Promise<Run>((resolve, reject) => {
    const child = spawn(process.execPath, [compiledMain], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ stdout, stderr, code });
    });
    whileRunning?.(
      () => stdout,
      (s) => child.kill(s),
    ).catch((err: Error) => {
      child.kill('SIGKILL');
      reject(new Error(`${err.message}\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`));
    });
  });
}

describe('dist/main.js', () => {
  it("exits 1 with the app's ConfigError message alone, naming the bad setting, before starting anything", async () => {
    const root = makeProject('invalid', {
      'local.settings.json': { IsEncrypted: false, Values: { AzureWebJobsStorage: 'UseDevelopmentStorage=true', FIXTURE_GREETING: 'hi' } },
    });
    const run = await runMain(root, {});
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('Invalid configuration:\n  - FIXTURE_GREETING: must be at least 3 characters\n');
    expect(run.stdout).not.toContain('Azurite');
    expect(run.stdout).not.toContain('Host started');
  });

  it('copies local.settings.sample.json when local.settings.json is missing, and environment variables override it', async () => {
    const root = makeProject('sample', {
      'local.settings.sample.json': { IsEncrypted: false, Values: { AzureWebJobsStorage: 'UseDevelopmentStorage=true', FIXTURE_GREETING: 'hello' } },
    });
    const run = await runMain(root, { FIXTURE_GREETING: 'x' });
    expect(run.stdout).toContain('Created local.settings.json from local.settings.sample.json');
    expect(fs.existsSync(path.join(root, 'local.settings.json'))).toBe(true);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('FIXTURE_GREETING');
  });

  it('reports any other app load failure with its stack', async () => {
    const root = makeProject('broken', { 'local.settings.json': { IsEncrypted: false, Values: { FIXTURE_BROKEN: 'yes' } } });
    const run = await runMain(root, {});
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^Failed to load the function app: Error: the fixture app is broken on purpose\n\s+at /);
  });

  it('exits 1 when package.json "main" is a glob, saying a single entry file is needed', async () => {
    const root = makeProject('glob', {});
    fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'glob', private: true, main: 'dist/functions/*.js' }));
    const run = await runMain(root, {});
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'package.json "main" (dist/functions/*.js) is a glob; the local host loads a single entry file: point "main" at a file that imports every function\n',
    );
  });

  it('exits 1 naming both versions when the app has an @azure/functions the host was not written against', async () => {
    const root = makeProject('other-library', {});
    fs.rmSync(path.join(root, 'node_modules'));
    const library = path.join(root, 'node_modules', '@azure', 'functions');
    fs.mkdirSync(library, { recursive: true });
    fs.writeFileSync(path.join(library, 'package.json'), JSON.stringify({ name: '@azure/functions', version: '4.99.0', main: 'index.js' }));
    const supported = (JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', 'package.json'), 'utf8')) as { peerDependencies: Record<string, string> })
      .peerDependencies['@azure/functions'];
    const run = await runMain(root, {});
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`The app uses @azure/functions 4.99.0 (${library}), but the local host was written against @azure/functions ${supported}.`);
    expect(run.stdout).not.toContain('Host started');
  });

  describe('with storage', () => {
    let azurite: RunningAzurite;
    beforeAll(async () => {
      azurite = await startAzurite({ ports: 'auto', inMemory: true });
    });
    afterAll(async () => azurite?.stop());

    it('starts, prints the functions like func start, serves requests and queue messages, and stops cleanly on SIGTERM', async () => {
      const out = path.join(tmp, 'main-records.jsonl');
      const root = makeProject('valid', { 'local.settings.json': { IsEncrypted: false, Values: { FIXTURE_QUEUE: 'main-work' } } });
      const run = await runMain(root, { AzureWebJobsStorage: azurite.connectionString, PORT: '0', FIXTURE_OUT: out }, async (stdout, kill) => {
        const deadline = Date.now() + 15_000;
        while (!stdout().includes('Host started')) {
          if (Date.now() > deadline) throw new Error('no "Host started"');
          await new Promise((r) => setTimeout(r, 50));
        }
        const port = /hello: \[GET,POST\] http:\/\/localhost:(\d+)\/api\/hello/.exec(stdout())?.[1];
        const res = await fetch(`http://127.0.0.1:${port}/api/items?id=7`);
        expect(await res.json()).toEqual({ id: 7, q: null });
        // The queue trigger's client comes from AzureWebJobsStorage, as the host resolves it.
        const queue = QueueServiceClient.fromConnectionString(azurite.connectionString).getQueueClient('main-work');
        await queue.createIfNotExists();
        await queue.sendMessage(Buffer.from('"from main"').toString('base64'));
        while (!(fs.existsSync(out) && fs.readFileSync(out, 'utf8').includes('"kind":"queue"'))) {
          if (Date.now() > deadline) throw new Error('the queue message was not processed');
          await new Promise((r) => setTimeout(r, 50));
        }
        kill('SIGTERM');
      });
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(
        /Functions:\n\n\tgetItem: \[GET\] http:\/\/localhost:\d+\/api\/items\n\n\tdeleteItem: \[DELETE\] http:\/\/localhost:\d+\/api\/items\n/,
      );
      expect(run.stdout).toContain('\twork: queueTrigger (main-work)\n');
      expect(run.stdout).toContain('\ttick: timerTrigger (* * * * * *)\n');
      expect(run.stdout).toMatch(/\[getItem\] \[[0-9a-f-]{36}\] getting item 7/);
      expect(run.stdout).toMatch(/SIGTERM received[\s\S]*Host stopped/);
    });
  });
});
