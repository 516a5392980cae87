import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Finds and loads the app the way the Node worker does: package.json `main`,
 * which may be a file or a glob such as `dist/src/functions/*.js`.
 */

function globToRegExp(segment: string): RegExp {
  let re = '';
  for (const ch of segment) {
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** `{a,b}` alternatives become separate patterns. */
function expandBraces(pattern: string): string[] {
  const m = /\{([^{}]*)\}/.exec(pattern);
  if (!m) return [pattern];
  return m[1]!.split(',').flatMap((alt) => expandBraces(pattern.slice(0, m.index) + alt + pattern.slice(m.index + m[0].length)));
}

function walk(dir: string, segments: string[]): string[] {
  if (segments.length === 0) return existsSync(dir) && statSync(dir).isFile() ? [dir] : [];
  const [head, ...rest] = segments as [string, ...string[]];
  if (head === '**') {
    const here = walk(dir, rest);
    const below = listDirs(dir).flatMap((d) => walk(path.join(dir, d), segments));
    return [...here, ...below];
  }
  if (!/[*?]/.test(head)) return walk(path.join(dir, head), rest);
  const re = globToRegExp(head);
  return list(dir)
    .filter((name) => re.test(name))
    .flatMap((name) => walk(path.join(dir, name), rest));
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

function listDirs(dir: string): string[] {
  return list(dir).filter((name) => name !== 'node_modules' && statSync(path.join(dir, name)).isDirectory());
}

/** Files matching a glob relative to `root`, sorted, without duplicates. */
export function expandGlob(root: string, pattern: string): string[] {
  const files = expandBraces(pattern.replace(/\\/g, '/')).flatMap((p) => {
    const absolute = path.isAbsolute(p);
    return walk(absolute ? path.parse(p).root : root, p.split('/').filter((s) => s !== '' && s !== '.'));
  });
  return [...new Set(files)].sort();
}

/** The entry files named by package.json `main`; throws when none exist. */
export function resolveEntryPoints(projectRoot: string): string[] {
  const pkgFile = path.join(projectRoot, 'package.json');
  let main: unknown;
  try {
    main = (JSON.parse(readFileSync(pkgFile, 'utf8')) as { main?: unknown }).main;
  } catch (e) {
    throw new Error(`Cannot read ${pkgFile}: ${(e as Error).message}`);
  }
  if (typeof main !== 'string' || main.trim() === '') {
    throw new Error(`${pkgFile} has no "main": set it to the compiled app entry (e.g. "dist/src/index.js") or a glob of function files`);
  }
  const files = /[*?{]/.test(main) ? expandGlob(projectRoot, main) : [path.resolve(projectRoot, main)].filter((f) => existsSync(f));
  if (files.length === 0) {
    throw new Error(`package.json "main" (${main}) matches no file under ${projectRoot}; did you run "npm run build"?`);
  }
  return files;
}

/** Modules the previous app load added to the require cache (outside node_modules). */
let previouslyLoaded: string[] = [];

/**
 * Loads the entry files. Modules a previous load in this process brought in are
 * forgotten first, so starting a host again registers the app's functions again.
 */
export async function loadEntryPoints(load: () => unknown): Promise<void> {
  for (const file of previouslyLoaded) delete require.cache[file];
  const before = new Set(Object.keys(require.cache));
  try {
    await load();
  } finally {
    const nodeModules = `${path.sep}node_modules${path.sep}`;
    previouslyLoaded = Object.keys(require.cache).filter((f) => !before.has(f) && !f.includes(nodeModules));
  }
}

export function requireAll(files: string[]): void {
  for (const file of files) require(file);
}
