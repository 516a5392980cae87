/**
 * Time ticks in UTC and ISO order (2026-11-29, 14:00), as the tables show times: a link
 * is read in every time zone and locale. The date is repeated under a time where it changes.
 */
export function timeTicks(splits: number[], incrementSeconds: number): string[] {
  let lastDay = '';
  return splits.map((s) => {
    const iso = new Date(s * 1000).toISOString();
    const day = iso.slice(0, 10);
    const changed = day !== lastDay;
    lastDay = day;
    if (incrementSeconds >= 86_400) return splits[0] === s || day.endsWith('-01-01') ? `${day.slice(5)}\n${day.slice(0, 4)}` : day.slice(5);
    return changed ? `${iso.slice(11, 16)}\n${day.slice(5)}` : iso.slice(11, 16);
  });
}

/** Half the time axis of a chart whose points all share one instant: a day around it. */
const LONE_INSTANT_PAD_SECONDS = 12 * 3600;

/**
 * The time axis' range (epoch seconds) for points at `xs` (ascending): the range uPlot
 * worked out, except when every point is at one instant, where uPlot puts the point at
 * the left edge of 86,400 / 1e-3 seconds (its one-day pad, divided by the milliseconds
 * per unit of a seconds axis: 2.7 years); there it is centred in a day.
 */
export function timeRange(xs: ArrayLike<number>, min: number, max: number): [number, number] {
  const first = xs[0];
  if (first === undefined || xs[xs.length - 1] !== first) return [min, max];
  return [first - LONE_INSTANT_PAD_SECONDS, first + LONE_INSTANT_PAD_SECONDS];
}
