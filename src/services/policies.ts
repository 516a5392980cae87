import type { StoredPolicy } from '../adapters/tables/policyTable';
import { effectivePolicy, type EffectivePolicy, type Policy } from '../core/policy';
import { redactUrl } from '../core/redact';
import type { Runtime } from '../runtime';

type Deps = Pick<Runtime, 'policies' | 'policyDefaults' | 'config'>;

// A teamsRoute carries its flow's signature: answers show where it points, never the signature.
const redactedPolicy = <P extends Pick<Policy, 'teamsRoute'>>(p: P): P => (p.teamsRoute ? { ...p, teamsRoute: redactUrl(p.teamsRoute) } : p);
const redactedStored = (s: StoredPolicy): StoredPolicy => ({ ...s, policy: redactedPolicy(s.policy) });

export async function describePolicy(deps: Deps, registry: string, pattern: string) {
  const stored = await deps.policies.get(registry, pattern);
  const all = await deps.policies.list(registry);
  const effective: EffectivePolicy | undefined = pattern.includes('*') ? undefined : effectivePolicy(deps.policyDefaults, pattern, all.map((p) => ({ pattern: p.pattern, policy: p.policy })));
  return {
    registry,
    pattern,
    policy: stored ? redactedPolicy(stored.policy) : null,
    updatedAt: stored?.updatedAt ?? null,
    ...(effective ? { effective: redactedPolicy(effective) } : {}),
  };
}

export async function listPolicies(deps: Deps, registry: string) {
  return { registry, defaults: deps.policyDefaults, policies: (await deps.policies.list(registry)).map(redactedStored) };
}

export async function savePolicy(deps: Deps, registry: string, pattern: string, policy: Policy) {
  const { created, stored } = await deps.policies.put(registry, pattern, policy, new Date().toISOString());
  return { created, stored: redactedStored(stored) };
}
