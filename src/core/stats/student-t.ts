// Student t distribution: two-sided p-value, CDF, density and quantile, accurate for any df ≥ 1.
import jstatPkg from 'jstat';
import { regularizedIncompleteBeta } from './incomplete-beta.js';
import { logGammaHalfRatio } from './log-gamma-ratio.js';
import { normalTwoSidedP } from './normal.js';

const { jStat } = jstatPkg;

const LOG_SQRT_PI = 0.5 * Math.log(Math.PI);
const NEWTON_STEPS = 4;
/**
 * From here on the normal approximation below beats the continued fraction (whose rounding error
 * grows with df): both stay within ~4e-10 relative for |t| ≤ 10 (checked against mpmath).
 */
const LARGE_DF = 1e7;

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
  const t2 = t * t;
  const x = df / (df + t2);
  const y = t2 / (df + t2);
  const logBeta = LOG_SQRT_PI - logGammaHalfRatio(a);
  return regularizedIncompleteBeta(x, a, 0.5, logBeta, y);
}

/** P(T ≤ t) for T ~ t(df). */
export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * studentTTwoSidedP(t, df);
  return t < 0 ? tail : 1 - tail;
}

/** Density of t(df) at t. */
export function studentTPdf(t: number, df: number): number {
  const logDensity =
    logGammaHalfRatio(df / 2) - 0.5 * Math.log(df) - LOG_SQRT_PI - ((df + 1) / 2) * Math.log1p((t * t) / df);
  return Math.exp(logDensity);
}

/**
 * The p-quantile of t(df): jstat's inverse as a starting point, polished by Newton steps on the
 * accurate CDF above (jstat's inverse alone is good to ~1e-8 relative).
 */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1) || !(df > 0)) return Number.NaN;
  let t = jStat.studentt.inv(p, df);
  if (!Number.isFinite(t)) return Number.NaN;
  for (let i = 0; i < NEWTON_STEPS; i++) {
    const step = (studentTCdf(t, df) - p) / studentTPdf(t, df);
    if (!Number.isFinite(step)) break;
    t -= step;
    if (Math.abs(step) <= 1e-15 * Math.max(1, Math.abs(t))) break;
  }
  return t;
}
