// Reads an experiment phase's counters from Redis: one HMGET for the totals (O(arms × metrics)), one
// HGETALL for the days. Shared by the store and the read-only reader of the CLI.
import type { AggregateQuery, DayAggregate, ExperimentAggregates } from '../event-store.js';
import { armAggregates, dailyAggregates, field, fieldsOf, type FieldReader } from '../stat-fields.js';
import type { KeyLayout } from './key-layout.js';
import type { StoreRedis } from './store-client.js';

function counter(v: unknown, name: string): number {
  if (v === null || v === undefined) return 0;
  const n = Number(Buffer.isBuffer(v) ? v.toString() : v);
  if (!Number.isFinite(n)) throw new Error(`non-numeric counter ${name} in Redis`);
  return n;
}

export async function readTotals(
  client: Pick<StoreRedis, 'hmget' | 'hlen'>,
  keys: KeyLayout,
  query: AggregateQuery,
): Promise<ExperimentAggregates> {
  const phase = query.phase ?? 1;
  const names = fieldsOf(query);
  const [values, heldUsers] = await Promise.all([
    client.hmget(keys.stats(query.experiment, phase), ...names),
    client.hlen(keys.held(query.experiment, phase)),
  ]);
  const byName = new Map(names.map((n, i) => [n, counter(values[i], n)]));
  const read: FieldReader = (name) => byName.get(name) ?? 0;
  return {
    experiment: query.experiment,
    phase,
    arms: armAggregates(query, read),
    multipleArmUsers: read(field.multipleArmUsers),
    unattributed: Object.fromEntries(query.metrics.map((m) => [m.name, read(field.unattributed(m.name))])),
    heldUsers,
  };
}

export async function readDays(
  client: Pick<StoreRedis, 'hgetall'>,
  keys: KeyLayout,
  query: AggregateQuery,
): Promise<DayAggregate[]> {
  const raw = await client.hgetall(keys.daily(query.experiment, query.phase ?? 1));
  const entries = Object.entries(raw).map(([k, v]) => [k, counter(v, k)] as const);
  return dailyAggregates(query, entries);
}
