// The one shape both stores apply: an outcome in one experiment phase, or a guardrail observation
// turned into the two built-in metrics' outcomes.
import {
  GUARDRAIL_METRICS,
  type GuardrailObservation,
  type MetricType,
  type OutcomeRecord,
  type OutcomeTarget,
  type RatioLink,
} from './event-store.js';

/** One metric update of one user in one experiment phase. */
export interface OutcomeOp {
  readonly metric: string;
  readonly type: MetricType;
  /** binomial 0/1; continuous the amount; mean the sum of `count` observations. */
  readonly value: number;
  /** mean: observations in `value`; 1 otherwise. */
  readonly count: number;
  readonly cap?: number | undefined;
  readonly ratios: readonly RatioLink[];
  readonly eventId?: string | undefined;
  readonly timestamp: number;
}

/** Most outcomes held for one user before further ones count as unattributed at once. */
export const MAX_HELD_PER_USER = 100;

export function outcomeOp(record: OutcomeRecord, target: OutcomeTarget): OutcomeOp {
  return {
    metric: record.metric,
    type: target.metricType,
    value: record.value,
    count: 1,
    cap: target.cap,
    ratios: target.ratios ?? [],
    eventId: record.eventId,
    timestamp: record.timestamp,
  };
}

/** abgate_errors (binomial: any error) and abgate_latency_ms (mean of the user's latencies). */
export function guardrailOps(o: GuardrailObservation): OutcomeOp[] {
  return [
    {
      metric: GUARDRAIL_METRICS.errors,
      type: 'binomial',
      value: o.errors,
      count: 1,
      ratios: [],
      timestamp: o.timestamp,
    },
    {
      metric: GUARDRAIL_METRICS.latency,
      type: 'mean',
      value: o.latencyMs,
      count: o.requests,
      ratios: [],
      timestamp: o.timestamp,
    },
  ];
}

/** accepted if any experiment counted it; else duplicate if any had seen it; else held; else unattributed. */
export function combineTargetStatuses(
  statuses: readonly ('accepted' | 'duplicate' | 'held' | 'unattributed')[],
): 'accepted' | 'duplicate' | 'held' | 'unattributed' {
  if (statuses.includes('accepted')) return 'accepted';
  if (statuses.includes('duplicate')) return 'duplicate';
  if (statuses.includes('held')) return 'held';
  return 'unattributed';
}
