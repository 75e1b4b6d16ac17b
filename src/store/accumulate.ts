// How one event moves a user's value and the arm's shifted sums. Pure; the in-memory store runs it and
// the Redis store's Lua (redis/lua/apply.lua) performs the same floating-point operations in the same
// order, so both stores hold bit-identical sums.
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

/** Change of a MomentSums when one user's contribution moves from `prev` (none yet) to `next`. */
export interface MomentDelta {
  readonly users: number;
  /** Set when this is the arm's first user: the shift every later update uses. */
  readonly shift: number | undefined;
  readonly sum: number;
  readonly sumSquares: number;
}

/**
 * Shift K is fixed by the arm's first user (0 for binomial, whose sums must stay exact counts):
 * sum moves by (next − K) − (prev − K), sumSquares by (next − K)² − (prev − K)².
 */
export function momentDelta(
  type: MetricType,
  currentUsers: number,
  currentShift: number,
  prev: number | undefined,
  next: number,
): MomentDelta {
  const shift = currentUsers === 0 ? (type === 'binomial' ? 0 : next) : undefined;
  const k = shift ?? currentShift;
  const dn = next - k;
  if (prev === undefined) return { users: 1, shift, sum: dn, sumSquares: dn * dn };
  const dp = prev - k;
  return { users: 0, shift, sum: dn - dp, sumSquares: dn * dn - dp * dp };
}

/** A user's (numerator, denominator) contributions to a ratio metric; a missing component is 0. */
export interface RatioPair {
  readonly n: number;
  readonly d: number;
}

export interface RatioDelta {
  readonly users: number;
  /** Set when this is the arm's first user of the ratio. */
  readonly shiftN: number | undefined;
  readonly shiftD: number | undefined;
  readonly sumN: number;
  readonly sumD: number;
  readonly sumNN: number;
  readonly sumDD: number;
  readonly sumND: number;
}

/** Change of a RatioSums when a user's pair moves from `prev` (not in the ratio yet) to `next`. */
export function ratioDelta(
  currentUsers: number,
  currentShiftN: number,
  currentShiftD: number,
  prev: RatioPair | undefined,
  next: RatioPair,
): RatioDelta {
  const first = currentUsers === 0;
  const kn = first ? next.n : currentShiftN;
  const kd = first ? next.d : currentShiftD;
  const a = next.n - kn;
  const b = next.d - kd;
  const shifts = { shiftN: first ? kn : undefined, shiftD: first ? kd : undefined };
  if (prev === undefined) {
    return { users: 1, ...shifts, sumN: a, sumD: b, sumNN: a * a, sumDD: b * b, sumND: a * b };
  }
  const c = prev.n - kn;
  const e = prev.d - kd;
  return {
    users: 0,
    ...shifts,
    sumN: a - c,
    sumD: b - e,
    sumNN: a * a - c * c,
    sumDD: b * b - e * e,
    sumND: a * b - c * e,
  };
}

/** UTC day (days since the epoch) of a timestamp in ms. */
export function dayOf(timestampMs: number): number {
  return Math.floor(timestampMs / 86_400_000);
}
