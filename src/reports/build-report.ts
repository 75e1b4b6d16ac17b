// Builds an experiment's report: the store's sufficient statistics through the significance engine.
import { analyzeExperiment, type Analysis } from '../core/stats/index.js';
import type { ExperimentDefinition } from '../config/experiment-schema.js';
import type { EventStore } from '../store/event-store.js';
import { aggregateQueryOf } from '../routing/metric-targets.js';

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
}

export interface ReportOptions {
  /** Allocation phase to report; `definition` must carry that phase's weights. @default 1 */
  phase?: number;
  /** @default derived from the definition (phase 1, times unknown) */
  state?: ReportState;
}

export async function buildReport(
  definition: ExperimentDefinition,
  store: Pick<EventStore, 'readAggregates'>,
  now: () => number,
  options: ReportOptions = {},
): Promise<Report> {
  const phase = options.phase ?? 1;
  const aggregates = await store.readAggregates(aggregateQueryOf(definition, phase));
  const byArm = new Map(aggregates.arms.map((a) => [a.arm, a]));
  const analysis = analyzeExperiment({
    alpha: definition.alpha,
    multipleArmUsers: aggregates.multipleArmUsers,
    arms: definition.arms.map((a) => ({
      name: a.name,
      weight: a.weight,
      control: a.control,
      exposures: byArm.get(a.name)?.exposures ?? 0,
    })),
    // Interim: ratio metrics are stored, and analysed once the engine takes RatioSums.
    metrics: definition.metrics
      .flatMap((m) => (m.type === 'ratio' ? [] : [{ ...m, type: m.type }]))
      .map((m) => ({
        name: m.name,
        type: m.type,
        direction: m.direction,
        mde: m.mde,
        arms: Object.fromEntries(
          definition.arms.map((a) => {
            // Interim (until the engine reads shifted sums): back to raw sums Σx and Σx².
            const agg = byArm.get(a.name)?.metrics[m.name];
            const k = agg?.shift ?? 0;
            const n = agg?.users ?? 0;
            const sum = (agg?.sum ?? 0) + n * k;
            const sumSquares = (agg?.sumSquares ?? 0) + 2 * k * (agg?.sum ?? 0) + n * k * k;
            return [a.name, { sum, sumSquares, converted: m.type === 'binomial' ? sum : 0 }];
          }),
        ),
      })),
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
  };
}
