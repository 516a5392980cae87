/**
 * Links into the dashboard (`GET /api/ui`), which routes on its query string: the local
 * host serves literal routes only, and a query survives being pasted into Teams.
 */
export type DashboardView = 'registry' | 'repository' | 'image' | 'compare' | 'alerts' | 'whatif';

export function dashboardLink(baseUrl: string, view: DashboardView, params: Record<string, string | undefined>): string {
  const q = new URLSearchParams({ view });
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, v);
  return `${baseUrl.replace(/\/+$/, '')}/api/ui?${q.toString()}`;
}

/** The page a Teams card opens: the two images side by side, on the alert's platform. */
export function compareLink(baseUrl: string, c: { registry: string; repository: string; from: string; to: string; platform?: string }): string {
  return dashboardLink(baseUrl, 'compare', { registry: c.registry, repository: c.repository, from: c.from, to: c.to, platform: c.platform });
}
