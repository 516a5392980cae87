import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EffectivePolicy } from '../../src/core/policy';
import { evaluateRules, mayFind, type RuleInput } from '../../src/core/rules';

const MiB = 1024 * 1024;
const policy: EffectivePolicy = {
  growthPercent: 10,
  growthBytes: 10 * MiB,
  layerBytes: 100 * MiB,
  coldStartSeconds: 5,
  budgetBytes: null,
  baselineMode: 'previous',
  muted: false,
  improvements: true,
  findingBytes: null,
  minEfficiency: null,
  wastedBytes: null,
  wastedPercent: null,
  newFinding: false,
  matchedPattern: null,
};
const input = (over: Partial<RuleInput>): RuleInput => ({ sizeBytes: 0, addedLayers: [], coldStartDeltaSeconds: null, ...over });
const rules = (i: RuleInput, p: EffectivePolicy = policy) => evaluateRules(i, p).map((f) => f.rule);

describe('growth: at least 10% and at least 10 MiB', () => {
  const base = 100 * MiB; // 10% of it is exactly 10 MiB: both thresholds meet at +10 MiB
  it('fires at the threshold and above, not just below', () => {
    expect(rules(input({ baseline: { sizeBytes: base }, sizeBytes: base + 10 * MiB }))).toEqual(['growth']);
    expect(rules(input({ baseline: { sizeBytes: base }, sizeBytes: base + 10 * MiB + 1 }))).toEqual(['growth']);
    expect(rules(input({ baseline: { sizeBytes: base }, sizeBytes: base + 10 * MiB - 1 }))).toEqual([]);
  });
  it('needs both: 50% of a small image is not 10 MiB, 10 MiB of a huge image is not 10%', () => {
    expect(rules(input({ baseline: { sizeBytes: 4 * MiB }, sizeBytes: 6 * MiB }))).toEqual([]);
    expect(rules(input({ baseline: { sizeBytes: 1000 * MiB }, sizeBytes: 1015 * MiB }))).toEqual([]);
    const f = evaluateRules(input({ baseline: { sizeBytes: 30 * MiB }, sizeBytes: 45 * MiB }), policy)[0]!;
    expect(f).toMatchObject({ rule: 'growth', kind: 'regression', observed: 15 * MiB, threshold: 10 * MiB });
    expect(f.summary).toBe('Grew +15.0 MiB (+50%): at least 10% and 10.0 MiB');
  });
  it('never fires without a baseline or when nothing grew, even with zero thresholds', () => {
    expect(rules(input({ sizeBytes: 999 * MiB }))).toEqual([]);
    expect(rules(input({ baseline: { sizeBytes: 5 }, sizeBytes: 5 }), { ...policy, growthBytes: 0, growthPercent: 0 })).toEqual([]);
  });
});

describe('improvement: shrinking by the same thresholds', () => {
  it('fires at, not below, and can be turned off', () => {
    expect(rules(input({ baseline: { sizeBytes: 100 * MiB }, sizeBytes: 90 * MiB }))).toEqual(['improvement']);
    expect(rules(input({ baseline: { sizeBytes: 100 * MiB }, sizeBytes: 90 * MiB + 1 }))).toEqual([]);
    expect(rules(input({ baseline: { sizeBytes: 100 * MiB }, sizeBytes: 10 * MiB }), { ...policy, improvements: false })).toEqual([]);
    expect(evaluateRules(input({ baseline: { sizeBytes: 400 * MiB }, sizeBytes: 100 * MiB }), policy)[0]).toMatchObject({
      kind: 'improvement',
      summary: 'Shrank −300 MiB (−75%)',
    });
  });
});

describe('budget', () => {
  const withBudget = { ...policy, budgetBytes: 200 * MiB };
  it('fires above the budget, not at it', () => {
    expect(rules(input({ sizeBytes: 200 * MiB + 1 }), withBudget)).toEqual(['budget']);
    expect(rules(input({ sizeBytes: 200 * MiB }), withBudget)).toEqual([]);
  });
  it('fires when crossing or growing while over, not for an image that stays over without growing', () => {
    expect(rules(input({ baseline: { sizeBytes: 199 * MiB }, sizeBytes: 201 * MiB }), withBudget)).toEqual(['budget']);
    expect(rules(input({ baseline: { sizeBytes: 250 * MiB }, sizeBytes: 251 * MiB }), withBudget)).toEqual(['budget']);
    expect(rules(input({ baseline: { sizeBytes: 250 * MiB }, sizeBytes: 240 * MiB }), withBudget)).toEqual([]);
  });
});

describe('large new layer: over 100 MiB', () => {
  it('fires just above, not at, for layers new against a baseline', () => {
    const b = { baseline: { sizeBytes: 1000 * MiB }, sizeBytes: 1000 * MiB };
    expect(rules(input({ ...b, addedLayers: [{ sizeBytes: 100 * MiB + 1 }] }))).toEqual(['largeLayer']);
    expect(rules(input({ ...b, addedLayers: [{ sizeBytes: 100 * MiB }] }))).toEqual([]);
    expect(rules(input({ ...b, addedLayers: [] }))).toEqual([]);
  });
  it('fires on a first push too, where every layer is new', () => {
    const [f] = evaluateRules(input({ sizeBytes: 130 * MiB, addedLayers: [{ sizeBytes: 20 * MiB }, { sizeBytes: 110 * MiB }] }), policy);
    expect(f).toMatchObject({ rule: 'largeLayer', kind: 'regression', observed: 110 * MiB, threshold: 100 * MiB });
    expect(f!.summary).toBe('A new layer of 110 MiB, over the 100 MiB limit (first push: every layer is new)');
    expect(rules(input({ sizeBytes: 100 * MiB, addedLayers: [{ sizeBytes: 100 * MiB }] }))).toEqual([]);
  });
});

describe('ACI cold start: at least +5 s', () => {
  it('fires at and above, not below', () => {
    const b = { baseline: { sizeBytes: 1000 * MiB }, sizeBytes: 1000 * MiB };
    expect(rules(input({ ...b, coldStartDeltaSeconds: 5 }))).toEqual(['coldStart']);
    expect(rules(input({ ...b, coldStartDeltaSeconds: 5.01 }))).toEqual(['coldStart']);
    expect(rules(input({ ...b, coldStartDeltaSeconds: 4.99 }))).toEqual([]);
    expect(rules(input({ ...b, coldStartDeltaSeconds: null }))).toEqual([]);
  });
});

it('reports every rule that fires for one push', () => {
  const i = input({ baseline: { sizeBytes: 100 * MiB }, sizeBytes: 400 * MiB, addedLayers: [{ sizeBytes: 300 * MiB }], coldStartDeltaSeconds: 12 });
  expect(rules(i, { ...policy, budgetBytes: 300 * MiB })).toEqual(['growth', 'budget', 'largeLayer', 'coldStart']);
});

describe('mayFind: whether a stored point needs an evaluation', () => {
  it('never says no when the rules, with the layers, find something (property)', () => {
    const size = fc.integer({ min: 0, max: 400 * MiB });
    fc.assert(
      fc.property(
        fc.array(size, { maxLength: 5 }),
        fc.option(size, { nil: undefined }),
        fc.option(fc.double({ min: -30, max: 30, noNaN: true }), { nil: null }),
        fc.record({
          growthPercent: fc.integer({ min: 0, max: 50 }),
          growthBytes: fc.integer({ min: 0, max: 50 * MiB }),
          layerBytes: fc.integer({ min: 0, max: 200 * MiB }),
          coldStartSeconds: fc.integer({ min: 0, max: 20 }),
          budgetBytes: fc.option(size, { nil: null }),
          improvements: fc.boolean(),
        }),
        (added, baselineSize, cold, p) => {
          const addedBytes = added.reduce((s, n) => s + n, 0);
          const sizeBytes = 5 * MiB + addedBytes;
          const full = { ...policy, ...p };
          const exact = evaluateRules(
            {
              sizeBytes,
              ...(baselineSize !== undefined ? { baseline: { sizeBytes: baselineSize } } : {}),
              addedLayers: added.map((n) => ({ sizeBytes: n })),
              coldStartDeltaSeconds: cold,
            },
            full,
          );
          const point = {
            sizeBytes,
            ...(baselineSize !== undefined ? { baselineDigest: 'sha256:b', sizeDeltaBytes: sizeBytes - baselineSize } : { sizeDeltaBytes: null }),
            addedBytes,
            estimates: { pull: { aci: { coldStartDeltaSeconds: cold } } },
          };
          if (exact.length > 0) expect(mayFind(point, full)).toBe(true);
          // Every rule but the large layer reads only what the point stores: there the answer is exact.
          if (added.length <= 1) expect(mayFind(point, full)).toBe(exact.length > 0);
        },
      ),
      { numRuns: 2000, seed: 3 },
    );
  });

  it('says no for a push within every threshold, yes for one over any', () => {
    const point = { sizeBytes: 50 * MiB, baselineDigest: 'sha256:b', sizeDeltaBytes: MiB, addedBytes: MiB };
    expect(mayFind(point, policy)).toBe(false);
    expect(mayFind({ ...point, sizeDeltaBytes: 20 * MiB }, policy)).toBe(true);
    expect(mayFind(point, { ...policy, budgetBytes: 40 * MiB })).toBe(true);
    expect(mayFind({ ...point, addedBytes: 101 * MiB }, policy)).toBe(true);
    expect(mayFind({ ...point, estimates: { pull: { aci: { coldStartDeltaSeconds: 6 } } } }, policy)).toBe(true);
  });
});

describe('content rules (off unless set)', () => {
  const content = {
    efficiency: 0.8,
    wastedBytes: 30 * MiB,
    shippedBytes: 200 * MiB,
    findings: [
      { category: 'compiler', label: 'gcc and its support files', compressedBytes: 61 * MiB },
      { category: 'package-index', label: 'apt package lists', compressedBytes: 9 * MiB },
    ],
  };
  const first = input({ sizeBytes: 300 * MiB, content });
  const later = input({ sizeBytes: 300 * MiB, baseline: { sizeBytes: 300 * MiB }, content });

  it('stay silent without content, and with content when none is set', () => {
    expect(
      rules(input({ sizeBytes: 300 * MiB }), { ...policy, findingBytes: 1, minEfficiency: 1, wastedBytes: 0, wastedPercent: 0, newFinding: true }),
    ).toEqual([]);
    expect(rules(first)).toEqual([]);
    expect(rules(later)).toEqual([]);
  });

  it('finding: a first push with a finding of at least findingBytes compressed; never on a later push', () => {
    const f = evaluateRules(first, { ...policy, findingBytes: 20 * MiB });
    expect(f).toEqual([
      {
        rule: 'finding',
        kind: 'regression',
        summary: 'First push ships gcc and its support files (61.0 MiB compressed): at least 20.0 MiB',
        observed: 61 * MiB,
        threshold: 20 * MiB,
      },
    ]);
    expect(rules(first, { ...policy, findingBytes: 61 * MiB })).toEqual(['finding']);
    expect(rules(first, { ...policy, findingBytes: 61 * MiB + 1 })).toEqual([]);
    expect(rules(later, { ...policy, findingBytes: 1 })).toEqual([]);
  });

  it('minEfficiency, wastedBytes and wastedPercent: strictly past the threshold, like dive’s CI gates', () => {
    expect(rules(later, { ...policy, minEfficiency: 0.8 })).toEqual([]);
    expect(rules(later, { ...policy, minEfficiency: 0.81 })).toEqual(['minEfficiency']);
    expect(rules(later, { ...policy, wastedBytes: 30 * MiB })).toEqual([]);
    expect(rules(later, { ...policy, wastedBytes: 30 * MiB - 1 })).toEqual(['wastedBytes']);
    expect(rules(later, { ...policy, wastedPercent: 15 })).toEqual([]); // 30 of 200 MiB is exactly 15%
    expect(rules(later, { ...policy, wastedPercent: 14.9 })).toEqual(['wastedPercent']);
    expect(rules(input({ content: { ...content, shippedBytes: 0, wastedBytes: 0 } }), { ...policy, wastedPercent: 0 })).toEqual([]);
  });

  it('newFinding: a category the baseline did not have, only with the baseline’s content', () => {
    const p = { ...policy, newFinding: true };
    expect(rules(later, p)).toEqual([]); // no baseline content: nothing to compare with
    expect(rules({ ...later, baselineContent: { findings: [{ category: 'compiler', label: 'gcc', compressedBytes: 1 }] } }, p)).toEqual(['newFinding']);
    const both = { findings: content.findings };
    expect(rules({ ...later, baselineContent: both }, p)).toEqual([]);
    const f = evaluateRules({ ...later, baselineContent: { findings: [] } }, p)[0]!;
    expect(f.summary).toBe('New since the baseline: gcc and its support files (61.0 MiB compressed), apt package lists (9.0 MiB compressed)');
  });

  it('make every point worth an evaluation while one is on (its content is read after the point)', () => {
    const quiet = { sizeBytes: 10, baselineDigest: 'sha256:b', sizeDeltaBytes: 0, addedBytes: 0 };
    expect(mayFind(quiet, policy)).toBe(false);
    expect(mayFind(quiet, { ...policy, findingBytes: 1 })).toBe(false); // a later push: the first-push rule cannot fire
    expect(mayFind({ sizeBytes: 10, sizeDeltaBytes: null, addedBytes: 10 }, { ...policy, findingBytes: 1 })).toBe(true);
    for (const on of [{ minEfficiency: 0.9 }, { wastedBytes: 0 }, { wastedPercent: 10 }, { newFinding: true }])
      expect(mayFind(quiet, { ...policy, ...on })).toBe(true);
  });
});

describe('content rule summaries', () => {
  it('state shares as shares, not as changes', () => {
    const c = { efficiency: 0.874, wastedBytes: 31 * MiB, shippedBytes: 200 * MiB, findings: [] };
    const [eff, pct] = evaluateRules(input({ content: c }), { ...policy, minEfficiency: 0.9, wastedPercent: 10 });
    expect(eff!.summary).toBe("Efficiency 87.4% (dive's score), under the 90.0% minimum");
    expect(pct!.summary).toBe('15.5% of the bytes shipped is wasted, over 10%');
  });
});
