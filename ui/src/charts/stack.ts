import type uPlot from 'uplot';

/**
 * Stacked areas the way uPlot draws them: each series holds the running sum of the
 * series below it and itself, and a band between neighbours fills only the layer's own
 * share (the first series fills down to zero). uPlot series are 1-based (0 is x).
 * A missing value counts as 0 in the sums, so the stack has no holes.
 */
export function stacked(series: (number | null)[][]): { values: number[][]; bands: uPlot.Band[] } {
  const length = series[0]?.length ?? 0;
  const running = new Array<number>(length).fill(0);
  const values = series.map((s) => s.map((v, i) => (running[i]! += v ?? 0)));
  const bands: uPlot.Band[] = series.slice(1).map((_, i) => ({ series: [i + 2, i + 1] }));
  return { values, bands };
}
