// Chi-square distribution upper tail, for goodness-of-fit tests.
import jstatPkg from 'jstat';

const { jStat } = jstatPkg;

/**
 * P(X ≥ x) for X ~ χ²(df), clamped to [0, 1]. Accurate to ~1e-10 absolute (jstat's incomplete
 * gamma series), ample for the 0.001 SRM threshold; tails below ~1e-16 read as 0.
 */
export function chiSquareSf(x: number, df: number): number {
  if (Number.isNaN(x) || !(df > 0)) return Number.NaN;
  if (x <= 0) return 1;
  if (!Number.isFinite(x)) return 0;
  return Math.min(1, Math.max(0, 1 - jStat.chisquare.cdf(x, df)));
}
