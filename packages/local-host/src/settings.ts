import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * App settings the way `func start` provides them: `Values` from local.settings.json,
 * with real environment variables taking precedence, exposed through `process.env`.
 */

export interface LocalSettings {
  values: Record<string, string>;
  /** `Host.LocalHttpPort`, which `func` uses when no port is given. */
  localHttpPort?: number;
  /** What happened, for the start-up output (e.g. the sample was copied). */
  notes: string[];
}

export class SettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingsError';
  }
}

export function readLocalSettings(projectRoot: string): LocalSettings {
  const file = path.join(projectRoot, 'local.settings.json');
  const sample = path.join(projectRoot, 'local.settings.sample.json');
  const notes: string[] = [];
  if (!existsSync(file)) {
    if (!existsSync(sample)) {
      return { values: {}, notes: ['No local.settings.json found; using environment variables only.'] };
    }
    copyFileSync(sample, file);
    notes.push('Created local.settings.json from local.settings.sample.json; edit it to change local settings.');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new SettingsError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  const root = (parsed ?? {}) as { IsEncrypted?: unknown; Values?: unknown; Host?: { LocalHttpPort?: unknown } };
  if (root.IsEncrypted === true) {
    throw new SettingsError(`${file} is encrypted ("IsEncrypted": true); the local host only reads plain settings`);
  }
  const values: Record<string, string> = {};
  if (root.Values !== undefined) {
    if (typeof root.Values !== 'object' || root.Values === null || Array.isArray(root.Values)) {
      throw new SettingsError(`${file}: "Values" must be an object of setting names to strings`);
    }
    for (const [key, value] of Object.entries(root.Values)) {
      if (value === null || typeof value === 'object') {
        throw new SettingsError(`${file}: Values.${key} must be a string, number or boolean`);
      }
      values[key] = String(value);
    }
  }
  const port = root.Host?.LocalHttpPort;
  return { values, localHttpPort: typeof port === 'number' ? port : undefined, notes };
}

/** Sets each value not already in `env`, so real environment variables win. Returns the merged view. */
export function applySettings(values: Record<string, string>, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  for (const [key, value] of Object.entries(values)) {
    if (env[key] === undefined) env[key] = value;
  }
  return env;
}

/** Replaces `%NAME%` with app setting NAME, the binding-expression syntax the host supports. */
export function resolveAppSettingReferences(text: string, env: NodeJS.ProcessEnv, where: string): string {
  return text.replace(/%([^%]+)%/g, (_, name: string) => {
    const value = env[name];
    if (value === undefined) throw new SettingsError(`${where}: app setting "${name}" (referenced as %${name}%) is not set`);
    return value;
  });
}
