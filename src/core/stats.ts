/** Distributions of repeated measurements: the median and the spread around it. */

/** The q-quantile (0..1) of the values, interpolated between the two nearest; NaN for no values. */
export function quantile(values: readonly number[], q: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  return sorted[lo]! + (sorted[Math.min(lo + 1, sorted.length - 1)]! - sorted[lo]!) * (at - lo);
}

export interface Spread {
  p10: number;
  median: number;
  p90: number;
  n: number;
}

/** Median and 10th/90th percentiles, rounded to `digits` decimals. */
export function spread(values: readonly number[], digits = 1): Spread {
  const round = (v: number) => +v.toFixed(digits);
  return { p10: round(quantile(values, 0.1)), median: round(quantile(values, 0.5)), p90: round(quantile(values, 0.9)), n: values.length };
}

/** A table row: a name, then the spread's p10, median, p90 and count (columns named by the caller). */
export function spreadRow(name: string, s: Spread): (string | number)[] {
  return [name, s.p10, s.median, s.p90, s.n];
}
