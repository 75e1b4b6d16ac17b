// Standard normal distribution: CDF, quantiles and two-sided p-value, accurate far into the tails.
import jstatPkg from 'jstat';

const { jStat } = jstatPkg;

/**
 * Below this z, jstat's CDF (0.5·(1 + erf)) loses relative accuracy to cancellation
 * (1e-12 at z = −4.5, 1e-6 at z = −7, exactly 0 past z = −8.3).
 */
const TAIL_START = -3;
/** Terms of the Laplace continued fraction: double precision for |z| ≥ 1.75 (checked against mpmath). */
const TAIL_TERMS = 120;
/** Newton steps never needed more than 6 from jstat's start; the cap only guards against a bad start. */
const MAX_NEWTON = 60;

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

/** φ(z), the standard normal density. */
export function normalPdf(z: number): number {
  return Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
}

/** Φ(z), the standard normal CDF. */
export function normalCdf(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  if (z === Number.NEGATIVE_INFINITY) return 0;
  if (z === Number.POSITIVE_INFINITY) return 1;
  if (z < TAIL_START) return lowerTail(z);
  return jStat.normal.cdf(z, 0, 1);
}

// Acklam's rational approximation of Φ⁻¹ (relative error < 1.2e-9), used only as a start.
const A = [
  -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
  2.506628277459239,
];
const B = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
const C = [
  -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
  2.938163982698783,
];
const D = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
const ACKLAM_LOW = 0.02425;

function acklam(p: number): number {
  if (p < ACKLAM_LOW) {
    const q = Math.sqrt(-2 * Math.log(p));
    const num = ((((C[0]! * q + C[1]!) * q + C[2]!) * q + C[3]!) * q + C[4]!) * q + C[5]!;
    return num / ((((D[0]! * q + D[1]!) * q + D[2]!) * q + D[3]!) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  const num = (((((A[0]! * r + A[1]!) * r + A[2]!) * r + A[3]!) * r + A[4]!) * r + A[5]!) * q;
  return num / (((((B[0]! * r + B[1]!) * r + B[2]!) * r + B[3]!) * r + B[4]!) * r + 1);
}

/**
 * The z ≤ 0 with Φ(z) = p, for 0 < p ≤ ½. Acklam's approximation is only a start (jstat's inverse
 * is 1e-9 off at p = 1e-10 and 1% off at 1e-20); Newton on ln Φ(z) − ln p, whose concavity makes
 * the iteration converge monotonically from any start, polishes it to the last bit.
 */
function lowerQuantile(p: number): number {
  if (p === 0.5) return 0;
  let z = acklam(p);
  if (!(Number.isFinite(z) && z < 0)) z = -Math.sqrt(-2 * Math.log(p));
  const logP = Math.log(p);
  let previous = Number.POSITIVE_INFINITY;
  for (let i = 0; i < MAX_NEWTON; i++) {
    const cdf = normalCdf(z);
    const step = ((Math.log(cdf) - logP) * cdf) / normalPdf(z);
    if (!Number.isFinite(step)) break;
    z -= step;
    // Converged once the step is at rounding level, or stops shrinking (rounding noise).
    const size = Math.abs(step);
    if (size <= 1e-15 * Math.max(1, Math.abs(z)) || size >= previous) break;
    previous = size;
  }
  return Math.min(z, 0);
}

/** Φ⁻¹(p), the standard normal quantile; NaN outside (0, 1). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) return Number.NaN;
  return p <= 0.5 ? lowerQuantile(p) : -lowerQuantile(1 - p);
}

/**
 * The z with P(Z > z) = q, computed on the small tail so q = 1e-300 keeps its precision
 * (1 − q would round to 1). NaN outside (0, 1).
 */
export function normalUpperQuantile(q: number): number {
  if (!(q > 0 && q < 1)) return Number.NaN;
  return q <= 0.5 ? -lowerQuantile(q) : lowerQuantile(1 - q);
}

/** Two-sided p-value 2·Φ(−|z|), computed on the small tail so huge |z| keep their precision. */
export function normalTwoSidedP(z: number): number {
  return Math.min(1, 2 * normalCdf(-Math.abs(z)));
}

// A one-entry memo: a report asks for the same critical value once per arm and comparison.
let memoAlpha = Number.NaN;
let memoZ = Number.NaN;

/** z_{1−α/2}, the two-sided critical value at level alpha; NaN when alpha is outside (0, 1). */
export function normalCriticalValue(alpha: number): number {
  if (!(alpha > 0 && alpha < 1)) return Number.NaN;
  if (alpha !== memoAlpha) {
    memoZ = normalUpperQuantile(alpha / 2);
    memoAlpha = alpha;
  }
  return memoZ;
}
