import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config';
import { ensureDevelopmentStorage, type RunningAzurite } from './azurite';
import { formatFunctionList, startHost, type RunningHost } from './host';
import { consoleSink, describeError, timestamped } from './log';
import { applySettings, readLocalSettings } from './settings';

/**
 * `npm start`: what `func start` does for this app, without Core Tools. Settings from
 * local.settings.json, configuration validated before any app code runs, Azurite when
 * the app asks for development storage, then the host until SIGINT/SIGTERM.
 */

function projectRootAbove(dir: string): string {
  for (let d = dir; ; d = path.dirname(d)) {
    if (existsSync(path.join(d, 'package.json'))) return d;
    if (path.dirname(d) === d) throw new Error(`No package.json found above ${dir}`);
  }
}

const say = (line: string) => process.stdout.write(`${line}\n`);

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  const started = Date.now();
  const projectRoot = projectRootAbove(__dirname);

  let localHttpPort: number | undefined;
  try {
    const settings = readLocalSettings(projectRoot);
    settings.notes.forEach(say);
    applySettings(settings.values, process.env);
    localHttpPort = settings.localHttpPort;
  } catch (err) {
    fail((err as Error).message);
  }

  try {
    loadConfig(process.env);
  } catch (err) {
    // ConfigError's message names every bad setting; a stack would only hide it.
    if ((err as Error)?.name === 'ConfigError') fail((err as Error).message);
    throw err;
  }

  let azurite: RunningAzurite | undefined;
  try {
    azurite = await ensureDevelopmentStorage(projectRoot, process.env, say);
  } catch (err) {
    fail((err as Error).message);
  }

  let host: RunningHost;
  try {
    host = await startHost({ projectRoot, port: process.env.PORT?.trim() ? undefined : localHttpPort });
  } catch (err) {
    await azurite?.stop();
    // Messages here are written to stand alone (app load failures already carry the app's stack).
    fail(err instanceof Error ? err.message : describeError(err));
  }

  say('\nFunctions:\n');
  for (const line of formatFunctionList(host.functions)) say(`\t${line}\n`);
  say(timestamped(`Host started (${Date.now() - started}ms)`));

  process.on('unhandledRejection', (reason) => {
    // The worker logs these and keeps running; so does the local host.
    consoleSink('error', timestamped(`Unhandled promise rejection: ${describeError(reason)}`));
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      say(`${signal} again: exiting without waiting.`);
      process.exit(1);
    }
    stopping = true;
    say(timestamped(`${signal} received: stopping the host...`));
    let code = 0;
    try {
      await host.stop();
    } catch (err) {
      consoleSink('error', timestamped(`Error while stopping: ${describeError(err)}`));
      code = 1;
    }
    await azurite?.stop();
    say(timestamped('Host stopped'));
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err) => fail(describeError(err)));
