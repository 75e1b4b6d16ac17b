// Relative lift (arm vs control) with a delta-method confidence interval.
import { finiteIntervalOrNull, finiteOrNull } from './finite.js';
import type { Interval } from './types.js';

export interface LiftArm {
  n: number;
  mean: number;
  /** Per-user variance: p(1 − p) for binomial, sample variance for continuous; null if undefined. */
  variance: number | null;
}

export interface RelativeLift {
  relative_lift: number | null;
  relative_lift_ci: Interval | null;
}

/**
 * lift = (m_t − m_c)/m_c; Var ≈ s_t²/(n_t·m_c²) + m_t²·s_c²/(n_c·m_c⁴) (delta method, independent arms);
 * CI = lift ± z_{1−α/2}·√Var. Null when m_c = 0; the CI is null when Var is 0 or undefined.
 */
export function relativeLift(control: LiftArm, test: LiftArm, z: number | null): RelativeLift {
  const mc = control.mean;
  if (mc === 0) return { relative_lift: null, relative_lift_ci: null };
  const lift = finiteOrNull((test.mean - mc) / mc);
  if (lift === null || control.variance === null || test.variance === null || z === null) {
    return { relative_lift: lift, relative_lift_ci: null };
  }
  const mc2 = mc * mc;
  const variance =
    test.variance / (test.n * mc2) + (test.mean * test.mean * control.variance) / (control.n * mc2 * mc2);
  if (!(variance > 0)) return { relative_lift: lift, relative_lift_ci: null };
  const half = z * Math.sqrt(variance);
  return { relative_lift: lift, relative_lift_ci: finiteIntervalOrNull(lift - half, lift + half) };
}
