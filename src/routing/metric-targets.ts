// What the store needs to know about an experiment's metrics: per event metric, its type, its cap and
// the ratio metrics it takes part in; and the query that reads them back.
import type { ExperimentDefinition, MetricDefinition } from '../config/experiment-schema.js';
import {
  GUARDRAIL_METRICS,
  type AggregateQuery,
  type MetricSpec,
  type MetricType,
  type RatioLink,
  type RatioMetric,
} from '../store/event-store.js';

type EventMetric = MetricDefinition & { type: 'binomial' | 'continuous' };

function isEventMetric(m: MetricDefinition): m is EventMetric {
  return m.type !== 'ratio';
}

function specOf(m: EventMetric): MetricSpec {
  return { metric: m.name, type: m.type, ...(m.cap === undefined ? {} : { cap: m.cap }) };
}

/** The experiment's ratio metrics as the store keeps them. */
export function ratioMetrics(def: Pick<ExperimentDefinition, 'metrics'>): RatioMetric[] {
  return def.metrics.flatMap((m) =>
    m.type === 'ratio' && m.numerator !== undefined && m.denominator !== undefined
      ? [{ name: m.name, numerator: m.numerator, denominator: m.denominator }]
      : [],
  );
}

/** Per metric events may name: its spec and the ratios it is a part of (validated by the schema). */
export function eventMetricSpecs(
  def: Pick<ExperimentDefinition, 'metrics'>,
): { spec: MetricSpec; metric: EventMetric; ratios: RatioLink[] }[] {
  const byName = new Map(def.metrics.filter(isEventMetric).map((m) => [m.name, m]));
  const ratios = ratioMetrics(def);
  return [...byName.values()].map((m) => ({
    metric: m,
    spec: specOf(m),
    ratios: ratios.flatMap((r) => {
      const links: RatioLink[] = [];
      if (r.numerator === m.name) {
        const other = byName.get(r.denominator);
        if (other) links.push({ name: r.name, role: 'numerator', other: specOf(other) });
      }
      if (r.denominator === m.name) {
        const other = byName.get(r.numerator);
        if (other) links.push({ name: r.name, role: 'denominator', other: specOf(other) });
      }
      return links;
    }),
  }));
}

/** The metrics every experiment has: the gateway records them itself (see GuardrailObservation). */
export function builtInGuardrailMetrics(): { name: string; type: MetricType }[] {
  return [
    { name: GUARDRAIL_METRICS.errors, type: 'binomial' },
    { name: GUARDRAIL_METRICS.latency, type: 'mean' },
  ];
}

/** The store query of an experiment's report (one phase): its metrics, the built-in guardrails, its ratios. */
export function aggregateQueryOf(def: ExperimentDefinition, phase: number): AggregateQuery {
  return {
    experiment: def.id,
    phase,
    arms: def.arms.map((a) => a.name),
    metrics: [
      ...def.metrics.filter(isEventMetric).map((m) => ({ name: m.name, type: m.type as MetricType })),
      ...builtInGuardrailMetrics(),
    ],
    ratios: ratioMetrics(def),
  };
}
