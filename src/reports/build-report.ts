// Builds an experiment's report: the store's sufficient statistics through the significance engine.
import {
  analyzeExperiment,
  seriesFromTotals,
  type Analysis,
  type GuardrailLimits,
  type MetricInput,
  type TimeSeries,
  ZERO_MOMENTS,
  ZERO_RATIO,
} from '../core/stats/index.js';
import type { ExperimentDefinition } from '../config/experiment-schema.js';
import type { ArmAggregate, DayAggregate, EventStore } from '../store/event-store.js';
import { aggregateQueryOf, builtInGuardrailMetrics } from '../routing/metric-targets.js';
import type { RolloutReport } from './rollout-report.js';

/** Where the experiment is in its lifecycle, and which allocation phase the report covers. */
export interface ReportState {
  status: ExperimentDefinition['status'];
  /** When the status last changed (ISO 8601); null when not known (no live state). */
  since: string | null;
  /** Live state version; null when not known. */
  version: number | null;
  winner: string | null;
  traffic: number;
  /** The phase this report covers (the current one unless ?phase=N asked for another). */
  phase: number;
  current_phase: number;
  phase_started_at: string | null;
  /** When the next phase began; null for the current phase. */
  phase_ended_at: string | null;
}

export interface Report extends Analysis {
  experiment: string;
  status: ExperimentDefinition['status'];
  description: string;
  generated_at: string;
  state: ReportState;
  /** Outcomes that found no exposed user in this phase after the grace period, by metric. */
  unattributed: Record<string, number>;
  /** Users with outcomes still waiting for their exposure (within the grace period). */
  held_users: number;
  /** The comparison as it stood at the end of each day (UTC) with a change, when the store keeps days. */
  time_series: TimeSeries | null;
  /** The automated canary's progress, when the experiment has `rollout:` (filled in by the control plane). */
  rollout?: RolloutReport;
}

export interface ReportOptions {
  /** Allocation phase to report; `definition` must carry that phase's weights. @default 1 */
  phase?: number;
  /** @default derived from the definition (phase 1, times unknown) */
  state?: ReportState;
  /** Also compute the day-by-day series (one more store read, O(days)). @default true */
  timeSeries?: boolean;
}

type ReportStore = Pick<EventStore, 'readAggregates'> & Partial<Pick<EventStore, 'readDaily'>>;

function limitsOf(definition: ExperimentDefinition, metric: string): GuardrailLimits | undefined {
  const g = definition.guardrails.find((x) => x.metric === metric);
  if (!g) return undefined;
  return {
    ...(g.max_increase === undefined ? {} : { maxIncrease: g.max_increase }),
    ...(g.max_relative_increase === undefined ? {} : { maxRelativeIncrease: g.max_relative_increase }),
    ...(g.max_decrease === undefined ? {} : { maxDecrease: g.max_decrease }),
    ...(g.max_relative_decrease === undefined ? {} : { maxRelativeDecrease: g.max_relative_decrease }),
  };
}

/** The engine's metrics: the experiment's, then the gateway's own guardrails (always, outside the correction). */
function metricInputs(definition: ExperimentDefinition): Omit<MetricInput, 'arms'>[] {
  const own = definition.metrics.map((m) => {
    const guardrail = limitsOf(definition, m.name);
    return {
      name: m.name,
      type: m.type,
      direction: m.direction,
      mde: m.mde,
      ...(guardrail ? { guardrail } : {}),
    };
  });
  const builtIn = builtInGuardrailMetrics().map((m) => ({
    name: m.name,
    type: 'binomial' === m.type ? ('binomial' as const) : ('continuous' as const),
    direction: 'decrease' as const,
    mde: 0.05,
    guardrail: limitsOf(definition, m.name) ?? {},
    // The gateway averages over the users it measured: one not measured yet is not a 0 ms latency.
    perMeasuredUser: true,
  }));
  return [...own, ...builtIn];
}

function sumsOf(arm: ArmAggregate | undefined, metric: Omit<MetricInput, 'arms'>) {
  if (metric.type === 'ratio') return arm?.ratios[metric.name] ?? ZERO_RATIO;
  return arm?.metrics[metric.name] ?? ZERO_MOMENTS;
}

function dayLabel(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}

export async function buildReport(
  definition: ExperimentDefinition,
  store: ReportStore,
  now: () => number,
  options: ReportOptions = {},
): Promise<Report> {
  const phase = options.phase ?? 1;
  const query = aggregateQueryOf(definition, phase);
  const aggregates = await store.readAggregates(query);
  const byArm = new Map(aggregates.arms.map((a) => [a.arm, a]));
  const metrics = metricInputs(definition);
  const common = {
    alpha: definition.alpha,
    correction: definition.correction,
    analysis: definition.analysis,
    sequentialTuning: definition.planned_users,
  };
  const analysis = analyzeExperiment({
    ...common,
    multipleArmUsers: aggregates.multipleArmUsers,
    arms: definition.arms.map((a) => ({
      name: a.name,
      weight: a.weight,
      control: a.control,
      exposures: byArm.get(a.name)?.exposures ?? 0,
    })),
    metrics: metrics.map((m) => ({
      ...m,
      arms: Object.fromEntries(definition.arms.map((a) => [a.name, sumsOf(byArm.get(a.name), m)])),
    })),
  });
  let days: DayAggregate[] = [];
  if (options.timeSeries !== false && store.readDaily) days = await store.readDaily(query);
  const timeSeries =
    days.length === 0
      ? null
      : seriesFromTotals({
          ...common,
          arms: definition.arms.map((a) => ({ name: a.name, weight: a.weight, control: a.control })),
          metrics,
          days: days.map((d) => {
            const arms = new Map(d.arms.map((a) => [a.arm, a]));
            return {
              day: dayLabel(d.day),
              arms: Object.fromEntries(
                definition.arms.map((a) => {
                  const arm = arms.get(a.name);
                  return [
                    a.name,
                    {
                      exposures: arm?.exposures ?? 0,
                      metrics: Object.fromEntries(metrics.map((m) => [m.name, sumsOf(arm, m)])),
                    },
                  ];
                }),
              ),
            };
          }),
        });
  return {
    experiment: definition.id,
    status: definition.status,
    description: definition.description,
    generated_at: new Date(now()).toISOString(),
    state: options.state ?? {
      status: definition.status,
      since: null,
      version: null,
      winner: definition.winner ?? null,
      traffic: definition.traffic,
      phase,
      current_phase: phase,
      phase_started_at: null,
      phase_ended_at: null,
    },
    ...analysis,
    unattributed: { ...aggregates.unattributed },
    held_users: aggregates.heldUsers,
    time_series: timeSeries,
  };
}
