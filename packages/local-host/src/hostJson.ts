import os from 'node:os';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { formatTimeSpan, parseTimeSpan } from './timeSpan';
import { text } from './text';

/**
 * The parts of host.json the local host honours, with the defaults Microsoft documents
 * for the Functions host and the Storage queues extension.
 */

export type HostLogLevel = 'trace' | 'debug' | 'information' | 'warning' | 'error' | 'critical' | 'none';

export interface QueuesOptions {
  batchSize: number;
  newBatchThreshold: number;
  maxPollingIntervalMs: number;
  visibilityTimeoutMs: number;
  maxDequeueCount: number;
  messageEncoding: 'base64' | 'none';
}

export interface HostConfig {
  routePrefix: string;
  /** `null` when host.json says `-1` (no limit). */
  functionTimeoutMs: number | null;
  queues: QueuesOptions;
  /** Minimum level of function (user) log lines that are printed. */
  logLevel: HostLogLevel;
}

type Json = Record<string, unknown>;

const OVERRIDE_PREFIX = 'azurefunctionsjobhost';
const DEFAULT_FUNCTION_TIMEOUT = '00:05:00';
const LOG_LEVELS: readonly HostLogLevel[] = ['trace', 'debug', 'information', 'warning', 'error', 'critical', 'none'];

export class HostJsonError extends Error {
  constructor(
    readonly setting: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`host.json ${setting}: ${message}`, options);
    this.name = 'HostJsonError';
  }
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** .NET configuration keys are case-insensitive, so host.json and overrides are too. */
function keyOf(obj: Json, key: string): string | undefined {
  const lower = key.toLowerCase();
  return Object.keys(obj).find((k) => k.toLowerCase() === lower);
}

function get(obj: Json, ...keys: string[]): unknown {
  let cur: unknown = obj;
  for (const key of keys) {
    if (!isObject(cur)) return undefined;
    const k = keyOf(cur, key);
    cur = k === undefined ? undefined : cur[k];
  }
  return cur;
}

/**
 * Applies `AzureFunctionsJobHost__a__b__c=value` environment variables on top of host.json,
 * which is how the real host lets app settings override host.json. Values stay strings,
 * as they do in the host; readers below accept both.
 */
export function applyHostJsonOverrides(hostJson: Json, env: NodeJS.ProcessEnv): Json {
  const result = structuredClone(hostJson);
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    const parts = name.split(/__|:/);
    if (parts.length < 2 || parts[0]!.toLowerCase() !== OVERRIDE_PREFIX) continue;
    const keys = parts.slice(1);
    let cur: Json = result;
    keys.forEach((key, i) => {
      const existing = keyOf(cur, key) ?? key;
      if (i === keys.length - 1) {
        cur[existing] = value;
      } else {
        if (!isObject(cur[existing])) cur[existing] = {};
        cur = cur[existing] as Json;
      }
    });
  }
  return result;
}

function int(obj: Json, keys: string[], def: number, min: number, max: number): number {
  const v = get(obj, ...keys);
  if (v === undefined || v === null || v === '') return def;
  const n = typeof v === 'number' ? v : Number(text(v).trim());
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new HostJsonError(keys.join('.'), `must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  }
  return n;
}

function timeSpan(obj: Json, keys: string[], def: string, minMs: number): number {
  const v = get(obj, ...keys);
  const given = v === undefined || v === null || v === '' ? def : text(v);
  let ms: number;
  try {
    ms = parseTimeSpan(given);
  } catch (e) {
    throw new HostJsonError(keys.join('.'), (e as Error).message, { cause: e });
  }
  if (ms < minMs) throw new HostJsonError(keys.join('.'), `must be at least ${formatTimeSpan(minMs)}, got "${given}"`);
  return ms;
}

function logLevel(obj: Json): HostLogLevel {
  const v = get(obj, 'logging', 'logLevel', 'Function') ?? get(obj, 'logging', 'logLevel', 'default') ?? 'Information';
  const level = text(v).toLowerCase() as HostLogLevel;
  if (!LOG_LEVELS.includes(level)) {
    throw new HostJsonError('logging.logLevel', `"${text(v)}" is not a log level (${LOG_LEVELS.join(', ')})`);
  }
  return level;
}

/**
 * Reads the settings the local host uses out of an (already overridden) host.json object.
 * `cores` is the machine's, for the one default that depends on it: the queue extension's
 * newBatchThreshold is batchSize / 2 per core (WebJobs QueuesOptions).
 */
export function hostConfigFrom(hostJson: Json, cores: number = os.availableParallelism()): HostConfig {
  const q = ['extensions', 'queues'];
  const batchSize = int(hostJson, [...q, 'batchSize'], 16, 1, 32);
  const encoding = text(get(hostJson, ...q, 'messageEncoding') ?? 'base64').toLowerCase();
  if (encoding !== 'base64' && encoding !== 'none') {
    throw new HostJsonError('extensions.queues.messageEncoding', `must be "base64" or "none", got "${encoding}"`);
  }
  const routePrefix = get(hostJson, 'extensions', 'http', 'routePrefix');
  const timeout = get(hostJson, 'functionTimeout');
  return {
    routePrefix: routePrefix === undefined || routePrefix === null ? 'api' : text(routePrefix).replace(/^\/+|\/+$/g, ''),
    functionTimeoutMs: String(timeout).trim() === '-1' ? null : timeSpan(hostJson, ['functionTimeout'], DEFAULT_FUNCTION_TIMEOUT, 1000),
    queues: {
      batchSize,
      newBatchThreshold: int(hostJson, [...q, 'newBatchThreshold'], Math.floor(batchSize / 2) * cores, 0, 1_000),
      maxPollingIntervalMs: timeSpan(hostJson, [...q, 'maxPollingInterval'], '00:01:00', 100),
      visibilityTimeoutMs: timeSpan(hostJson, [...q, 'visibilityTimeout'], '00:00:00', 0),
      maxDequeueCount: int(hostJson, [...q, 'maxDequeueCount'], 5, 1, 1_000),
      messageEncoding: encoding,
    },
    logLevel: logLevel(hostJson),
  };
}

export function readHostJson(projectRoot: string): Json {
  const file = path.join(projectRoot, 'host.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`${file} not found: the project root must contain host.json`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  if (!isObject(parsed)) throw new Error(`${file} must contain a JSON object`);
  return parsed;
}

export function loadHostConfig(projectRoot: string, env: NodeJS.ProcessEnv = process.env): HostConfig {
  return hostConfigFrom(applyHostJsonOverrides(readHostJson(projectRoot), env));
}
