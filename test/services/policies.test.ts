import { describe, expect, it } from 'vitest';
import type { Policy, StoredPolicy } from '../../src/core/policy';
import { describePolicy, removePolicy, savePolicy, type PolicyStore } from '../../src/services/policies';
import { POLICY } from './world';

class MemoryPolicies implements PolicyStore {
  readonly rows = new Map<string, StoredPolicy>();
  async list(registry: string) {
    return [...this.rows.entries()].filter(([k]) => k.startsWith(`${registry}|`)).map(([, v]) => v);
  }
  async get(registry: string, pattern: string) {
    return this.rows.get(`${registry}|${pattern}`);
  }
  async put(registry: string, pattern: string, policy: Policy, at: string) {
    const created = !this.rows.has(`${registry}|${pattern}`);
    const stored = { pattern, policy, updatedAt: at };
    this.rows.set(`${registry}|${pattern}`, stored);
    return { created, stored };
  }
  async delete(registry: string, pattern: string) {
    return this.rows.delete(`${registry}|${pattern}`);
  }
}

const { matchedPattern: _m, ...defaults } = POLICY;
const route = 'https://example.webhook.office.com/workflows/abc?sig=SECRET';

function deps() {
  const policies = new MemoryPolicies();
  return {
    policies,
    policyDefaults: defaults,
    routeProblem: (url: string) => (url.startsWith('https://example.webhook.office.com/') ? undefined : 'host is not in TEAMS_ALLOWED_HOSTS'),
    now: () => new Date('2026-06-01T00:00:00Z'),
  };
}

describe('policies service', () => {
  it('stores a valid policy, answers it with the route signature redacted, and applies it to matching repositories', async () => {
    const d = deps();
    const saved = await savePolicy(d, 'r', 'team-a/*', { growthPercent: 5, teamsRoute: route });
    expect(saved).toMatchObject({ ok: true, created: true, stored: { pattern: 'team-a/*', updatedAt: '2026-06-01T00:00:00.000Z' } });
    expect(JSON.stringify(saved)).not.toContain('SECRET');
    expect((await d.policies.get('r', 'team-a/*'))?.policy.teamsRoute).toBe(route);
    const described = await describePolicy(d, 'r', 'team-a/api');
    expect(described.effective).toMatchObject({ growthPercent: 5, matchedPattern: 'team-a/*' });
    expect(JSON.stringify(described)).not.toContain('SECRET');
    expect((await savePolicy(d, 'r', 'team-a/*', { growthPercent: 6 })).ok && 'updated').toBe('updated');
  });

  it('refuses a bad document or a route elsewhere naming the field, storing nothing', async () => {
    const d = deps();
    const bad = await savePolicy(d, 'r', 'team-a/api', { growthPercent: -1, colour: 'red' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.problems.map((p) => p.field).sort()).toEqual(['(body)', 'growthPercent']);
    const elsewhere = await savePolicy(d, 'r', 'team-a/api', { teamsRoute: 'https://evil.example/hook' });
    expect(elsewhere).toMatchObject({ ok: false, problems: [{ field: 'teamsRoute', message: /TEAMS_ALLOWED_HOSTS/ }] });
    expect(d.policies.rows.size).toBe(0);
    expect(await removePolicy(d, 'r', 'team-a/api')).toBe(false);
  });
});
