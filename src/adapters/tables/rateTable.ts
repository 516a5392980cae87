import { TransientError } from '../../core/errors';
import { escapeKey } from '../../core/keys';
import {
  DEFAULT_RATE_WINDOW_MS,
  EMPTY_RATE_STATE,
  MAX_RATE_LIMIT,
  decide,
  parseRateState,
  pauseUntil,
  serializeRateState,
  STALE_GRANT_MS,
  type RateState,
} from '../../core/rateWindow';
import type { RequestGate } from '../../services/catalog';
import { ConflictError, rowError, statusOf } from './entities';
import type { Tables } from './tables';

/**
 * The request rate to each registry, shared by every instance through one row per
 * registry: its recent grants and its pause (core/rateWindow), changed only under the
 * row's ETag, so two instances can never both take the last slot of a window.
 *
 * Each registry is its own partition: a partition is served by one server with its own
 * throughput target, and rows of different registries are never read together.
 */

const ROW_KEY = 'rate';
/** The column holding `serializeRateState`. */
const WINDOW = 'window';
/** An ETag race lost (412), a create race lost (409), or the row deleted since it was read (404). */
const CONFLICTS: readonly (number | undefined)[] = [412, 409, 404];

export interface RateGateOptions {
  /** Requests per second to one registry, across every instance (BACKFILL_REQUESTS_PER_SECOND); at most MAX_RATE_LIMIT. */
  limit: number;
  /** The sliding window, at least 1,000 ms; see DEFAULT_RATE_WINDOW_MS for why it is longer. */
  windowMs?: number;
  /**
   * The longest `gate` waits in one go: a pause beyond it (a long Retry-After) fails the
   * request with RateWaitTooLongError, a TransientError, so the queue retries its unit
   * later instead of an invocation sleeping towards the Functions timeout.
   */
  maxWaitMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_MAX_RATE_WAIT_MS = 60_000;

/** A registry paused (by a 429's Retry-After) for longer than a request may wait. */
export class RateWaitTooLongError extends TransientError {
  constructor(
    readonly registry: string,
    readonly waitMs: number,
    readonly maxWaitMs: number,
  ) {
    super(`requests to ${registry} are paused for another ${waitMs} ms, longer than the ${maxWaitMs} ms a request waits`, 429);
    this.name = 'RateWaitTooLongError';
  }
}

/** The row as this instance last read or wrote it; no ETag: absent, to be created. */
interface KnownRow {
  state: RateState;
  etag: string | undefined;
}

interface Waiter {
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** This instance's gate calls for one registry, served by one loop so they never race each other for the row. */
interface Lane {
  waiters: Waiter[];
  serving: boolean;
}

export class RateGate implements RequestGate {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #maxWaitMs: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #rows = new Map<string, KnownRow>();
  readonly #lanes = new Map<string, Lane>();

  constructor(
    private readonly tables: Tables,
    options: RateGateOptions,
  ) {
    const { limit, windowMs = DEFAULT_RATE_WINDOW_MS, maxWaitMs = DEFAULT_MAX_RATE_WAIT_MS } = options;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_RATE_LIMIT)
      throw new RangeError(`rate limit ${limit}: expected a whole number from 1 to ${MAX_RATE_LIMIT}`);
    if (!Number.isInteger(windowMs) || windowMs < 1_000) throw new RangeError(`rate window ${windowMs} ms: expected whole milliseconds, at least 1,000`);
    if (!(maxWaitMs >= 0)) throw new RangeError(`longest rate wait ${maxWaitMs} ms: expected 0 or more`);
    this.#limit = limit;
    this.#windowMs = windowMs;
    this.#maxWaitMs = maxWaitMs;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  gate(registry: string): Promise<void> {
    return new Promise((resolve, reject) => {
      let lane = this.#lanes.get(registry);
      if (!lane) {
        lane = { waiters: [], serving: false };
        this.#lanes.set(registry, lane);
      }
      lane.waiters.push({ resolve, reject });
      if (!lane.serving) void this.#serve(registry, lane);
    });
  }

  async throttled(registry: string, retryAfterMs: number): Promise<void> {
    if (!Number.isFinite(retryAfterMs) || retryAfterMs < 0) throw new RangeError(`Retry-After of ${retryAfterMs} ms from ${registry}: expected 0 or more`);
    for (let conflicts = 0; ;) {
      const row = this.#rows.get(registry) ?? (await this.#read(registry));
      const next = pauseUntil(row.state, this.#now() + Math.ceil(retryAfterMs));
      // A stored pause only ever grows, so one as long already known is one already stored.
      if (next === row.state) return;
      try {
        await this.#write(registry, row, next);
        return;
      } catch (e) {
        conflicts = this.#conflict(registry, e, conflicts, `pause requests to ${registry}`);
      }
    }
  }

  /** Grants this instance's waiters in batches, one conditional write each, until none is left. */
  async #serve(registry: string, lane: Lane): Promise<void> {
    lane.serving = true;
    try {
      while (lane.waiters.length > 0) {
        try {
          const granted = await this.#grant(registry, lane);
          for (const w of lane.waiters.splice(0, granted)) w.resolve();
        } catch (e) {
          // Those waiting shared the read or write that failed; their callers' queue retries.
          for (const w of lane.waiters.splice(0)) w.reject(e);
        }
      }
    } finally {
      lane.serving = false;
    }
  }

  /** Records a grant for as many of the lane's waiters as the window has room for (at least one), waiting while it has none. */
  async #grant(registry: string, lane: Lane): Promise<number> {
    for (let conflicts = 0; ;) {
      // Remembered rather than read: a row can only have gained grants and pauses since, so
      // a wait it asks for is never too long, and a write on its ETag fails if it is stale.
      const row = this.#rows.get(registry) ?? (await this.#read(registry));
      const now = this.#now();
      let state = row.state;
      let granted = 0;
      let waitMs = 0;
      // Read after any wait, so callers that arrived during it share this write.
      while (granted < lane.waiters.length) {
        const d = decide(state, now, this.#limit, this.#windowMs);
        if (!d.grant) {
          waitMs = d.waitMs;
          break;
        }
        state = d.state;
        granted++;
      }
      if (granted === 0) {
        if (waitMs > this.#maxWaitMs) throw new RateWaitTooLongError(registry, waitMs, this.#maxWaitMs);
        await this.#sleep(waitMs);
        // Every lost race until the window filled was another instance's grant: only races
        // lost without the window ever filling count towards giving up.
        conflicts = 0;
        continue;
      }
      try {
        await this.#write(registry, row, state);
      } catch (e) {
        conflicts = this.#conflict(registry, e, conflicts, `record a request to ${registry}`);
        continue;
      }
      // Recorded, but too long ago to send now without crowding a later second: those grants
      // stay counted (stricter, never looser) and the waiters ask again.
      if (this.#now() - now <= STALE_GRANT_MS) return granted;
    }
  }

  /**
   * After a failed write: a lost race forgets the row, to be read afresh; anything else is
   * thrown. Each race lost is another writer's grant or pause, so more than a window's worth
   * of them without a wait means something else keeps rewriting the row.
   */
  #conflict(registry: string, e: unknown, conflicts: number, what: string): number {
    if (!CONFLICTS.includes(statusOf(e))) throw e;
    this.#rows.delete(registry);
    const tries = conflicts + 1;
    if (tries > this.#limit + 10) throw new ConflictError(what, tries, { cause: e });
    return tries;
  }

  async #read(registry: string): Promise<KnownRow> {
    const client = await this.tables.get('rates');
    let entity: Record<string, unknown>;
    try {
      entity = await client.getEntity<Record<string, unknown>>(escapeKey(registry), ROW_KEY);
    } catch (e) {
      if (statusOf(e) !== 404) throw e;
      const absent = { state: EMPTY_RATE_STATE, etag: undefined };
      this.#rows.set(registry, absent);
      return absent;
    }
    const text = entity[WINDOW];
    const parsed = typeof text === 'string' ? parseRateState(text) : { issue: `expected text, got ${text === undefined ? 'nothing' : `a ${typeof text}`}` };
    if ('issue' in parsed) throw rowError(client.tableName, entity, `${WINDOW}: ${parsed.issue}`);
    const row = { state: parsed.state, etag: String(entity.etag) };
    this.#rows.set(registry, row);
    return row;
  }

  async #write(registry: string, row: KnownRow, state: RateState): Promise<void> {
    const client = await this.tables.get('rates');
    const entity = { partitionKey: escapeKey(registry), rowKey: ROW_KEY, [WINDOW]: serializeRateState(state) };
    const answer = row.etag === undefined ? await client.createEntity(entity) : await client.updateEntity(entity, 'Replace', { etag: row.etag });
    if (answer.etag) this.#rows.set(registry, { state, etag: answer.etag });
    else this.#rows.delete(registry);
  }
}
