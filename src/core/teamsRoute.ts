/**
 * Where alerts may be posted. A policy's `teamsRoute` is written through the API, so it
 * must stay within what the operator allowed: hosts (TEAMS_ALLOWED_HOSTS, plus
 * TEAMS_WEBHOOK_URL's own) and, when set, workflow URL prefixes
 * (TEAMS_ALLOWED_ROUTE_PREFIXES). Checked when a policy is written and again before
 * every send, since the allow-lists may have been narrowed since.
 */

export interface RouteRules {
  TEAMS_ALLOWED_HOSTS: string[];
  TEAMS_ALLOWED_ROUTE_PREFIXES: string[];
  TEAMS_WEBHOOK_URL?: string | undefined;
}

/** `*.logic.azure.com` matches any subdomain; a plain name matches itself. */
export function teamsHostAllowed(host: string, allowed: string[]): boolean {
  const h = host.toLowerCase();
  return allowed.some((pattern) => (pattern.startsWith('*.') ? h.endsWith(pattern.slice(1)) && h.length > pattern.length - 1 : h === pattern));
}

export function hasCredentials(url: string): boolean {
  try {
    const u = new URL(url);
    return u.username !== '' || u.password !== '';
  } catch {
    return false;
  }
}

/** Why a configured prefix is unusable, or undefined. */
export function routePrefixProblem(prefix: string): string | undefined {
  let u: URL;
  try {
    u = new URL(prefix);
  } catch {
    return 'is not a URL';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return 'must be an http(s) URL';
  if (u.username || u.password) return 'must not contain credentials';
  if (u.search || u.hash) return 'must not contain a query or fragment (the signature is per flow, not part of the prefix)';
  if (u.pathname === '/' || u.pathname === '') return 'must name a path (a workflow), not a whole host: use TEAMS_ALLOWED_HOSTS for hosts';
  return undefined;
}

/** Scheme, lower-case host, default port dropped, path without a trailing slash. */
export function normalizeRoutePrefix(prefix: string): string {
  const u = new URL(prefix);
  return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
}

function matchesPrefix(u: URL, prefix: string): boolean {
  const target = `${u.protocol}//${u.host}${u.pathname}`;
  // At a path boundary: `…/workflows/abc` does not admit `…/workflows/abcdef`.
  return target === prefix || target.startsWith(`${prefix}/`);
}

/**
 * Why alerts may not be posted to `route`, or undefined when they may. The message
 * never contains the route's query or credentials.
 */
export function routeProblem(route: string, rules: RouteRules): string | undefined {
  let u: URL;
  try {
    u = new URL(route);
  } catch {
    return 'teamsRoute: is not a URL';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return 'teamsRoute: must be an http(s) URL';
  if (u.username || u.password) return 'teamsRoute: must not contain credentials (user:password@); the Workflows URL carries its own signature';
  // The operator's own default route is allowed as it is.
  if (rules.TEAMS_WEBHOOK_URL && route === rules.TEAMS_WEBHOOK_URL) return undefined;
  const hosts = [...rules.TEAMS_ALLOWED_HOSTS, ...(rules.TEAMS_WEBHOOK_URL ? [new URL(rules.TEAMS_WEBHOOK_URL).host.toLowerCase()] : [])];
  if (!teamsHostAllowed(u.host, hosts)) return `teamsRoute: host ${u.host} is not allowed; allowed hosts: ${hosts.join(', ')} (TEAMS_ALLOWED_HOSTS)`;
  const prefixes = rules.TEAMS_ALLOWED_ROUTE_PREFIXES;
  if (prefixes.length > 0 && !prefixes.some((p) => matchesPrefix(u, p))) {
    return `teamsRoute: ${u.protocol}//${u.host}${u.pathname} is not under an allowed workflow prefix (TEAMS_ALLOWED_ROUTE_PREFIXES: ${prefixes.join(', ')})`;
  }
  return undefined;
}
