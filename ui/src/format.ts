/**
 * Figures as the Teams cards show them: the cards' own functions (src/core/format.ts,
 * pure, bundled as they are), so a size reads "423 MiB" here as it does in the alert
 * that linked to this page. Dates are the dashboard's own: UTC, as the APIs give them.
 */
export * from '../../src/core/format';

/** `2026-11-27 10:00 UTC`: one unambiguous form for every reader of a shared link, whatever their time zone. */
export function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function formatDate(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(0, 10);
}

/** "3 days ago", for the last push column: how stale a repository is matters more than the minute. */
export function formatAgo(iso: string, now = Date.now()): string {
  const s = Math.round((now - Date.parse(iso)) / 1000);
  if (!Number.isFinite(s)) return iso;
  if (s < 60) return 'just now';
  const units: [number, string][] = [
    [60, 'minute'],
    [3600, 'hour'],
    [86_400, 'day'],
    [30 * 86_400, 'month'],
    [365 * 86_400, 'year'],
  ];
  let [size, name] = units[0]!;
  for (const u of units) if (s >= u[0]) [size, name] = u;
  const n = Math.floor(s / size);
  return `${n} ${name}${n === 1 ? '' : 's'} ago`;
}

/** A count with thousands separators, fixed to English so figures read the same in every browser. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}
