// Welch's unequal-variance t-test with a Welch–Satterthwaite interval for the difference of means.
import { finiteIntervalOrNull, finiteOrNull } from './finite.js';
import { studentTQuantile, studentTTwoSidedP } from './student-t.js';
import type { DifferenceTest } from './types.js';

export interface MeanArm {
  n: number;
  mean: number;
  /** Sample variance (n − 1); null when n < 2. */
  variance: number | null;
}

/**
 * diff = m_t − m_c; se = √(s_c²/n_c + s_t²/n_t); t = diff/se;
 * df = se⁴ / ((s_c²/n_c)²/(n_c − 1) + (s_t²/n_t)²/(n_t − 1)); p = P(|T_df| ≥ |t|);
 * CI = diff ± t_{1−α/2, df}·se. Undefined variances or a zero se leave the test fields null.
 */
export function welchTest(control: MeanArm, test: MeanArm, alpha: number | null): DifferenceTest {
  const diff = finiteOrNull(test.mean - control.mean);
  const none: DifferenceTest = { statistic: null, p_value: null, diff, diff_ci: null, se: null };
  if (control.variance === null || test.variance === null || diff === null) return none;
  const vc = control.variance / control.n;
  const vt = test.variance / test.n;
  const se2 = vc + vt;
  const se = finiteOrNull(Math.sqrt(se2));
  if (se === null || !(se > 0)) return none;
  const df = (se2 * se2) / ((vc * vc) / (control.n - 1) + (vt * vt) / (test.n - 1));
  const statistic = finiteOrNull(diff / se);
  if (statistic === null || !(df > 0)) return { ...none, se };
  let diffCi = null;
  if (alpha !== null) {
    const half = studentTQuantile(1 - alpha / 2, df) * se;
    diffCi = finiteIntervalOrNull(diff - half, diff + half);
  }
  return { statistic, p_value: finiteOrNull(studentTTwoSidedP(statistic, df)), diff, diff_ci: diffCi, se };
}
