// Standard normal distribution: CDF, quantile and two-sided p-value, accurate far into the tails.
import jstatPkg from 'jstat';

const { jStat } = jstatPkg;

/**
 * Below this z, jstat's CDF (0.5·(1 + erf)) loses relative accuracy to cancellation
 * (1e-12 at z = −4.5, 1e-6 at z = −7, exactly 0 past z = −8.3).
 */
const TAIL_START = -3;
/** Terms of the Laplace continued fraction: double precision for |z| ≥ 1.75 (checked against mpmath). */
const TAIL_TERMS = 120;

/**
 * Lower tail Φ(z) for z < −3 via the continued fraction
 * Φ(−x) = φ(x) / (x + 1/(x + 2/(x + 3/(x + …)))), evaluated backwards.
 * Keeps full relative precision where 1 + erf(z/√2) would cancel to 0.
 */
function lowerTail(z: number): number {
  const x = -z;
  let t = x;
  for (let k = TAIL_TERMS; k >= 1; k--) t = x + k / t;
  const density = Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
  return density / t;
}

/** Φ(z), the standard normal CDF. */
export function normalCdf(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  if (z === Number.NEGATIVE_INFINITY) return 0;
  if (z === Number.POSITIVE_INFINITY) return 1;
  if (z < TAIL_START) return lowerTail(z);
  return jStat.normal.cdf(z, 0, 1);
}

/** Φ⁻¹(p), the standard normal quantile; NaN outside (0, 1). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) return Number.NaN;
  return jStat.normal.inv(p, 0, 1);
}

/** Two-sided p-value 2·Φ(−|z|), computed on the small tail so huge |z| keep their precision. */
export function normalTwoSidedP(z: number): number {
  return Math.min(1, 2 * normalCdf(-Math.abs(z)));
}

/** z_{1−α/2}, the two-sided critical value at level alpha; NaN when alpha is outside (0, 1). */
export function normalCriticalValue(alpha: number): number {
  return normalQuantile(1 - alpha / 2);
}
