import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Finds and loads the app: the one file package.json `main` names. The Node worker also
 * accepts a glob there; a single entry is all the apps this host serves need, so a glob
 * is refused with a message instead of being half supported.
 */

export class EntryPointError extends Error {
  constructor(
    readonly packageJson: string,
    message: string,
  ) {
    super(message);
    this.name = 'EntryPointError';
  }
}

/** The absolute path of the file package.json `main` names; throws when it does not exist. */
export function resolveEntryPoint(projectRoot: string): string {
  const pkgFile = path.join(projectRoot, 'package.json');
  let main: unknown;
  try {
    main = (JSON.parse(readFileSync(pkgFile, 'utf8')) as { main?: unknown }).main;
  } catch (e) {
    throw new EntryPointError(pkgFile, `Cannot read ${pkgFile}: ${(e as Error).message}`);
  }
  if (typeof main !== 'string' || main.trim() === '') {
    throw new EntryPointError(pkgFile, `${pkgFile} has no "main": set it to the compiled app entry (e.g. "dist/src/index.js")`);
  }
  if (/[*?{}[\]]/.test(main)) {
    throw new EntryPointError(
      pkgFile,
      `package.json "main" (${main}) is a glob; the local host loads a single entry file: point "main" at a file that imports every function`,
    );
  }
  const file = path.resolve(projectRoot, main);
  if (!existsSync(file)) throw new EntryPointError(pkgFile, `package.json "main" (${main}) does not exist under ${projectRoot}; did you run "npm run build"?`);
  return file;
}

/** Modules the previous app load added to the require cache (outside node_modules). */
let previouslyLoaded: string[] = [];

/**
 * Runs `load`. Modules a previous load in this process brought in are forgotten first,
 * so starting a host again registers the app's functions again.
 */
export async function loadEntryPoint(load: () => unknown): Promise<void> {
  for (const file of previouslyLoaded) delete require.cache[file];
  const before = new Set(Object.keys(require.cache));
  try {
    await load();
  } finally {
    const nodeModules = `${path.sep}node_modules${path.sep}`;
    previouslyLoaded = Object.keys(require.cache).filter((f) => !before.has(f) && !f.includes(nodeModules));
  }
}
