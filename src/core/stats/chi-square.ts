// Chi-square distribution upper tail, for goodness-of-fit tests.
import { regularizedGammaQ } from './gamma.js';

/**
 * P(X ≥ x) for X ~ χ²(df) = Q(df/2, x/2), the regularized upper incomplete gamma computed on the
 * tail itself: full relative precision down to ~1e-300 (an SRM p of 1e-30 reads 1e-30, not 0).
 */
export function chiSquareSf(x: number, df: number): number {
  if (Number.isNaN(x) || !(df > 0)) return Number.NaN;
  if (x <= 0) return 1;
  if (!Number.isFinite(x)) return 0;
  return regularizedGammaQ(df / 2, x / 2);
}
