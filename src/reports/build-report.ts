// Builds an experiment's report: the store's sufficient statistics through the significance engine.
import { analyzeExperiment, type Analysis } from '../core/stats/index.js';
import type { ExperimentDefinition } from '../config/experiment-schema.js';
import type { EventStore } from '../store/event-store.js';

export interface Report extends Analysis {
  experiment: string;
  status: ExperimentDefinition['status'];
  description: string;
  generated_at: string;
}

export async function buildReport(
  definition: ExperimentDefinition,
  store: Pick<EventStore, 'readAggregates'>,
  now: () => number,
): Promise<Report> {
  const aggregates = await store.readAggregates({
    experiment: definition.id,
    arms: definition.arms.map((a) => a.name),
    metrics: definition.metrics.map((m) => ({ name: m.name, type: m.type })),
  });
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
    metrics: definition.metrics.map((m) => ({
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
    ...analysis,
  };
}
