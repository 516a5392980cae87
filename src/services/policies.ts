import { effectivePolicy, PolicySchema, type EffectivePolicy, type Policy, type PolicyDefaults, type StoredPolicy } from '../core/policy';
import { redactUrl } from '../core/redact';
import { issuesOf } from '../core/validation';

/** Stored alert policies of a registry, one per repository pattern. */
export interface PolicyStore {
  list(registry: string): Promise<StoredPolicy[]>;
  get(registry: string, pattern: string): Promise<StoredPolicy | undefined>;
  put(registry: string, pattern: string, policy: Policy, at: string): Promise<{ created: boolean; stored: StoredPolicy }>;
  delete(registry: string, pattern: string): Promise<boolean>;
}

export interface PolicyDeps {
  policies: PolicyStore;
  policyDefaults: PolicyDefaults;
  /** Why a Teams route may not be used (host or prefix not allowed), or undefined. */
  routeProblem: (url: string) => string | undefined;
  now?: () => Date;
}

// A teamsRoute carries its flow's signature: answers show where it points, never the signature.
const redactedPolicy = <P extends Pick<Policy, 'teamsRoute'>>(p: P): P => (p.teamsRoute ? { ...p, teamsRoute: redactUrl(p.teamsRoute) } : p);
const redactedStored = (s: StoredPolicy): StoredPolicy => ({ ...s, policy: redactedPolicy(s.policy) });

export async function describePolicy(deps: Pick<PolicyDeps, 'policies' | 'policyDefaults'>, registry: string, pattern: string) {
  const stored = await deps.policies.get(registry, pattern);
  const all = await deps.policies.list(registry);
  const effective: EffectivePolicy | undefined = pattern.includes('*') ? undefined : effectivePolicy(deps.policyDefaults, pattern, all);
  return {
    registry,
    pattern,
    policy: stored ? redactedPolicy(stored.policy) : null,
    updatedAt: stored?.updatedAt ?? null,
    ...(effective ? { effective: redactedPolicy(effective) } : {}),
  };
}

export async function listPolicies(deps: Pick<PolicyDeps, 'policies' | 'policyDefaults'>, registry: string) {
  return { registry, defaults: deps.policyDefaults, policies: (await deps.policies.list(registry)).map(redactedStored) };
}

export type PolicySave = { ok: true; created: boolean; stored: StoredPolicy } | { ok: false; error: string; problems: { field: string; message: string }[] };

/** Validates a policy document (fields, then its Teams route) and stores it; nothing is stored when it is refused. */
export async function savePolicy(deps: PolicyDeps, registry: string, pattern: string, body: unknown): Promise<PolicySave> {
  const parsed = PolicySchema.safeParse(body);
  if (!parsed.success) {
    const problems = issuesOf(parsed.error).map((i) => ({ field: i.path || '(body)', message: i.message }));
    return { ok: false, error: problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems };
  }
  const routeError = parsed.data.teamsRoute ? deps.routeProblem(parsed.data.teamsRoute) : undefined;
  if (routeError) return { ok: false, error: routeError, problems: [{ field: 'teamsRoute', message: routeError }] };
  const { created, stored } = await deps.policies.put(registry, pattern, parsed.data, (deps.now ?? (() => new Date()))().toISOString());
  return { ok: true, created, stored: redactedStored(stored) };
}

/** Whether there was a policy to remove. */
export function removePolicy(deps: Pick<PolicyDeps, 'policies'>, registry: string, pattern: string): Promise<boolean> {
  return deps.policies.delete(registry, pattern);
}
