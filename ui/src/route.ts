/**
 * The dashboard's URL scheme. Everything is in the query string of `/api/ui`: the local
 * host serves literal routes only, and a query string survives being pasted into Teams,
 * so a deep link opens the same page with the same registry, repository, tag, platform
 * and digests. src/core/links.ts builds the same links for the alert cards.
 */

export type Route =
  | { view: 'home' }
  | { view: 'registry'; registry: string }
  | { view: 'repository'; registry: string; repository: string; tag?: string; platform?: string }
  | { view: 'image'; registry: string; repository: string; digest: string; platform?: string }
  | { view: 'compare'; registry: string; repository: string; from: string; to: string; platform?: string }
  | { view: 'alerts'; registry: string; repository?: string }
  | { view: 'whatif'; registry: string; repository: string; digest: string; platform?: string; overrides: Record<string, string> }
  | { view: 'reference' }
  | { view: 'invalid'; problem: string };

/** What-if inputs kept in the link, so a what-if can be shared as it was set. */
export const OVERRIDE_PARAMS = [
  'sku',
  'replicas',
  'throughputMBps',
  'aci.throughputMBps',
  'appService.throughputMBps',
  'aks.throughputMBps',
  'parallelDownloads',
  'compressionRatio',
] as const;

export function parseRoute(search: string): Route {
  const q = new URLSearchParams(search);
  const get = (k: string) => q.get(k)?.trim() || undefined;
  const view = get('view');
  const registry = get('registry');
  const need = (names: string[]): string | undefined => {
    const missing = names.filter((n) => !get(n));
    return missing.length ? `the ${view ?? 'registry'} page needs ${missing.map((m) => `\`${m}\``).join(' and ')} in the link` : undefined;
  };
  const opt = (k: string) => (get(k) ? { [k]: get(k)! } : {});
  switch (view ?? (registry ? 'registry' : 'home')) {
    case 'home':
      return { view: 'home' };
    case 'reference':
      return { view: 'reference' };
    case 'registry': {
      const p = need(['registry']);
      return p ? { view: 'invalid', problem: p } : { view: 'registry', registry: registry! };
    }
    case 'repository': {
      const p = need(['registry', 'repository']);
      return p
        ? { view: 'invalid', problem: p }
        : { view: 'repository', registry: registry!, repository: get('repository')!, ...opt('tag'), ...opt('platform') };
    }
    case 'image': {
      const p = need(['registry', 'repository', 'digest']);
      return p
        ? { view: 'invalid', problem: p }
        : { view: 'image', registry: registry!, repository: get('repository')!, digest: get('digest')!, ...opt('platform') };
    }
    case 'compare': {
      const p = need(['registry', 'repository', 'from', 'to']);
      return p
        ? { view: 'invalid', problem: p }
        : { view: 'compare', registry: registry!, repository: get('repository')!, from: get('from')!, to: get('to')!, ...opt('platform') };
    }
    case 'alerts': {
      const p = need(['registry']);
      return p ? { view: 'invalid', problem: p } : { view: 'alerts', registry: registry!, ...opt('repository') };
    }
    case 'whatif': {
      const p = need(['registry', 'repository', 'digest']);
      if (p) return { view: 'invalid', problem: p };
      const overrides = Object.fromEntries(OVERRIDE_PARAMS.filter((k) => get(k)).map((k) => [k, get(k)!]));
      return { view: 'whatif', registry: registry!, repository: get('repository')!, digest: get('digest')!, ...opt('platform'), overrides };
    }
    default:
      return { view: 'invalid', problem: `there is no "${view}" page; the pages are registry, repository, image, compare, alerts, whatif and reference` };
  }
}

/** The link to a page, relative to `/api/ui` (the page's own path), so it works under any host and route prefix. */
export function href(route: Exclude<Route, { view: 'invalid' } | { view: 'home' }>): string {
  const q = new URLSearchParams({ view: route.view });
  for (const [k, v] of Object.entries(route) as [string, string | Record<string, string> | undefined][]) {
    if (k === 'view' || v === undefined) continue;
    if (typeof v === 'string') q.set(k, v);
    else for (const [ok, ov] of Object.entries(v)) q.set(ok, ov);
  }
  return `?${q.toString()}`;
}
