import { effectivePolicy, type Policy } from '../core/policy';
import type { Runtime } from '../runtime';

type Deps = Pick<Runtime, 'policies' | 'policyDefaults' | 'config'>;

/** `*.logic.azure.com` matches any subdomain; a plain name matches itself. */
export function hostAllowed(host: string, allowed: string[]): boolean {
  const h = host.toLowerCase();
  return allowed.some((pattern) => (pattern.startsWith('*.') ? h.endsWith(pattern.slice(1)) && h.length > pattern.length - 1 : h === pattern));
}

/** Where a policy may route alerts: the configured hosts, plus TEAMS_WEBHOOK_URL's own. */
export function routeProblem(route: string | undefined, config: Pick<Runtime['config'], 'TEAMS_ALLOWED_HOSTS' | 'TEAMS_WEBHOOK_URL'>): string | undefined {
  if (!route) return undefined;
  const host = new URL(route).host;
  const allowed = [...config.TEAMS_ALLOWED_HOSTS, ...(config.TEAMS_WEBHOOK_URL ? [new URL(config.TEAMS_WEBHOOK_URL).host.toLowerCase()] : [])];
  return hostAllowed(host, allowed) ? undefined : `teamsRoute: host ${host} is not allowed; allowed hosts: ${allowed.join(', ')} (TEAMS_ALLOWED_HOSTS)`;
}

export async function describePolicy(deps: Deps, registry: string, pattern: string) {
  const stored = await deps.policies.get(registry, pattern);
  const all = await deps.policies.list(registry);
  const effective = pattern.includes('*') ? undefined : effectivePolicy(deps.policyDefaults, pattern, all.map((p) => ({ pattern: p.pattern, policy: p.policy })));
  return { registry, pattern, policy: stored?.policy ?? null, updatedAt: stored?.updatedAt ?? null, ...(effective ? { effective } : {}) };
}

export async function listPolicies(deps: Deps, registry: string) {
  return { registry, defaults: deps.policyDefaults, policies: await deps.policies.list(registry) };
}

export async function savePolicy(deps: Deps, registry: string, pattern: string, policy: Policy) {
  return deps.policies.put(registry, pattern, policy, new Date().toISOString());
}
