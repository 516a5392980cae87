import { describe, expect, it } from 'vitest';
import { effectivePolicy, globToRegExp, matchPolicy, PolicySchema, type PolicyDefaults } from '../../src/core/policy';

const defaults: PolicyDefaults = { growthPercent: 10, growthBytes: 10, layerBytes: 100, coldStartSeconds: 5, budgetBytes: null, baselineMode: 'previous', muted: false, improvements: true };

describe('policy matching', () => {
  it('matches * within a segment and ** across segments', () => {
    expect(globToRegExp('team-a/*').test('team-a/api')).toBe(true);
    expect(globToRegExp('team-a/*').test('team-a/svc/api')).toBe(false);
    expect(globToRegExp('team-a/**').test('team-a/svc/api')).toBe(true);
    expect(globToRegExp('*.io').test('axio')).toBe(false); // dots are literal
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
    const e = effectivePolicy({ ...defaults, budgetBytes: 500 }, 'team-a/api', [{ pattern: 'team-a/*', policy: { growthPercent: 25, budgetBytes: null, muted: true } }]);
    expect(e).toEqual({ ...defaults, growthPercent: 25, budgetBytes: null, muted: true, matchedPattern: 'team-a/*' });
    expect(effectivePolicy(defaults, 'x', [])).toEqual({ ...defaults, matchedPattern: null });
  });

  it('validates stored policies strictly', () => {
    expect(PolicySchema.safeParse({ growthPercent: 10, teamsRoute: 'https://prod-01.westus.logic.azure.com/workflows/x' }).success).toBe(true);
    const bad = PolicySchema.safeParse({ growthPercnt: 10, layerBytes: -1, teamsRoute: 'ftp://x', budgetBytes: 0 });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => i.path.join('.') || i.message).sort()).toEqual(['budgetBytes', 'layerBytes', 'teamsRoute', expect.stringMatching(/growthPercnt/)].sort());
  });
});
