import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The `@azure/functions-core` shim plays the Node worker's side of a contract the library
 * does not publish, so it was written against one exact `@azure/functions` version: this
 * package's peer dependency. Another version may call the shim differently and fail in
 * ways nobody would trace back to it, so the host refuses to load an app that uses one.
 */

export class UnsupportedFunctionsVersionError extends Error {
  constructor(
    readonly installed: string,
    readonly supported: string,
    readonly location: string,
  ) {
    super(
      `The app uses @azure/functions ${installed} (${location}), but the local host was written against @azure/functions ${supported}. ` +
        `Install exactly ${supported} ("@azure/functions": "${supported}" in package.json, then npm install), ` +
        `or check the local host's functions-core shim against ${installed} and update its peer dependency.`,
    );
    this.name = 'UnsupportedFunctionsVersionError';
  }
}

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

/** The version in this package's peerDependencies (package.json sits above both src/ and dist/). */
export function supportedFunctionsVersion(): string {
  const peers = readJson(path.join(__dirname, '..', 'package.json')).peerDependencies as Record<string, string>;
  return peers['@azure/functions']!;
}

/** The `@azure/functions` the app in `projectRoot` would load, if it has one. */
export function installedFunctionsVersion(projectRoot: string): { version: string; location: string } | undefined {
  let file: string;
  try {
    file = require.resolve('@azure/functions/package.json', { paths: [projectRoot] });
  } catch {
    return undefined;
  }
  return { version: String(readJson(file).version), location: path.dirname(file) };
}

export function checkFunctionsVersion(projectRoot: string): void {
  const installed = installedFunctionsVersion(projectRoot);
  const supported = supportedFunctionsVersion();
  // Without the library installed the app cannot register anything; its own require says so.
  if (installed && installed.version !== supported) throw new UnsupportedFunctionsVersionError(installed.version, supported, installed.location);
}
