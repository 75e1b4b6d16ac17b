// How one event moves a user's value and the arm's statistics. Pure; the in-memory store runs it and the
// Redis store's Lua (redis/lua/apply.lua) performs the same floating-point operations in the same order,
// so both stores hold bit-identical numbers.
//
// Binomial metrics keep exact counts (users, converted). Continuous and mean metrics keep a shift K (the
// arm's first value) and Welford's running mean and M2 of x − K, updated when a user joins or a user's
// value changes; ratio metrics the same for the pair (numerator, denominator) with the co-moment. Every
// update works on deviations from running means, so M2 stays exact whatever the size of the values, and
// the shift keeps the mean's own rounding small (Σx² − (Σx)²/n, or sums shifted by a first partial value,
// lose the variance when the mean is large and the spread small).
import type { MetricType } from './event-store.js';

/**
 * A user's running value of one metric: binomial 0/1, continuous the sum of the events, mean the sum
 * and the count of the observations (its value is sum / count).
 */
export interface RawValue {
  readonly sum: number;
  /** mean only: observations so far; 0 for the other types. */
  readonly count: number;
}

/** The user's value after an event of `value` (mean: `count` observations summing to `value`). */
export function nextRaw(type: MetricType, prev: RawValue | undefined, value: number, count = 1): RawValue {
  if (type === 'binomial') return { sum: prev?.sum === 1 || value === 1 ? 1 : 0, count: 0 };
  if (type === 'continuous') return { sum: (prev?.sum ?? 0) + value, count: 0 };
  return { sum: (prev?.sum ?? 0) + value, count: (prev?.count ?? 0) + count };
}

/** What a user contributes to the arm's statistics: the capped running sum, the 0/1, or the mean. */
export function contribution(type: MetricType, raw: RawValue, cap?: number): number {
  if (type === 'mean') return raw.sum / raw.count;
  if (type === 'continuous' && cap !== undefined && raw.sum > cap) return cap;
  return raw.sum;
}

/** An arm's running statistics of one continuous or mean metric (Welford, on x − shift). */
export interface Moments {
  readonly users: number;
  /** The arm's first value; fixed from then on. */
  readonly shift: number;
  /** Mean of x − shift over the users. */
  readonly mean: number;
  /** Σ (x − shift − mean)² over the users: Σ (x − x̄)². */
  readonly m2: number;
}

/**
 * Moments after one user's contribution moves from `prev` (undefined: the user had none) to `next`:
 * a new user is Welford's step; a change replaces the value: the mean moves by (next − prev)/n and
 * M2 by (next − prev)·((next′ − mean′) + (prev′ − mean)), where ′ is the shifted value: differences
 * of values from means only.
 */
export function nextMoments(m: Moments, prev: number | undefined, next: number): Moments {
  const shift = m.users === 0 ? next : m.shift;
  const x = next - shift;
  if (prev === undefined) {
    const users = m.users + 1;
    const d = x - m.mean;
    const mean = m.mean + d / users;
    return { users, shift, mean, m2: m.m2 + d * (x - mean) };
  }
  const change = next - prev;
  const mean = m.mean + change / m.users;
  return { users: m.users, shift, mean, m2: m.m2 + change * (x - mean + (prev - shift - m.mean)) };
}

/** A user's (numerator, denominator) contributions to a ratio metric; a missing component is 0. */
export interface RatioPair {
  readonly n: number;
  readonly d: number;
}

/** An arm's running statistics of one ratio metric: means and co-moments of the shifted pairs (Welford). */
export interface CoMoments {
  readonly users: number;
  /** The arm's first pair; fixed from then on. */
  readonly shiftN: number;
  readonly shiftD: number;
  /** Means of n − shiftN and d − shiftD. */
  readonly meanN: number;
  readonly meanD: number;
  /** Σ (n − n̄)² */
  readonly m2N: number;
  /** Σ (d − d̄)² */
  readonly m2D: number;
  /** Σ (n − n̄)(d − d̄) */
  readonly cND: number;
}

/** CoMoments after one user's pair moves from `prev` (undefined: not in the ratio yet) to `next`. */
export function nextCoMoments(c: CoMoments, prev: RatioPair | undefined, next: RatioPair): CoMoments {
  const shiftN = c.users === 0 ? next.n : c.shiftN;
  const shiftD = c.users === 0 ? next.d : c.shiftD;
  const xn = next.n - shiftN;
  const xd = next.d - shiftD;
  if (prev === undefined) {
    const users = c.users + 1;
    const dn = xn - c.meanN;
    const dd = xd - c.meanD;
    const meanN = c.meanN + dn / users;
    const meanD = c.meanD + dd / users;
    return {
      users,
      shiftN,
      shiftD,
      meanN,
      meanD,
      m2N: c.m2N + dn * (xn - meanN),
      m2D: c.m2D + dd * (xd - meanD),
      cND: c.cND + dn * (xd - meanD),
    };
  }
  const en = next.n - prev.n;
  const ed = next.d - prev.d;
  const meanN = c.meanN + en / c.users;
  const meanD = c.meanD + ed / c.users;
  return {
    users: c.users,
    shiftN,
    shiftD,
    meanN,
    meanD,
    m2N: c.m2N + en * (xn - meanN + (prev.n - shiftN - c.meanN)),
    m2D: c.m2D + ed * (xd - meanD + (prev.d - shiftD - c.meanD)),
    cND: c.cND + en * (xd - meanD) + (prev.n - shiftN - c.meanN) * ed,
  };
}

/**
 * shift + mean as one double plus the exact rounding residual (Knuth's TwoSum), so the engine's
 * MomentSums carry the mean to the last bit: shift′ = fl(shift + mean), residual = shift + mean − shift′.
 */
export function splitMean(shift: number, mean: number): { shift: number; residual: number } {
  const s = shift + mean;
  const b = s - shift;
  return { shift: s, residual: shift - (s - b) + (mean - b) };
}

/** UTC day (days since the epoch) of a time in ms. */
export function dayOf(timeMs: number): number {
  return Math.floor(timeMs / 86_400_000);
}
