import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  baselineFromNearest,
  mayBeBaseline,
  selectBaseline,
  walkContinues,
  type BaselineMode,
  type ComparedIdentity,
  type PointIdentity,
} from '../../src/core/baseline';

const p = (day: number, tag: string, digest: string): PointIdentity => ({ pushedAt: `2026-11-${String(day).padStart(2, '0')}T00:00:00.000Z`, tag, digest });

describe('the baseline rule', () => {
  it('is the latest strictly earlier point with another digest, of the same tag in sameTag mode', () => {
    const newestFirst = [p(4, 'main', 'c'), p(3, 'again', 'b'), p(2, 'feature', 'b'), p(1, 'main', 'a')];
    expect(selectBaseline(newestFirst, p(4, 'main', 'd'), 'previous')).toEqual(p(3, 'again', 'b'));
    expect(selectBaseline(newestFirst, p(5, 'main', 'b'), 'previous')).toEqual(p(4, 'main', 'c'));
    expect(selectBaseline(newestFirst, p(5, 'main', 'd'), 'sameTag')).toEqual(p(4, 'main', 'c'));
    expect(selectBaseline(newestFirst, p(4, 'feature', 'd'), 'sameTag')).toEqual(p(2, 'feature', 'b'));
    expect(selectBaseline(newestFirst, p(1, 'main', 'z'), 'previous')).toBeUndefined();
    expect(mayBeBaseline(p(1, 'a', 'x'), p(1, 'b', 'y'), 'previous')).toBe(false);
  });

  /**
   * The walk's stopping rule is what lets a late point fix only the points it affects: on
   * any history, inserting a point changes the baseline of no point after the first
   * group (by push time) where no point has the inserted one as its baseline.
   */
  it('stops the forward walk only where no later point can compare with the landed one (property)', () => {
    const history = fc.array(fc.record({ day: fc.integer({ min: 1, max: 12 }), tag: fc.constantFrom('a', 'b'), digest: fc.constantFrom('x', 'y', 'z', 'w') }), {
      maxLength: 14,
    });
    fc.assert(
      fc.property(
        history,
        fc.record({ day: fc.integer({ min: 1, max: 12 }), tag: fc.constantFrom('a', 'b'), digest: fc.constantFrom('x', 'y', 'z', 'w') }),
        fc.constantFrom<BaselineMode>('previous', 'sameTag'),
        (raw, ins, mode) => {
          const uniq = new Map(raw.map((r) => [`${r.tag}|${r.digest}`, p(r.day, r.tag, r.digest)]));
          const landed = p(ins.day, ins.tag, ins.digest);
          if (uniq.has(`${landed.tag}|${landed.digest}`)) return;
          const before = [...uniq.values()];
          const after = [...before, landed];
          const baselineIn = (all: PointIdentity[], q: PointIdentity) =>
            selectBaseline(
              [...all].sort((a, b) => b.pushedAt.localeCompare(a.pushedAt) || b.tag.localeCompare(a.tag)),
              q,
              mode,
            );
          const later = before
            .filter((q) => q.pushedAt > landed.pushedAt && (mode === 'previous' || q.tag === landed.tag))
            .sort((a, b) => a.pushedAt.localeCompare(b.pushedAt));
          const groups = new Map<string, PointIdentity[]>();
          for (const q of later) groups.set(q.pushedAt, [...(groups.get(q.pushedAt) ?? []), q]);
          let stoppedAfter: string | undefined;
          for (const [at, group] of groups) {
            const described = group.map((q) => {
              const b = baselineIn(after, q);
              return b ? { baselineTag: b.tag, baselineDigest: b.digest } : {};
            });
            if (!walkContinues(described, landed)) {
              stoppedAfter = at;
              break;
            }
          }
          if (stoppedAfter === undefined) return;
          for (const q of before.filter((q) => q.pushedAt > stoppedAfter)) {
            expect(baselineIn(after, q)).toEqual(baselineIn(before, q));
          }
        },
      ),
      { numRuns: 2000, seed: 8 },
    );
  });

  /**
   * The one-read baseline: on any history whose points were each compared under a rule
   * (mostly the current one), the nearest earlier group gives the same baseline as the
   * full walk, or says it cannot tell (compared under another rule), never a wrong one.
   */
  it('reads the baseline off the nearest earlier group exactly as the full walk finds it (property)', () => {
    const entry = fc.record({
      day: fc.integer({ min: 1, max: 8 }),
      tag: fc.constantFrom('a', 'b'),
      digest: fc.constantFrom('x', 'y', 'z'),
      mode: fc.constantFrom<BaselineMode | undefined>('previous', 'previous', 'sameTag', 'sameTag', undefined),
    });
    let told = 0;
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 16 }), entry, fc.constantFrom<BaselineMode>('previous', 'sameTag'), (raw, next, mode) => {
        const byKey = new Map(raw.map((r) => [`${r.tag}|${r.digest}`, r]));
        const identities = [...byKey.values()].map((r) => ({ ...p(r.day, r.tag, r.digest), mode: r.mode }));
        // Index order: newest first, then by key within one time.
        const newestFirst = (all: typeof identities) =>
          [...all].sort((a, b) => b.pushedAt.localeCompare(a.pushedAt) || a.tag.localeCompare(b.tag) || a.digest.localeCompare(b.digest));
        const stored: ComparedIdentity[] = newestFirst(identities).map((q) => {
          if (!q.mode) return { pushedAt: q.pushedAt, tag: q.tag, digest: q.digest };
          const b = selectBaseline(newestFirst(identities), q, q.mode);
          return { pushedAt: q.pushedAt, tag: q.tag, digest: q.digest, baselineMode: q.mode, ...(b ? { baselineTag: b.tag, baselineDigest: b.digest } : {}) };
        });
        const point = p(next.day, next.tag, next.digest);
        const earlier = stored.filter((q) => q.pushedAt < point.pushedAt && (mode === 'previous' || q.tag === point.tag));
        const group = earlier.filter((q) => q.pushedAt === earlier[0]?.pushedAt);
        const expected = selectBaseline(stored, point, mode);
        const found = baselineFromNearest(group, point, mode);
        if (found === undefined) return;
        told++;
        expect(found).toEqual(expected ? { tag: expected.tag, digest: expected.digest } : null);
      }),
      { numRuns: 3000, seed: 10 },
    );
    expect(told).toBeGreaterThan(2000);
  });
});
