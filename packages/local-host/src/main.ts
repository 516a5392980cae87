import { existsSync } from 'node:fs';
import path from 'node:path';
import { ensureDevelopmentStorage, type RunningAzurite } from './azurite';
import { AppLoadError, formatFunctionList, loadApp, serveApp, type LoadedApp, type RunningHost } from './host';
import { consoleSink, describeError, timestamped } from './log';
import { applySettings, readLocalSettings } from './settings';

/**
 * `npm start`: what `func start` does, without Core Tools, for the function app in the
 * current directory. Settings from local.settings.json, then the app (package.json
 * `main`) is loaded, Azurite started when the app asks for development storage, and
 * the host runs until SIGINT/SIGTERM.
 */

const say = (line: string) => process.stdout.write(`${line}\n`);

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

/**
 * An app validates its settings as it loads and throws an error named `ConfigError`
 * whose message names every bad setting: that message is all the user needs, and a
 * stack would only bury it. Any other load failure keeps its stack.
 */
function loadFailure(err: unknown): string {
  if (err instanceof AppLoadError) {
    const cause = err.cause as Error | undefined;
    if (cause?.name === 'ConfigError' && typeof cause.message === 'string') return cause.message;
  }
  return err instanceof Error ? err.message : describeError(err);
}

async function main(): Promise<void> {
  const started = Date.now();
  // Like `func start`, the app is the one in the working directory (npm runs scripts from the project root).
  const projectRoot = process.cwd();
  if (!existsSync(path.join(projectRoot, 'package.json'))) {
    fail(`No package.json in ${projectRoot}: run the local host from the function app's root directory`);
  }

  let localHttpPort: number | undefined;
  try {
    const settings = readLocalSettings(projectRoot);
    settings.notes.forEach(say);
    applySettings(settings.values, process.env);
    localHttpPort = settings.localHttpPort;
  } catch (err) {
    fail((err as Error).message);
  }

  // Before Azurite: an app that refuses its configuration should not start anything.
  let app: LoadedApp;
  try {
    app = await loadApp({ projectRoot });
  } catch (err) {
    fail(loadFailure(err));
  }

  let azurite: RunningAzurite | undefined;
  try {
    azurite = await ensureDevelopmentStorage(projectRoot, process.env, say);
  } catch (err) {
    fail((err as Error).message);
  }

  let host: RunningHost;
  try {
    host = await serveApp(app, { port: process.env.PORT?.trim() ? undefined : localHttpPort });
  } catch (err) {
    await azurite?.stop();
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
