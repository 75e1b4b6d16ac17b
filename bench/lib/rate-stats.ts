// Summaries of repeated rate measurements (median, min, max).

export interface RateSummary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export function summarizeRates(rates: readonly number[]): RateSummary {
  if (rates.length === 0) throw new Error('no measurements');
  const sorted = [...rates].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}
