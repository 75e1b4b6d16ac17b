// Exact mean and centered second moments over all exposed users, from the store's shifted sums.
import type { MomentSums, RatioSums } from './types.js';

/**
 * A centered second moment (over all exposed users) at or below this fraction of the raw shifted
 * one, Σ(x − K)², is not resolved by the sums: naive summation of a million squares already carries
 * ~1e-13 of it in rounding, so below 1e-10 the digits left are noise. It only happens when the
 * shift K lies ~1e5 standard deviations from the data (e.g. K = 0 for values 1e5 ± 1); the store's
 * shift (the first value it saw) keeps the ratio near 1.
 */
export const PRECISION_FLOOR = 1e-10;
/** Sums of squares below this were built from squares in (or near) the subnormal range. */
const SMALLEST_RESOLVED = 1e-290;

export type MomentsError = 'invalid_input' | 'numeric_range';

/**
 * One variable over all N exposed users. `centered` = Σ (x − mean)²; null when the sums cannot
 * resolve it (precision loss), 0 only when every user has the same value.
 */
export interface Moments {
  mean: number;
  centered: number | null;
}

export interface RatioMoments {
  meanN: number;
  meanD: number;
  /** Centered Σ(n − m_n)², Σ(d − m_d)², Σ(n − m_n)(d − m_d) over all exposed users. */
  nn: number;
  dd: number;
  nd: number;
  /** The raw shifted sums of squares, to judge rounding noise in combinations of the above. */
  rawNN: number;
  rawDD: number;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: MomentsError };

const fail = (error: MomentsError): { ok: false; error: MomentsError } => ({ ok: false, error });

function isCount(x: number, max: number): boolean {
  return Number.isInteger(x) && x >= 0 && x <= max;
}

/**
 * Merges the m users with a value (mean x̄ₘ = K + S/m, within-group centered sum C = Q − S·S/m)
 * with the N − m users at 0 (Chan, Golub & LeVeque's pairwise update):
 *   mean = (m/N)·x̄ₘ,   Σ(x − mean)² = C + m(N − m)/N · x̄ₘ²
 * The between-groups term is a sum of squares (no cancellation), so the result is as exact as C,
 * and C is exact whenever K lies near the data, whatever the size of the values. Returns the
 * within-group sum uncorrected so the caller can judge it against the raw Q.
 */
function merge(n: number, m: number, shift: number, sum: number, sumSquares: number) {
  const a = sum / m;
  const within = sumSquares - sum * a;
  const groupMean = shift + a;
  const raw = m === n ? groupMean : (m / n) * groupMean;
  const mean = raw === 0 ? 0 : raw; // never −0
  const between = m === n ? 0 : ((m * (n - m)) / n) * groupMean * groupMean;
  return { within, groupMean, mean, between };
}

/** Mean and centered sum of squares of a binomial or continuous metric; N ≥ 1. */
export function momentsOf(s: MomentSums, n: number): Outcome<Moments> {
  const { users: m, shift, sum, sumSquares } = s;
  if (!isCount(m, n) || ![shift, sum, sumSquares].every(Number.isFinite) || sumSquares < 0) {
    return fail('invalid_input');
  }
  if (m === 0)
    return sum === 0 && sumSquares === 0
      ? { ok: true, value: { mean: 0, centered: 0 } }
      : fail('invalid_input');
  const { within, groupMean, mean, between } = merge(n, m, shift, sum, sumSquares);
  // Cauchy–Schwarz: (Σ(x−K))² ≤ m·Σ(x−K)²; a clearly negative within-group sum is impossible data.
  if (within < -PRECISION_FLOOR * sumSquares) return fail('invalid_input');
  if (!Number.isFinite(mean) || !Number.isFinite(between)) return fail('numeric_range');
  // Exactly zero only when every user has the same value: no spread among the m, and the other
  // N − m (at 0) are either absent or equal to them.
  if (within === 0 && (m === n || groupMean === 0)) return { ok: true, value: { mean, centered: 0 } };
  const centered = Math.max(0, within) + between;
  if (!Number.isFinite(centered)) return fail('numeric_range');
  // Below the floor, or so small that the squares were subnormal (or underflowed to 0): unresolved.
  const resolved = centered > PRECISION_FLOOR * sumSquares && centered >= SMALLEST_RESOLVED;
  return { ok: true, value: { mean, centered: resolved ? centered : null } };
}

/** Means and centered co-moments of a ratio metric's (numerator, denominator) pairs; N ≥ 1. */
export function ratioMomentsOf(s: RatioSums, n: number): Outcome<RatioMoments> {
  const { users: m } = s;
  const sums = [s.shiftN, s.shiftD, s.sumN, s.sumD, s.sumNN, s.sumDD, s.sumND];
  if (!isCount(m, n) || !sums.every(Number.isFinite) || s.sumNN < 0 || s.sumDD < 0)
    return fail('invalid_input');
  if (m === 0) {
    if (sums.slice(2).some((x) => x !== 0)) return fail('invalid_input');
    return { ok: true, value: { meanN: 0, meanD: 0, nn: 0, dd: 0, nd: 0, rawNN: 0, rawDD: 0 } };
  }
  const num = merge(n, m, s.shiftN, s.sumN, s.sumNN);
  const den = merge(n, m, s.shiftD, s.sumD, s.sumDD);
  const cross = s.sumND - s.sumN * (s.sumD / m);
  const crossBetween = m === n ? 0 : ((m * (n - m)) / n) * num.groupMean * den.groupMean;
  const tolerance = PRECISION_FLOOR * Math.sqrt(s.sumNN * s.sumDD);
  if (num.within < -PRECISION_FLOOR * s.sumNN || den.within < -PRECISION_FLOOR * s.sumDD)
    return fail('invalid_input');
  const wn = Math.max(0, num.within);
  const wd = Math.max(0, den.within);
  // Cauchy–Schwarz on the pairs: C_nd² ≤ C_nn·C_dd.
  if (Math.abs(cross) > Math.sqrt(wn) * Math.sqrt(wd) + tolerance) return fail('invalid_input');
  const value: RatioMoments = {
    meanN: num.mean,
    meanD: den.mean,
    nn: wn + num.between,
    dd: wd + den.between,
    nd: cross + crossBetween,
    rawNN: s.sumNN,
    rawDD: s.sumDD,
  };
  if (![value.meanN, value.meanD, value.nn, value.dd, value.nd].every(Number.isFinite)) {
    return fail('numeric_range');
  }
  return { ok: true, value };
}
