/**
 * `npm run backfill -- --registry R [--repository P]`: starts a backfill in the configured
 * storage (local.settings.json `Values`, environment variables first) and follows it with a
 * progress bar until it ends. The Function app (`npm start` locally, or the deployed one
 * on the same storage) does the work: the run is queued units, like one started over HTTP.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../config';
import type { RunProgress } from '../core/listing';
import { getRuntime } from '../runtime';
import { ListingRefused, runProgress, startRun } from '../services/listing';

const USAGE = 'usage: npm run backfill -- --registry <login server> [--repository <name or glob>] [--interval-ms 1000]';
/** Nothing moving for this long most likely means no app is processing the queues. */
const IDLE_HINT_MS = 60_000;

function loadSettings(root: string): void {
  const file = path.join(root, 'local.settings.json');
  if (!existsSync(file)) return;
  const values = (JSON.parse(readFileSync(file, 'utf8')) as { Values?: Record<string, unknown> }).Values ?? {};
  for (const [k, v] of Object.entries(values))
    if (process.env[k] === undefined && (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')) process.env[k] = String(v);
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

/** How far along a run is, 0–1: the listing (repositories) and the processing (events) weigh half each. */
export function fractionDone(p: RunProgress): number {
  const listed = p.repositories.listed && p.repositories.done === p.repositories.total;
  const listing = listed ? 1 : p.repositories.total > 0 ? p.repositories.done / p.repositories.total : 0;
  // Nothing queued yet is nothing processed, until the listing is over and found nothing to queue.
  const processing = p.eventsQueued > 0 ? p.eventsProcessed / p.eventsQueued : listed ? 1 : 0;
  return p.state === 'done' ? 1 : (listing + processing) / 2;
}

export function progressLine(p: RunProgress, elapsedMs: number, width = 24): string {
  const f = fractionDone(p);
  const filled = Math.round(f * width);
  const eta = f > 0 && f < 1 ? ` · ETA ${formatDuration((elapsedMs * (1 - f)) / f)}` : '';
  const total = p.repositories.listed ? String(p.repositories.total) : `${p.repositories.total}+`;
  return (
    `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.round(f * 100)}% · repositories ${p.repositories.done}/${total}` +
    ` · tags ${p.tagsFound} · events ${p.eventsProcessed}/${p.eventsQueued}${p.errors.length ? ` · errors ${p.errors.length}` : ''}${eta}`
  );
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { registry: { type: 'string' }, repository: { type: 'string' }, 'interval-ms': { type: 'string', default: '1000' } },
    allowPositionals: false,
  });
  if (!values.registry) {
    console.error(USAGE);
    return 2;
  }
  loadSettings(process.cwd());
  const registry = values.registry.trim().toLowerCase();
  const interval = Math.max(100, Number(values['interval-ms']) || 1000);
  let runtime;
  try {
    runtime = getRuntime();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      return 2;
    }
    throw e;
  }
  let started: Awaited<ReturnType<typeof startRun>>;
  try {
    started = await startRun(runtime.listingDeps, registry, 'backfill', values.repository ? { scope: values.repository } : {});
  } catch (e) {
    if (e instanceof ListingRefused) {
      console.error(e.message);
      return 2;
    }
    throw e;
  }
  const first = 'started' in started ? started.started : started.running;
  console.log(`${'started' in started ? 'Started' : 'Following the running'} backfill ${first.id} of ${registry}${first.scope ? ` (${first.scope})` : ''}.`);
  const tty = process.stdout.isTTY;
  const begun = Date.parse(first.startedAt);
  let last = '';
  let lastChange = Date.now();
  for (;;) {
    const p = (await runProgress(runtime.listingDeps, registry, 'backfill'))!;
    const line = progressLine(p, Date.now() - begun);
    const counts = line.replace(/ · ETA.*$/, '');
    if (counts !== last) lastChange = Date.now();
    if (tty) process.stdout.write(`\r${line}\x1b[K`);
    else if (counts !== last) console.log(line);
    last = counts;
    if (p.state !== 'running') {
      if (tty) process.stdout.write('\n');
      console.log(
        `Backfill ${p.id} ${p.state} in ${formatDuration(Date.parse(p.finishedAt ?? new Date().toISOString()) - begun)}: ` +
          `${p.repositories.total} repositories, ${p.tagsFound} tags, ${p.eventsQueued} events queued, ${p.eventsProcessed} processed, ${p.requests} listing requests, ${p.errors.length} errors.`,
      );
      for (const e of p.errors) console.log(`  ${e.repository ?? ''}${e.tag ? `:${e.tag}` : ''} ${e.reason}`);
      return p.state === 'done' ? 0 : 1;
    }
    if (Date.now() - lastChange > IDLE_HINT_MS) {
      console.log(`\nNothing moved for ${IDLE_HINT_MS / 1000} s: the Function app does the work. Is it running (npm start) on this storage?`);
      lastChange = Date.now();
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

if (process.argv[1] && /backfill\.[cm]?[jt]s$/.test(process.argv[1]))
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : String(e));
      process.exit(1);
    },
  );
