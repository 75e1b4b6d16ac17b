// Wilson score interval for a binomial proportion.
import { finiteIntervalOrNull } from './finite.js';
import type { Interval } from './types.js';

/**
 * Wilson score interval for `successes` out of `n` with normal quantile z (z_{1−α/2}):
 * center = (p + z²/2n) / (1 + z²/n), half = z/(1 + z²/n) · √(p(1−p)/n + z²/4n²), clamped to [0, 1]
 * (exactly 0 / 1 at the edges).
 * Null when n ≤ 0 or the inputs are not finite.
 */
export function wilsonInterval(successes: number, n: number, z: number): Interval | null {
  if (!(n > 0) || !Number.isFinite(n) || !Number.isFinite(successes) || !Number.isFinite(z)) return null;
  const p = successes / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt(Math.max(0, (p * (1 - p)) / n + z2 / (4 * n * n)));
  // At p = 0 (p = 1) the bound is exactly 0 (1); rounding would leave a ~1e-20 residue.
  const low = successes <= 0 ? 0 : Math.max(0, center - half);
  const high = successes >= n ? 1 : Math.min(1, center + half);
  return finiteIntervalOrNull(low, high);
}
