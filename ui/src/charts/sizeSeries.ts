import type { AlertRecord, TrendPointView } from '../api/types';

export interface SizeSeries {
  /** Seconds, ascending; points of different platforms pushed at the same instant share an x. */
  x: number[];
  platforms: string[];
  /** Per platform, the size at each x (null where that platform has no point). */
  values: (number | null)[][];
  /** The points at each x, for the tooltip. */
  pointsAt: TrendPointView[][];
  /** Per platform, the size at each x where an alert fired on that platform's point (null elsewhere). */
  alerts: (number | null)[][];
  alertsAt: AlertRecord[][];
  pointCount: number;
}

/** Which alert belongs to which point: the same image under the same tag on the same platform. */
const alertKey = (a: { digest: string; tag: string; platform: string }) => `${a.digest}\n${a.tag}\n${a.platform}`;

/**
 * The trend as uPlot's aligned columns: one x per distinct push time and one series per
 * platform. Two points of one platform at the same instant (two tags of one push) get
 * x values a millisecond apart, so every point is drawn: the chart shows exactly the
 * points the API returned.
 */
export function sizeSeries(points: TrendPointView[], alerts: AlertRecord[]): SizeSeries {
  const platforms = [...new Set(points.map((p) => p.platform))].sort();
  const byX = new Map<number, TrendPointView[]>();
  const taken = new Set<string>();
  for (const p of points) {
    let x = Date.parse(p.pushedAt) / 1000;
    while (taken.has(`${p.platform}\n${x}`)) x += 0.001;
    taken.add(`${p.platform}\n${x}`);
    const at = byX.get(x);
    if (at) at.push(p);
    else byX.set(x, [p]);
  }
  const x = [...byX.keys()].sort((a, b) => a - b);
  const pointsAt = x.map((t) => byX.get(t)!);
  const values = platforms.map((platform) => pointsAt.map((ps) => ps.find((p) => p.platform === platform)?.sizeBytes ?? null));
  const byPoint = new Map<string, AlertRecord[]>();
  for (const a of alerts) byPoint.set(alertKey(a), [...(byPoint.get(alertKey(a)) ?? []), a]);
  const alertsAt = pointsAt.map((ps) => ps.flatMap((p) => byPoint.get(alertKey(p)) ?? []));
  const alertValues = platforms.map((platform) => pointsAt.map((ps) => ps.find((p) => p.platform === platform && byPoint.has(alertKey(p)))?.sizeBytes ?? null));
  return { x, platforms, values, pointsAt, alerts: alertValues, alertsAt, pointCount: points.length };
}
