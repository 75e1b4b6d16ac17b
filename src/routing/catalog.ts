// All loaded experiments, compiled once: lookup by id, the route table, and which experiments track a metric.
import type { LoadedExperiment } from '../config/load-experiments.js';
import type { MetricType, OutcomeTarget } from '../store/event-store.js';
import { compileExperiment, type CompiledExperiment } from './compiled-experiment.js';
import { RouteTable } from './route-table.js';

/** Statuses whose exposed users still collect outcomes. */
const COLLECTING = new Set(['running', 'paused']);

export interface MetricTarget extends OutcomeTarget {
  readonly experiment: string;
  readonly metricType: MetricType;
  /** Plausible range of one event's value in this experiment (continuous metrics). */
  readonly min?: number;
  readonly max?: number;
}

export class ExperimentCatalog {
  readonly byId: ReadonlyMap<string, CompiledExperiment>;
  readonly routes: RouteTable;
  private readonly targetsByMetric = new Map<string, MetricTarget[]>();

  constructor(loaded: readonly LoadedExperiment[]) {
    const compiled = loaded.map((l) => compileExperiment(l.definition));
    this.byId = new Map(compiled.map((e) => [e.id, e]));
    this.routes = new RouteTable(compiled);
    for (const exp of compiled) {
      if (!COLLECTING.has(exp.definition.status)) continue;
      for (const m of exp.definition.metrics) {
        let list = this.targetsByMetric.get(m.name);
        if (!list) this.targetsByMetric.set(m.name, (list = []));
        list.push({
          experiment: exp.id,
          metricType: m.type,
          ...(m.min !== undefined ? { min: m.min } : {}),
          ...(m.max !== undefined ? { max: m.max } : {}),
        });
      }
    }
  }

  /** Experiments (running or paused) an outcome for `metric` may count in. */
  targetsFor(metric: string): readonly MetricTarget[] {
    return this.targetsByMetric.get(metric) ?? [];
  }

  /** Whether an experiment collects outcomes now (running or paused). */
  isCollecting(exp: CompiledExperiment): boolean {
    return COLLECTING.has(exp.definition.status);
  }

  list(): CompiledExperiment[] {
    return [...this.byId.values()];
  }
}
