import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RATE_WINDOW_MS,
  EMPTY_RATE_STATE,
  MAX_RATE_LIMIT,
  MAX_RATE_STATE_CHARS,
  decide,
  parseRateState,
  pauseUntil,
  serializeRateState,
  type RateState,
} from '../../src/core/rateWindow';

/** Decides at each time in turn, keeping what is granted; the times granted. */
function run(times: readonly number[], limit: number, windowMs: number, start: RateState = EMPTY_RATE_STATE): { granted: number[]; state: RateState } {
  let state = start;
  const granted: number[] = [];
  for (const now of times) {
    const d = decide(state, now, limit, windowMs);
    if (d.grant) {
      state = d.state;
      granted.push(now);
    }
  }
  return { granted, state };
}

/** Whether some half-open interval of `windowMs` holds more than `limit` of `times`. */
function overLimit(times: readonly number[], limit: number, windowMs: number): boolean {
  const sorted = [...times].sort((a, b) => a - b);
  return sorted.some((t, i) => i + limit < sorted.length && sorted[i + limit]! - t < windowMs);
}

describe('decide', () => {
  it('grants up to the limit within a window, then says how long until the oldest grant leaves it', () => {
    const { granted, state } = run([0, 10, 20, 30], 3, 1_000);
    expect(granted).toEqual([0, 10, 20]);
    expect(decide(state, 30, 3, 1_000)).toEqual({ grant: false, waitMs: 970 });
    expect(decide(state, 999, 3, 1_000)).toEqual({ grant: false, waitMs: 1 });
    expect(decide(state, 1_000, 3, 1_000)).toMatchObject({ grant: true, state: { grants: [10, 20, 1_000] } });
  });

  it('slides: a window that straddles a second boundary still holds the limit', () => {
    // Fixed one-second windows would grant at 1,050 ([1,000, 2,000) holds one grant so far).
    const { state } = run([900, 1_000], 2, 1_000);
    expect(decide(state, 1_050, 2, 1_000)).toEqual({ grant: false, waitMs: 850 });
  });

  it('keeps only the newest `limit` grants, in order', () => {
    const { state } = run([0, 2_000, 4_000, 6_000], 2, 1_000);
    expect(state.grants).toEqual([4_000, 6_000]);
  });

  it('counts grants an instance with a clock ahead recorded "in the future", and keeps them in order', () => {
    const ahead = run([5_000, 5_010], 3, 1_000).state;
    // An instance 600 ms behind: the two grants are in its window although after its now.
    expect(decide(ahead, 4_400, 2, 1_000)).toEqual({ grant: false, waitMs: 1_600 });
    expect(decide(ahead, 4_400, 3, 1_000)).toMatchObject({ grant: true, state: { grants: [4_400, 5_000, 5_010] } });
  });

  it('waits for enough grants to leave when the stored state holds more than a lowered limit', () => {
    const { state } = run([0, 100, 200, 300], 4, 1_000);
    expect(decide(state, 400, 2, 1_000)).toEqual({ grant: false, waitMs: 1_200 - 400 });
    expect(decide(state, 1_200, 2, 1_000)).toMatchObject({ grant: true, state: { grants: [300, 1_200] } });
  });

  it('grants nothing while paused, then grants again with the window as it was', () => {
    const paused = pauseUntil(run([0], 5, 1_000).state, 1_500);
    expect(decide(paused, 100, 5, 1_000)).toEqual({ grant: false, waitMs: 1_400 });
    expect(decide(paused, 1_499, 5, 1_000)).toEqual({ grant: false, waitMs: 1 });
    expect(decide(paused, 1_500, 5, 1_000)).toMatchObject({ grant: true, state: { grants: [0, 1_500], pausedUntil: 1_500 } });
  });

  it('keeps the longer of two pauses', () => {
    const long = pauseUntil(EMPTY_RATE_STATE, 9_000);
    expect(pauseUntil(long, 5_000)).toBe(long);
    expect(pauseUntil(long, 12_000).pausedUntil).toBe(12_000);
  });

  it('never lets a window hold more than the limit, for any arrival times in any order', () => {
    // Arrivals within a few windows, so many fall exactly on a window's edge.
    const scenario = fc.record({ limit: fc.integer({ min: 1, max: 20 }), windowMs: fc.integer({ min: 1, max: 1_500 }) }).chain(({ limit, windowMs }) =>
      fc.record({
        limit: fc.constant(limit),
        windowMs: fc.constant(windowMs),
        arrivals: fc.array(fc.integer({ min: 0, max: 4 * windowMs }), { maxLength: 300 }),
        inOrder: fc.boolean(),
      }),
    );
    fc.assert(
      fc.property(scenario, ({ limit, windowMs, arrivals, inOrder }) => {
        const times = inOrder ? [...arrivals].sort((a, b) => a - b) : arrivals;
        const { granted } = run(times, limit, windowMs);
        expect(overLimit(granted, limit, windowMs)).toBe(false);
      }),
      { numRuns: 1_000 },
    );
  });

  it('says exactly how long to wait: refused a millisecond before, granted at it (no busy retry, no lost slot)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 3_000 }),
        fc.array(fc.integer({ min: 0, max: 20_000 }), { maxLength: 200 }),
        fc.integer({ min: 0, max: 25_000 }),
        fc.option(fc.integer({ min: 0, max: 25_000 }), { nil: undefined }),
        (limit, windowMs, arrivals, now, paused) => {
          const base = run(
            [...arrivals].sort((a, b) => a - b),
            limit,
            windowMs,
          ).state;
          const state = paused === undefined ? base : pauseUntil(base, paused);
          const d = decide(state, now, limit, windowMs);
          if (d.grant) return;
          expect(d.waitMs).toBeGreaterThan(0);
          if (d.waitMs > 1) expect(decide(state, now + d.waitMs - 1, limit, windowMs).grant).toBe(false);
          expect(decide(state, now + d.waitMs, limit, windowMs).grant).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('applies a rate when every request waits as told and asks again', () => {
    // 40 requests at once, 10 per window (1,200 ms): granted in four bursts, the last 3,600 ms after the first.
    const waiting = Array.from({ length: 40 }, () => 0);
    let state = EMPTY_RATE_STATE;
    const granted: number[] = [];
    while (waiting.length > 0) {
      waiting.sort((a, b) => a - b);
      const now = waiting.shift()!;
      const d = decide(state, now, 10, DEFAULT_RATE_WINDOW_MS);
      if (d.grant) {
        state = d.state;
        granted.push(now);
      } else waiting.push(now + d.waitMs);
    }
    expect(overLimit(granted, 10, DEFAULT_RATE_WINDOW_MS)).toBe(false);
    expect(new Set(granted)).toEqual(new Set([0, 1_200, 2_400, 3_600]));
  });
});

describe('rate state text', () => {
  const stateArb = fc
    .record({
      grants: fc.array(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), { maxLength: MAX_RATE_LIMIT }),
      pausedUntil: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    })
    .map(({ grants, pausedUntil }) => ({ grants: grants.sort((a, b) => a - b), pausedUntil }));

  it('round-trips, within the documented size', () => {
    fc.assert(
      fc.property(stateArb, (state) => {
        const text = serializeRateState(state);
        expect(text.length).toBeLessThanOrEqual(MAX_RATE_STATE_CHARS);
        expect(parseRateState(text)).toEqual({ state });
      }),
      { numRuns: 300 },
    );
    expect(parseRateState(serializeRateState(EMPTY_RATE_STATE))).toEqual({ state: EMPTY_RATE_STATE });
  });

  it('stores a busy window in a few characters a grant, and the worst case well inside a 64 KiB string property', () => {
    const busy = run(
      Array.from({ length: MAX_RATE_LIMIT }, (_, i) => 1_798_000_000_000 + i * 2),
      MAX_RATE_LIMIT,
      DEFAULT_RATE_WINDOW_MS,
    ).state;
    expect(busy.grants).toHaveLength(MAX_RATE_LIMIT);
    expect(serializeRateState(busy)).toBe(`0;1798000000000${',2'.repeat(MAX_RATE_LIMIT - 1)}`);
    const worst = { grants: Array.from({ length: MAX_RATE_LIMIT }, () => Number.MAX_SAFE_INTEGER), pausedUntil: Number.MAX_SAFE_INTEGER };
    worst.grants[0] = 0;
    expect(serializeRateState(worst).length).toBeLessThanOrEqual(MAX_RATE_STATE_CHARS);
    // In UTF-16 bytes, under half what the property holds.
    expect(MAX_RATE_STATE_CHARS * 2).toBeLessThan((64 * 1024) / 2);
  });

  it('refuses more grants than a stored state holds', () => {
    const state = { grants: Array.from({ length: MAX_RATE_LIMIT + 1 }, (_, i) => i), pausedUntil: 0 };
    expect(() => serializeRateState(state)).toThrow(RangeError);
    expect(parseRateState(`0;${state.grants.map(() => 1).join(',')}`)).toEqual({
      issue: `${MAX_RATE_LIMIT + 1} grants, over the ${MAX_RATE_LIMIT} a stored rate state holds`,
    });
  });

  it('says what is wrong with text it did not write', () => {
    for (const text of ['', '0', '0;1,,2', '0;-1', '0;1.5', 'x;1', '0;1,2,', ' 0;1'])
      expect(parseRateState(text)).toEqual({ issue: expect.stringContaining('expected') });
    expect(parseRateState(`0;${Number.MAX_SAFE_INTEGER},1`)).toEqual({ issue: 'a time beyond 2^53 ms' });
  });
});
