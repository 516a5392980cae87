import type { StorageAnswer } from '../api/types';
import { h } from '../dom';
import { formatBytes, formatDate } from '../format';
import { timeChart } from './timeChart';
import { LIMIT_COLOR, PROJECTION_COLOR, SERIES_COLORS, fillOf } from './theme';

/** A projection further out than this would flatten the measured curve into the axis; the date is still in the tiles. */
const PROJECTION_HORIZON_DAYS = 730;

/**
 * The registry's unique bytes per day, and, when the included storage is reached within
 * two years at the current rate, the straight line to that date with the included
 * storage drawn as a limit.
 */
export function storageChart(s: StorageAnswer, includedBytes: number): HTMLElement {
  const daily = s.growth.daily;
  const x = daily.map((d) => Date.parse(`${d.date}T00:00:00Z`) / 1000);
  const measured: (number | null)[] = daily.map((d) => d.uniqueBytes);
  const p = s.projection;
  const project = !p.alreadyExceeded && p.date !== null && (p.daysLeft ?? Infinity) <= PROJECTION_HORIZON_DAYS && x.length > 0;
  const showLimit = project || p.alreadyExceeded || s.uniqueBytes >= includedBytes / 4;
  const projection: (number | null)[] = x.map(() => null);
  if (project) {
    projection[x.length - 1] = s.uniqueBytes;
    x.push(Date.parse(p.date!) / 1000);
    measured.push(null);
    projection.push(includedBytes);
  }
  const limit = x.map((_, i) => (showLimit && (i === 0 || i === x.length - 1) ? includedBytes : null));
  const series = [
    { label: 'Unique bytes', color: SERIES_COLORS[0]!, values: measured, fill: fillOf(SERIES_COLORS[0]!) },
    ...(project ? [{ label: 'Projection at the current rate', color: PROJECTION_COLOR, values: projection, dash: [6, 4] }] : []),
    ...(showLimit
      ? [{ label: `Included with ${s.registryProfile.sku} (${formatBytes(includedBytes)})`, color: LIMIT_COLOR, values: limit, dash: [2, 3] }]
      : []),
  ];
  return timeChart({
    name: 'storage',
    label: `Unique storage of ${s.registry} per day over ${s.growth.windowDays} days${project ? `, projected to reach the included storage on ${formatDate(p.date!)}` : ''}`,
    x,
    series,
    yFormat: formatBytes,
    pointCount: daily.length,
    height: 240,
    tooltip: (i) => {
      const when = new Date(x[i]! * 1000).toISOString();
      if (measured[i] !== null && measured[i] !== undefined)
        return h('div', {}, h('strong', {}, formatDate(when)), h('div', {}, `${formatBytes(measured[i])} unique`));
      if (projection[i] !== null)
        return h('div', {}, h('strong', {}, formatDate(when)), h('div', {}, `projected to reach ${formatBytes(includedBytes)} included`));
      return null;
    },
  });
}
