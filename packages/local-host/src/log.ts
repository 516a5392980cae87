import type { HostLogLevel } from './hostJson';

/**
 * One place where the local host writes lines, so tests can capture them and the
 * host.json log level applies to function logs the way it does in Azure.
 */

export type LogLevel = Exclude<HostLogLevel, 'none'>;
export type LogSink = (level: LogLevel, line: string) => void;

const ORDER: Record<HostLogLevel, number> = { trace: 0, debug: 1, information: 2, warning: 3, error: 4, critical: 5, none: 6 };

export function isEnabled(level: LogLevel, minimum: HostLogLevel): boolean {
  return ORDER[level] >= ORDER[minimum];
}

/** Warnings and errors go to stderr, like console.warn/console.error, so they stand out. */
export const consoleSink: LogSink = (level, line) => {
  const stream = ORDER[level] >= ORDER.warning ? process.stderr : process.stdout;
  stream.write(`${line}\n`);
};

export function timestamped(message: string): string {
  return `[${new Date().toISOString()}] ${message}`;
}

/** The stack when there is one, since that is what helps when a function fails locally. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  return typeof err === 'string' ? err : (JSON.stringify(err) ?? String(err));
}
