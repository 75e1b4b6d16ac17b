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
          const agg = byArm.get(a.name)?.metrics[m.name];
          // Today's aggregates are unshifted sums (shift 0) until the store provides shifted ones.
          return [
            a.name,
            { users: agg?.users ?? 0, shift: 0, sum: agg?.sum ?? 0, sumSquares: agg?.sumSquares ?? 0 },
          ];
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
