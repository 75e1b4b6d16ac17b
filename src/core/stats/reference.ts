// The reference distribution of a comparison's statistic: its p-value and matching critical values.
import { normalCriticalValue, normalTwoSidedP } from './normal.js';
import { sequentialMultiplier, sequentialPValue } from './sequential.js';
import { studentTCriticalValue, studentTTwoSidedP } from './student-t.js';

/**
 * How T = estimate/se is judged. One object answers both questions so that they cannot disagree:
 * for any error rate a in (0, 1), pValue(T) < a ⇔ |T| > critical(a). An interval
 * estimate ± critical(a)·se therefore excludes 0 exactly when p < a.
 */
export interface Reference {
  readonly name: 'normal' | 'student-t' | 'sequential';
  /** Two-sided p-value of T. */
  pValue(statistic: number): number;
  /** Two-sided critical value at error rate `level`. */
  critical(level: number): number;
}

/** Fixed horizon, normal: p = 2Φ(−|T|), critical value z_{1−a/2}. */
export const NORMAL: Reference = {
  name: 'normal',
  pValue: normalTwoSidedP,
  critical: normalCriticalValue,
};

/** Fixed horizon, Student t with df degrees of freedom (Welch): p = P(|T_df| ≥ |T|), t_{1−a/2, df}. */
export function studentReference(df: number): Reference {
  return {
    name: 'student-t',
    pValue: (t) => studentTTwoSidedP(t, df),
    critical: (level) => studentTCriticalValue(level, df),
  };
}

/** Always valid: the asymptotic confidence sequence for `users` total users and mixture scale rho. */
export function sequentialReference(users: number, rho: number): Reference {
  return {
    name: 'sequential',
    pValue: (t) => sequentialPValue(t, users, rho),
    critical: (level) => sequentialMultiplier(level, users, rho),
  };
}

/**
 * Welch–Satterthwaite degrees of freedom from the two variances of the means v_c, v_t, written with
 * the share r = v_c/(v_c + v_t) so that it needs no se⁴ (which overflows for values near 1e77 and
 * underflows near 1e-80):  df = (v_c + v_t)² / (v_c²/(n_c − 1) + v_t²/(n_t − 1))
 *                              = 1 / (r²/(n_c − 1) + (1 − r)²/(n_t − 1)).
 */
export function welchDf(vc: number, nc: number, vt: number, nt: number): number {
  const r = vc === 0 ? 0 : 1 / (1 + vt / vc);
  const s = 1 - r;
  return 1 / ((r * r) / (nc - 1) + (s * s) / (nt - 1));
}
