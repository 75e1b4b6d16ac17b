// Chi-square distribution upper tail, for goodness-of-fit tests.
import jstatPkg from 'jstat';

const { jStat } = jstatPkg;

/** P(X ≥ x) for X ~ χ²(df), clamped to [0, 1]; exact to ~1e-16 absolute (tiny tails read as 0). */
export function chiSquareSf(x: number, df: number): number {
  if (Number.isNaN(x) || !(df > 0)) return Number.NaN;
  if (x <= 0) return 1;
  if (!Number.isFinite(x)) return 0;
  return Math.min(1, Math.max(0, 1 - jStat.chisquare.cdf(x, df)));
}
