// How one outcome event changes a user's value and the arm's sufficient statistics.
// Shared by the in-memory store; the Redis Lua script implements the same rule.
import type { MetricType } from './event-store.js';

export interface AggregateDelta {
  /** The user's value after the event. */
  readonly next: number;
  readonly users: number;
  readonly sum: number;
  readonly sumSquares: number;
  readonly converted: number;
}

/**
 * binomial: a user converts once; value 0 records the user without converting.
 * continuous: the user's value is the sum of their events; the squared sum moves by next² − prev².
 * `previous` is undefined when the user has no event for the metric yet.
 */
export function applyOutcome(type: MetricType, previous: number | undefined, value: number): AggregateDelta {
  const isNew = previous === undefined ? 1 : 0;
  const prev = previous ?? 0;
  if (type === 'binomial') {
    const next = prev === 1 || value === 1 ? 1 : 0;
    const gained = next - prev;
    return { next, users: isNew, sum: gained, sumSquares: gained, converted: gained };
  }
  const next = prev + value;
  return { next, users: isNew, sum: value, sumSquares: next * next - prev * prev, converted: 0 };
}
