// Reads an experiment's aggregates from its stats hash with one HMGET: O(arms × metrics) fields.
import type { AggregateQuery, ExperimentAggregates, MetricAggregate } from '../event-store.js';
import { statField } from './key-layout.js';

/** The stats-hash fields `parseAggregates` expects, in order. */
export function aggregateFields(query: AggregateQuery): string[] {
  const fields: string[] = [statField.multipleArmUsers];
  for (const arm of query.arms) {
    fields.push(statField.exposures(arm));
    for (const m of query.metrics) {
      fields.push(
        statField.users(arm, m.name),
        statField.sum(arm, m.name),
        statField.sumSquares(arm, m.name),
        statField.converted(arm, m.name),
      );
    }
  }
  return fields;
}

/** Builds the aggregates from the HMGET reply to `aggregateFields(query)`; missing fields are 0. */
export function parseAggregates(query: AggregateQuery, values: readonly unknown[]): ExperimentAggregates {
  let i = 0;
  const next = (): number => {
    const v = values[i++];
    if (v === null || v === undefined) return 0;
    const n = Number(Buffer.isBuffer(v) ? v.toString() : v);
    if (!Number.isFinite(n)) throw new Error(`non-numeric counter in the stats hash of ${query.experiment}`);
    return n;
  };
  const multipleArmUsers = next();
  const arms = query.arms.map((arm) => {
    const exposures = next();
    const metrics: Record<string, MetricAggregate> = {};
    for (const m of query.metrics) {
      metrics[m.name] = { users: next(), sum: next(), sumSquares: next(), converted: next() };
    }
    return { arm, exposures, metrics };
  });
  return { experiment: query.experiment, arms, multipleArmUsers };
}
