// Latency statistics for benchmarks: percentiles by the nearest-rank method,
// so p99 of 2,000 samples is the 1,980th smallest, a value that was observed.

export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** Nearest-rank percentile of ascending `sorted` (p in 0..100); NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  const rank = Math.ceil((p / 100) * sorted.length);
  // Empty, the index is -1.
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}

/** Summarises latencies in milliseconds (any order; the input is not modified). */
export function summarize(latenciesMs: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(latenciesMs).sort();
  const asArray = Array.from(sorted);
  let sum = 0;
  for (const v of asArray) sum += v;
  return {
    count: asArray.length,
    p50: percentile(asArray, 50),
    p90: percentile(asArray, 90),
    p99: percentile(asArray, 99),
    max: asArray.at(-1) ?? Number.NaN,
    mean: asArray.length > 0 ? sum / asArray.length : Number.NaN,
  };
}
