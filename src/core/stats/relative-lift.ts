// Relative lift (arm vs control) with a Fieller interval, in a scale-free form that cannot overflow.
import { finiteOrNull } from './finite.js';
import type { Interval } from './types.js';

/** An arm's mean and the variance of that mean (se²), independent between arms. */
export interface MeanEstimate {
  mean: number;
  variance: number;
}

export type LiftInterval =
  | { kind: 'bounded'; interval: Interval }
  /** The Fieller set is the whole line or two rays: the control mean is not resolved from 0. */
  | { kind: 'unbounded' }
  /** Inputs outside the double range (or a zero control mean): nothing to say. */
  | { kind: 'undefined' };

/**
 * lift = (m_t − m_c)/|m_c|: the change in units of the control's magnitude, so that a higher arm
 * always has a positive lift, also for a negative control mean (GrowthBook divides by |m_c| too).
 * Null when m_c = 0.
 */
export function relativeLift(control: number, test: number): number | null {
  if (control === 0) return null;
  return finiteOrNull((test - control) / Math.abs(control));
}

/**
 * Fieller's interval for the lift at critical value q (Fieller 1954; Franz 2007, "Ratios: a short
 * guide to confidence limits and proper use"). The set of ratios ρ = m_t/m_c compatible with the
 * data, {ρ : (b − ρa)² ≤ q²(v_t + ρ²v_c)} for estimates a = m̂_c, b = m̂_t with variances v_c, v_t,
 * is computed divided through by a² (so 1e80 or 1e-80 means neither overflow nor underflow):
 *   c = v_c/a², t = v_t/a², r = b/a,   A = 1 − q²c  (A > 0 ⇔ |a|/√v_c > q: a bounded interval)
 *   ρ ∈ [(r ∓ q√(tA + r²c)) / A]
 * and mapped to lift = sign(a)(ρ − 1):  center = (lift̂ + sign(a)·q²c)/A,  half = q√(tA + r²c)/A.
 * ρ = 1 lies in the set exactly when |b − a| ≤ q√(v_c + v_t), i.e. when the difference is not
 * significant at q: the interval excludes 0 ⇔ the difference interval excludes 0.
 * It keeps its coverage at small n for skewed data, where the delta method does not.
 */
export function fiellerLift(control: MeanEstimate, test: MeanEstimate, q: number): LiftInterval {
  const a = control.mean;
  const lift = relativeLift(a, test.mean);
  if (lift === null || !(q >= 0) || !(control.variance >= 0) || !(test.variance >= 0)) {
    return { kind: 'undefined' };
  }
  const sc = Math.sqrt(control.variance) / Math.abs(a);
  const st = Math.sqrt(test.variance) / Math.abs(a);
  const r = test.mean / a;
  if (![sc, st, r].every(Number.isFinite)) return { kind: 'undefined' };
  const qc = q * sc;
  const A = 1 - qc * qc;
  if (!(A > 0)) return { kind: 'unbounded' };
  const rc = r * sc;
  const half = (q * Math.sqrt(st * st * A + rc * rc)) / A;
  const center = (lift + Math.sign(a) * qc * qc) / A;
  const lo = finiteOrNull(center - half);
  const hi = finiteOrNull(center + half);
  return lo === null || hi === null ? { kind: 'undefined' } : { kind: 'bounded', interval: [lo, hi] };
}

/**
 * Whether a lift value lies in the Fieller set at q, bounded or not (for coverage checks):
 * with ρ = 1 + sign(a)·lift, (r − ρ)² ≤ q²(t + ρ²c) in the scale-free terms above.
 */
export function fiellerContains(control: MeanEstimate, test: MeanEstimate, q: number, lift: number): boolean {
  const a = control.mean;
  const rho = 1 + Math.sign(a) * lift;
  const r = test.mean / a;
  const c = control.variance / (a * a);
  const t = test.variance / (a * a);
  return (r - rho) * (r - rho) <= q * q * (t + rho * rho * c);
}
