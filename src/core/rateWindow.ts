/**
 * A sliding-window request rate shared through one stored value: the times of the most
 * recent grants and a pause (a registry's 429 Retry-After). Every instance decides on the
 * same state and records its grant in it, so the rate holds across all of them.
 *
 * Grant times are the deciding instance's clock, in ms. A grant is allowed when fewer
 * than `limit` recorded grants are later than `now - windowMs`, grants recorded "in the
 * future" (by an instance whose clock runs ahead) included: then no half-open interval of
 * `windowMs` ever holds more than `limit` recorded grants, in whatever order the
 * instances' clocks make them arrive.
 */

export interface RateState {
  /** Ascending; at most `limit` of them (the newest), since older ones can no longer refuse anything. */
  readonly grants: readonly number[];
  /** No grant before this time (ms); 0 when never paused. */
  readonly pausedUntil: number;
}

export type RateDecision = { grant: true; state: RateState } | { grant: false; waitMs: number };

export const EMPTY_RATE_STATE: RateState = { grants: [], pausedUntil: 0 };

/**
 * A grant is recorded when it is decided, but its request reaches the registry later (the
 * conditional write that records it, then the request's own trip). If every request
 * arrives within d ms of its recorded time, requests in any 1,000 ms at the registry were
 * recorded within 1,000 + d ms: a window of 1,200 ms keeps any registry second at `limit`
 * while d, plus the skew between instances' clocks, stays under 200 ms. The gate drops a
 * grant whose write took longer than STALE_GRANT_MS (it asks again), so d is that write
 * plus the request's own trip. (A 1,100 ms window let 21 of 20 through in a second while
 * the whole test suite loaded both cores.)
 */
export const DEFAULT_RATE_WINDOW_MS = 1_200;

/** A grant recorded this long before its write came back is not used: its request would reach the registry too long after its recorded time. */
export const STALE_GRANT_MS = 100;

/**
 * The state is stored in one Table Storage string property (at most 64 KiB: 32K UTF-16
 * characters). At this many grants even the worst case (every number 16 digits) is about
 * 8,500 characters, a quarter of that, and per-second rates beyond it are not ones a
 * registry would be asked to serve a backfill at.
 */
export const MAX_RATE_LIMIT = 500;

/** Longest `serializeRateState` output: a 16-digit pause, and per grant 16 digits and a separator. */
export const MAX_RATE_STATE_CHARS = 16 + 1 + MAX_RATE_LIMIT * 17;

export function decide(state: RateState, now: number, limit: number, windowMs: number): RateDecision {
  const grants = state.grants;
  // The window has room once the limit-th newest grant has left it (a state stored under a
  // higher limit may hold more than `limit`); the pause, once it is over: both must hold.
  const opens = grants.length >= limit ? grants[grants.length - limit]! + windowMs : -Infinity;
  const earliest = Math.max(opens, state.pausedUntil);
  if (now < earliest) return { grant: false, waitMs: earliest - now };
  const next = [...grants];
  let at = next.length;
  while (at > 0 && next[at - 1]! > now) at--;
  next.splice(at, 0, now);
  return { grant: true, state: { grants: next.slice(-limit), pausedUntil: state.pausedUntil } };
}

/** A 429's Retry-After: no grant until `until`, unless an earlier one already pauses longer. */
export function pauseUntil(state: RateState, until: number): RateState {
  return until > state.pausedUntil ? { grants: state.grants, pausedUntil: until } : state;
}

/**
 * `<pausedUntil>;<first grant>,<delta>,<delta>…`: times as decimal ms (readable in Storage
 * Explorer), each grant after the first as its distance from the one before, which within
 * a busy window is a few digits.
 */
export function serializeRateState(state: RateState): string {
  if (state.grants.length > MAX_RATE_LIMIT) throw new RangeError(`${state.grants.length} grants, over the ${MAX_RATE_LIMIT} a stored rate state holds`);
  const parts = state.grants.map((t, i) => (i === 0 ? t : t - state.grants[i - 1]!));
  return `${state.pausedUntil};${parts.join(',')}`;
}

const STATE_TEXT = /^(\d{1,16});(\d{1,16}(?:,\d{1,16})*)?$/;

/** The state `serializeRateState` wrote, or what is wrong with the text. */
export function parseRateState(text: string): { state: RateState } | { issue: string } {
  const match = STATE_TEXT.exec(text);
  if (!match) return { issue: 'expected "<pausedUntil>;<grant>,<delta>,…" in decimal ms' };
  const pausedUntil = Number(match[1]);
  const parts = match[2] === undefined ? [] : match[2].split(',').map(Number);
  if (parts.length > MAX_RATE_LIMIT) return { issue: `${parts.length} grants, over the ${MAX_RATE_LIMIT} a stored rate state holds` };
  const grants: number[] = [];
  for (const part of parts) grants.push(grants.length === 0 ? part : grants[grants.length - 1]! + part);
  if (![pausedUntil, ...grants].every(Number.isSafeInteger)) return { issue: 'a time beyond 2^53 ms' };
  return { state: { grants, pausedUntil } };
}
