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
