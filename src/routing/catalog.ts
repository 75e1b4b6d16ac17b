// One immutable snapshot of every experiment, compiled: lookup by id, the route table, and which
// experiments track a metric. Live control (src/control/registry.ts) swaps in a new one on each change.
import type { LoadedExperiment } from '../config/load-experiments.js';
import { isCollecting } from '../core/lifecycle.js';
import type { MetricType, OutcomeTarget } from '../store/event-store.js';
import { compileExperiment, type CompiledExperiment } from './compiled-experiment.js';
import { eventMetricSpecs } from './metric-targets.js';
import { RouteTable } from './route-table.js';

export interface MetricTarget extends OutcomeTarget {
  readonly experiment: string;
  readonly phase: number;
  readonly metricType: MetricType;
  /** Plausible range of one event's value in this experiment (continuous metrics). */
  readonly min?: number;
  readonly max?: number;
}

export class ExperimentCatalog {
  readonly byId: ReadonlyMap<string, CompiledExperiment>;
  readonly routes: RouteTable;
  private readonly targetsByMetric = new Map<string, MetricTarget[]>();

  /** `experiments` are compiled with their effective definitions, in a stable order. */
  constructor(experiments: readonly CompiledExperiment[]) {
    this.byId = new Map(experiments.map((e) => [e.id, e]));
    this.routes = new RouteTable(experiments);
    for (const exp of experiments) {
      if (!isCollecting(exp.definition.status)) continue;
      // Ratio metrics take no events of their own: their parts' events update them.
      for (const { metric: m, ratios } of eventMetricSpecs(exp.definition)) {
        let list = this.targetsByMetric.get(m.name);
        if (!list) this.targetsByMetric.set(m.name, (list = []));
        list.push({
          experiment: exp.id,
          phase: exp.phase,
          metricType: m.type,
          ...(m.cap !== undefined ? { cap: m.cap } : {}),
          ...(ratios.length > 0 ? { ratios } : {}),
          ...(m.min !== undefined ? { min: m.min } : {}),
          ...(m.max !== undefined ? { max: m.max } : {}),
        });
      }
    }
  }

  /** A catalog of the files as they are, without live state (tools that read files only). */
  static fromFiles(loaded: readonly LoadedExperiment[]): ExperimentCatalog {
    return new ExperimentCatalog(loaded.map((l) => compileExperiment(l.definition)));
  }

  /** Experiments (running or paused) an outcome for `metric` may count in, in their current phase. */
  targetsFor(metric: string): readonly MetricTarget[] {
    return this.targetsByMetric.get(metric) ?? [];
  }

  /** Whether an experiment collects outcomes now (running or paused). */
  isCollecting(exp: CompiledExperiment): boolean {
    return isCollecting(exp.definition.status);
  }

  list(): CompiledExperiment[] {
    return [...this.byId.values()];
  }
}
