import { describe, expect, it } from 'vitest';
import { formatDuration, fractionDone, progressLine } from '../../src/cli/backfill';
import type { RunProgress } from '../../src/core/listing';

const progress = (over: Partial<RunProgress>): RunProgress => ({
  id: 'r1',
  kind: 'backfill',
  registry: 'localhost:5443',
  state: 'running',
  startedAt: '2026-12-04T00:00:00.000Z',
  repositories: { done: 0, total: 0, listed: false },
  tagsFound: 0,
  eventsQueued: 0,
  eventsProcessed: 0,
  requests: 0,
  errors: [],
  ...over,
});

describe('the backfill command’s progress bar', () => {
  it('weighs the listing and the processing half each, and is whole once done', () => {
    expect(fractionDone(progress({}))).toBe(0);
    expect(fractionDone(progress({ repositories: { done: 5, total: 10, listed: true }, eventsQueued: 40, eventsProcessed: 10 }))).toBeCloseTo(0.375);
    expect(fractionDone(progress({ state: 'done', repositories: { done: 10, total: 10, listed: true }, eventsQueued: 40, eventsProcessed: 40 }))).toBe(1);
    expect(fractionDone(progress({ repositories: { done: 0, total: 0, listed: true } }))).toBe(1);
    // Listed but not yet read, nothing queued: not half done.
    expect(fractionDone(progress({ repositories: { done: 0, total: 6, listed: true } }))).toBe(0);
  });

  it('shows the counts, an unfinished total with a +, and an ETA from the pace so far', () => {
    const line = progressLine(
      progress({
        repositories: { done: 5, total: 10, listed: false },
        tagsFound: 50,
        eventsQueued: 40,
        eventsProcessed: 20,
        errors: [{ at: '', reason: 'x' }],
      }),
      30_000,
      10,
    );
    expect(line).toBe('[#####.....] 50% · repositories 5/10+ · tags 50 · events 20/40 · errors 1 · ETA 0:30');
    expect(formatDuration(3_725_000)).toBe('1:02:05');
    expect(formatDuration(-5)).toBe('0:00');
  });
});
