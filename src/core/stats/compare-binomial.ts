// Two-proportion z-test (pooled SE) with a Wald (unpooled SE) interval for the difference.
import { finiteIntervalOrNull, finiteOrNull } from './finite.js';
import { normalTwoSidedP } from './normal.js';
import type { DifferenceTest } from './types.js';

export interface ProportionArm {
  n: number;
  successes: number;
}

/**
 * diff = p_t − p_c; z = diff / √(p̂(1 − p̂)(1/n_c + 1/n_t)) with the pooled p̂ = (x_c + x_t)/(n_c + n_t);
 * p = 2Φ(−|z|); CI = diff ± z_{1−α/2}·√(p_c(1 − p_c)/n_c + p_t(1 − p_t)/n_t).
 * A zero standard error leaves the fields that divide by it (or are zero-width) null.
 * Both arms must have n > 0; `z` is z_{1−α/2}, or null when alpha is unusable.
 */
export function twoProportionTest(
  control: ProportionArm,
  test: ProportionArm,
  z: number | null,
): DifferenceTest {
  const pc = control.successes / control.n;
  const pt = test.successes / test.n;
  const diff = pt - pc;
  const pooled = (control.successes + test.successes) / (control.n + test.n);
  const sePooled = Math.sqrt(pooled * (1 - pooled) * (1 / control.n + 1 / test.n));
  const statistic = sePooled > 0 ? finiteOrNull(diff / sePooled) : null;
  const se = Math.sqrt((pc * (1 - pc)) / control.n + (pt * (1 - pt)) / test.n);
  const usableSe = se > 0 ? finiteOrNull(se) : null;
  return {
    statistic,
    p_value: statistic === null ? null : finiteOrNull(normalTwoSidedP(statistic)),
    diff: finiteOrNull(diff),
    diff_ci:
      usableSe === null || z === null ? null : finiteIntervalOrNull(diff - z * usableSe, diff + z * usableSe),
    se: usableSe,
  };
}
