/** Nearest-rank percentile over milliseconds. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

export function summarize(label: string, latenciesMs: number[], extra: Record<string, string | number> = {}) {
  const f = (n: number) => Number(n.toFixed(1));
  return {
    target: label,
    n: latenciesMs.length,
    p50_ms: f(percentile(latenciesMs, 50)),
    p90_ms: f(percentile(latenciesMs, 90)),
    p99_ms: f(percentile(latenciesMs, 99)),
    max_ms: f(Math.max(...latenciesMs)),
    ...extra,
  };
}
