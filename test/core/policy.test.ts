import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import {
  effectivePolicy,
  globMatches,
  MAX_POLICY_PATTERN_LENGTH,
  matchPolicy,
  PolicySchema,
  StoredPolicySchema,
  type PolicyDefaults,
  type StoredPolicy,
} from '../../src/core/policy';

/** The regex translation globs used before: correct, but exponential on `*a*a*a…*b`. Kept as the oracle. */
function oldGlobToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  return new RegExp(
    `^${escaped
      .replace(/\*\*/g, '\u0000')
      .replace(/\*/g, '[^/]*')
      // eslint-disable-next-line no-control-regex -- NUL marks `**` while `*` is rewritten: the old translation, kept verbatim
      .replace(/\u0000/g, '.*')}$`,
  );
}

const defaults: PolicyDefaults = {
  growthPercent: 10,
  growthBytes: 10,
  layerBytes: 100,
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
};

describe('policy matching', () => {
  it('matches * within a segment and ** across segments', () => {
    expect(globMatches('team-a/*', 'team-a/api')).toBe(true);
    expect(globMatches('team-a/*', 'team-a/svc/api')).toBe(false);
    expect(globMatches('team-a/**', 'team-a/svc/api')).toBe(true);
    expect(globMatches('team-a/**', 'team-a/')).toBe(true);
    expect(globMatches('*.io', 'axio')).toBe(false); // dots are literal
    expect(globMatches('*.io', 'a.io')).toBe(true);
    expect(globMatches('*', '')).toBe(true);
    expect(globMatches('a*', 'a/b')).toBe(false);
    expect(globMatches('**/api', 'x/y/api')).toBe(true);
    expect(globMatches('***', 'x/y')).toBe(true);
    expect(globMatches('', '')).toBe(true);
    expect(globMatches('', 'a')).toBe(false);
  });

  it('agrees with the old regex translation on small patterns and names', () => {
    const ch = (chars: string) => fc.constantFrom(...chars.split(''));
    fc.assert(
      fc.property(fc.array(ch('ab/*.-'), { maxLength: 10 }), fc.array(ch('ab/.-'), { maxLength: 12 }), (p, n) => {
        const pattern = p.join('');
        const name = n.join('');
        expect(globMatches(pattern, name)).toBe(oldGlobToRegExp(pattern).test(name));
      }),
      { numRuns: 20_000, seed: 8 },
    );
  });

  it('answers the worst case for a backtracking matcher in milliseconds', () => {
    // `*a*a…*a*b` against `aaa…a`: the regex translation tries every way to split the name between the stars.
    const pattern = ('*a'.repeat(MAX_POLICY_PATTERN_LENGTH / 2 - 1) + '*b').slice(0, MAX_POLICY_PATTERN_LENGTH);
    const globstars = ('**a'.repeat(85) + 'b').slice(0, MAX_POLICY_PATTERN_LENGTH);
    const name = 'a'.repeat(256);
    expect(pattern).toHaveLength(MAX_POLICY_PATTERN_LENGTH);
    const started = performance.now();
    expect(globMatches(pattern, name)).toBe(false);
    expect(globMatches(globstars, name)).toBe(false);
    expect(globMatches(pattern.slice(0, -1) + 'a', name)).toBe(true);
    expect(performance.now() - started).toBeLessThan(50);
  });

  it('prefers the exact name, then the most specific glob', () => {
    const policies = ['team-a/*', 'team-a/api-*', '**', 'team-a/api-gw'].map((pattern) => ({ pattern, policy: {} }));
    expect(matchPolicy('team-a/api-gw', policies)?.pattern).toBe('team-a/api-gw');
    expect(matchPolicy('team-a/api-x', policies)?.pattern).toBe('team-a/api-*');
    expect(matchPolicy('team-a/web', policies)?.pattern).toBe('team-a/*');
    expect(matchPolicy('other/x', policies)?.pattern).toBe('**');
    expect(matchPolicy('other/x', [])).toBeUndefined();
  });

  it('overrides only what the policy sets, and can remove a default budget', () => {
    const e = effectivePolicy({ ...defaults, budgetBytes: 500 }, 'team-a/api', [
      { pattern: 'team-a/*', policy: { growthPercent: 25, budgetBytes: null, muted: true } },
    ]);
    expect(e).toEqual({ ...defaults, growthPercent: 25, budgetBytes: null, muted: true, matchedPattern: 'team-a/*' });
    expect(effectivePolicy(defaults, 'x', [])).toEqual({ ...defaults, matchedPattern: null });
  });

  it('validates stored policies strictly', () => {
    expect(PolicySchema.safeParse({ growthPercent: 10, teamsRoute: 'https://prod-01.westus.logic.azure.com/workflows/x' }).success).toBe(true);
    const bad = PolicySchema.safeParse({ growthPercnt: 10, layerBytes: -1, teamsRoute: 'ftp://x', budgetBytes: 0 });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => i.path.join('.') || i.message).sort()).toEqual(
      ['budgetBytes', 'layerBytes', 'teamsRoute', expect.stringMatching(/growthPercnt/)].sort(),
    );
  });
});

describe('StoredPolicySchema', () => {
  it('describes StoredPolicy field for field, so reading through it drops nothing', () => {
    expectTypeOf<z.output<typeof StoredPolicySchema>>().toEqualTypeOf<StoredPolicy>();
  });

  it('reads back a stored policy unchanged, and refuses one whose policy no longer validates', () => {
    const stored: StoredPolicy = {
      pattern: 'team-a/*',
      policy: { growthPercent: 5, baselineMode: 'sameTag', budgetBytes: null },
      updatedAt: '2026-11-27T10:00:00.000Z',
    };
    expect(StoredPolicySchema.parse(stored)).toEqual(stored);
    expect(StoredPolicySchema.safeParse({ ...stored, policy: { growthPercent: 5, retired: true } }).success).toBe(false);
  });
});

describe('content rules in a policy', () => {
  it('accepts them, refuses out-of-range values, and falls back to the defaults (off, or ALERT_FINDING_BYTES)', () => {
    expect(PolicySchema.parse({ minEfficiency: 0.9, wastedBytes: 0, wastedPercent: 12.5, newFinding: true, findingBytes: null })).toEqual({
      minEfficiency: 0.9,
      wastedBytes: 0,
      wastedPercent: 12.5,
      newFinding: true,
      findingBytes: null,
    });
    for (const bad of [
      { minEfficiency: 1.5 },
      { minEfficiency: -0.1 },
      { wastedPercent: 101 },
      { wastedBytes: -1 },
      { findingBytes: 0 },
      { newFinding: 'yes' },
    ])
      expect(PolicySchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    const withDefaults = { ...defaults, findingBytes: 20 * 1024 * 1024 };
    const effective = effectivePolicy(withDefaults, 'team/api', [{ pattern: 'team/*', policy: { wastedPercent: 10, findingBytes: null } }]);
    expect(effective).toMatchObject({ wastedPercent: 10, findingBytes: null, minEfficiency: null, wastedBytes: null, newFinding: false });
    expect(effectivePolicy(withDefaults, 'other/api', [])).toMatchObject({ findingBytes: 20 * 1024 * 1024, wastedPercent: null });
  });
});
