// Student t distribution: two-sided p-value, CDF, density and quantile, accurate for any df ≥ 1.
import { regularizedIncompleteBeta } from './incomplete-beta.js';
import { logGammaHalfRatio } from './log-gamma-ratio.js';
import { normalTwoSidedP, normalUpperQuantile } from './normal.js';

const LOG_SQRT_PI = 0.5 * Math.log(Math.PI);
/** Newton with bisection safeguard; convergence takes < 10 steps in practice. */
const MAX_ITERATIONS = 200;
/**
 * From here on the normal approximation below beats the continued fraction (whose rounding error
 * grows with df): both stay within ~4e-10 relative for |t| ≤ 10 (checked against mpmath).
 */
const LARGE_DF = 1e7;
/** |t|/√df beyond which 1 + t²/df is t²/df to double precision (and x = df/(df + t²) would underflow). */
const HUGE_RATIO = 1e100;
/** ln of the largest double. */
const LOG_MAX = Math.log(Number.MAX_VALUE);

// jstat's own studentt.cdf builds on an incomplete beta capped at 100 iterations with a 3e-7
// stopping rule, which drifts by ~1e-3 once df reaches the millions (large A/B tests). Here the
// tail is I_x(df/2, ½) with x = df/(df + t²), ln B(df/2, ½) = ln Γ(½) − ln(Γ(df/2 + ½)/Γ(df/2)),
// and for huge df Abramowitz & Stegun 26.7.8: z = t(1 − 1/(4df)) / √(1 + t²/(2df)) ~ N(0, 1)
// (error O(1/df²), the same switch R's pt() makes).

/** P(|T| ≥ |t|) for T ~ t(df). */
export function studentTTwoSidedP(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return Number.NaN;
  if (!Number.isFinite(t)) return 0;
  if (df >= LARGE_DF) return normalTwoSidedP((t * (1 - 1 / (4 * df))) / Math.sqrt(1 + (t * t) / (2 * df)));
  const a = df / 2;
  // x = df/(df + t²) and y = 1 − x, without overflowing t² for |t| beyond 1e154 (tiny tails at df ≈ 1).
  const logBeta = LOG_SQRT_PI - logGammaHalfRatio(a);
  const r = Math.abs(t) / Math.sqrt(df);
  if (r >= HUGE_RATIO) {
    // x = 1/(1 + r²) < 1e-200: I_x(a, ½) = x^a/(a·B(a, ½))·(1 + O(x)), with ln x = −2 ln r exactly
    // enough (x itself would be subnormal or 0 here).
    return Math.exp(-2 * a * Math.log(r) - Math.log(a) - logBeta);
  }
  const x = 1 / (1 + r * r);
  const y = (r * r) / (1 + r * r);
  return regularizedIncompleteBeta(x, a, 0.5, logBeta, y);
}

/** P(T ≤ t) for T ~ t(df). */
export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * studentTTwoSidedP(t, df);
  return t < 0 ? tail : 1 - tail;
}

/** ln of the density of t(df) at t (finite where the density itself underflows). */
export function studentTLogPdf(t: number, df: number): number {
  const r = Math.abs(t) / Math.sqrt(df);
  const log1pR2 = r < HUGE_RATIO ? Math.log1p(r * r) : 2 * Math.log(r);
  return logGammaHalfRatio(df / 2) - 0.5 * Math.log(df) - LOG_SQRT_PI - ((df + 1) / 2) * log1pR2;
}

/** Density of t(df) at t. */
export function studentTPdf(t: number, df: number): number {
  return Math.exp(studentTLogPdf(t, df));
}

/**
 * Cornish–Fisher start for the t quantile from the normal one (Abramowitz & Stegun 26.7.5): exact
 * to ~1e-8 for df in the hundreds, rough for small df, where the iteration below takes over.
 */
function cornishFisher(z: number, df: number): number {
  const z2 = z * z;
  const g1 = (z * (z2 + 1)) / 4;
  const g2 = (z * (3 + z2 * (16 + 5 * z2))) / 96;
  const g3 = (z * (-15 + z2 * (17 + z2 * (19 + 3 * z2)))) / 384;
  const g4 = (z * (-945 + z2 * (-1920 + z2 * (1482 + z2 * (776 + 79 * z2))))) / 92160;
  return z + (g1 + (g2 + (g3 + g4 / df) / df) / df) / df;
}

/**
 * The t ≥ 0 with P(T > t) = q for T ~ t(df) and 0 < q ≤ ½, iterated to convergence.
 *
 * For df ≥ 1e7 the CDF above is the Abramowitz & Stegun 26.7.8 transform of a normal deviate, so its
 * inverse is exact algebra: z² (1 + t²/(2df)) = c²t² with c = 1 − 1/(4df) gives t = z/√(c² − z²/(2df)).
 * Otherwise a safeguarded Newton iteration (Numerical Recipes `rtsafe`) on
 * g(u) = ln P(T > eᵘ) − ln q in u = ln t, whose derivative is −t·f(t)/P(T > t): in these coordinates
 * the tail is nearly linear (Cauchy-like, small df) or gently curved (normal-like, large df), so
 * Newton converges in a few steps from the Cornish–Fisher start. Every evaluated point narrows a
 * bracket [u_lo, u_hi] with g(u_lo) ≥ 0 ≥ g(u_hi) (u_lo starts at the normal quantile: the t tail is
 * heavier, so P(T > z_q) ≥ q; u_hi starts unknown), and a step that would leave it is replaced by
 * bisection (or, with no upper end yet, by doubling t). Stops when the step is below 1e-15 in ln t
 * (≈ 1e-15 relative in t). Infinity when t exceeds the double range (q below ~1e-308 at df = 1).
 */
export function studentTUpperQuantile(q: number, df: number): number {
  if (!(q > 0 && q <= 0.5) || !(df > 0)) return Number.NaN;
  if (q === 0.5) return 0;
  const z = normalUpperQuantile(q);
  if (!Number.isFinite(z)) return Number.NaN;
  if (df >= LARGE_DF) {
    const c = 1 - 1 / (4 * df);
    const denom = c * c - (z * z) / (2 * df);
    return denom > 0 ? z / Math.sqrt(denom) : Number.POSITIVE_INFINITY;
  }
  const logQ = Math.log(q);
  let uLo = Math.log(z);
  let uHi = Number.POSITIVE_INFINITY;
  const start = cornishFisher(z, df);
  let u = Number.isFinite(start) && start > z ? Math.log(start) : uLo + Math.LN2;
  for (let i = 0; i < MAX_ITERATIONS; i++) {
    if (u > LOG_MAX) {
      // Beyond the largest double: infinite unless the tail there is still below q.
      if (0.5 * studentTTwoSidedP(Number.MAX_VALUE, df) >= q) return Number.POSITIVE_INFINITY;
      u = LOG_MAX;
    }
    const t = Math.exp(u);
    const s = 0.5 * studentTTwoSidedP(t, df);
    const g = Math.log(s) - logQ;
    if (g > 0) uLo = u;
    else if (g < 0) uHi = u;
    else return t;
    const slope = -Math.exp(u + studentTLogPdf(t, df) - Math.log(s));
    let next = u - g / slope;
    if (!(Number.isFinite(next) && next > uLo && next < uHi)) {
      next = Number.isFinite(uHi) ? 0.5 * (uLo + uHi) : uLo + Math.max(1, Math.abs(uLo));
    }
    const step = Math.abs(next - u);
    u = next;
    if (step <= 1e-15 * Math.max(1, Math.abs(u)) || uHi - uLo <= 1e-15 * Math.max(1, Math.abs(u))) break;
  }
  return Math.exp(u);
}

/** The p-quantile of t(df), for 0 < p < 1 (computed on the smaller tail). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1) || !(df > 0)) return Number.NaN;
  if (p === 0.5) return 0;
  return p < 0.5 ? -studentTUpperQuantile(p, df) : studentTUpperQuantile(1 - p, df);
}

/** t_{1−α/2, df}, the two-sided critical value at level alpha, without forming 1 − α/2. */
export function studentTCriticalValue(alpha: number, df: number): number {
  if (!(alpha > 0 && alpha < 1)) return Number.NaN;
  return studentTUpperQuantile(alpha / 2, df);
}
