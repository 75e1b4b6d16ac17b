// Users per arm needed to detect the metric's relative MDE at 80% power (two-sided test at alpha).
import { finiteOrNull } from './finite.js';
import { normalCriticalValue, normalQuantile } from './normal.js';
import type { MetricType } from './types.js';

/** Power the sample size is computed for. */
export const TARGET_POWER = 0.8;
const Z_POWER = normalQuantile(TARGET_POWER);

export type SampleSizeResult = { n: number } | { n: null; reason: 'invalid_mde' | 'undefined' };

/**
 * With z = z_{1−α/2} + z_{power} (power 0.8):
 *   binomial:   n = z² · (p1(1 − p1) + p2(1 − p2)) / (p2 − p1)²,  p1 = control rate, p2 = p1·(1 + mde)
 *   continuous, ratio: n = 2z² · (s_c / (mde·m_c))²,               s_c² = control per-user variance
 *                                                                (ratio: of the linearized value)
 * rounded up. `invalid_mde` when mde is not a positive number or p2 > 1; `undefined` when the
 * control mean is 0, the control variance is 0 or unknown, or alpha is unusable.
 */
export function sampleSizePerArm(
  type: MetricType,
  control: { mean: number; variance: number | null },
  mde: number,
  alpha: number | null,
): SampleSizeResult {
  if (!(Number.isFinite(mde) && mde > 0)) return { n: null, reason: 'invalid_mde' };
  if (alpha === null || control.mean === 0) return { n: null, reason: 'undefined' };
  const zSum = normalCriticalValue(alpha) + Z_POWER;
  let raw: number;
  if (type === 'binomial') {
    const p1 = control.mean;
    const p2 = p1 * (1 + mde);
    if (p2 > 1) return { n: null, reason: 'invalid_mde' };
    raw = (zSum * zSum * (p1 * (1 - p1) + p2 * (1 - p2))) / ((p2 - p1) * (p2 - p1));
  } else {
    const s2 = control.variance;
    if (s2 === null || !(s2 > 0)) return { n: null, reason: 'undefined' };
    const cv = Math.sqrt(s2) / (mde * control.mean);
    raw = 2 * zSum * zSum * cv * cv;
  }
  const n = finiteOrNull(Math.ceil(raw));
  return n === null || n <= 0 ? { n: null, reason: 'undefined' } : { n };
}
