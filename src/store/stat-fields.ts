// Names of the counters both stores keep per experiment and phase, and how they become aggregates.
// The Redis store keeps them as fields of one hash (totals) and of a daily hash (`<day>|<field>`), the
// in-memory store in maps with the same names, so one parser serves both. Arm and metric names are
// slugs: they never contain '|'.
import type { AggregateQuery, ArmAggregate, DayAggregate, MomentSums, RatioSums } from './event-store.js';

export const field = {
  exposures: (arm: string) => `x|${arm}`,
  multipleArmUsers: 'multi',
  unattributed: (metric: string) => `u|${metric}`,
  users: (arm: string, metric: string) => `m|${arm}|${metric}`,
  shift: (arm: string, metric: string) => `k|${arm}|${metric}`,
  sum: (arm: string, metric: string) => `s|${arm}|${metric}`,
  sumSquares: (arm: string, metric: string) => `q|${arm}|${metric}`,
  ratio: {
    users: (arm: string, ratio: string) => `rm|${arm}|${ratio}`,
    shiftN: (arm: string, ratio: string) => `rkn|${arm}|${ratio}`,
    shiftD: (arm: string, ratio: string) => `rkd|${arm}|${ratio}`,
    sumN: (arm: string, ratio: string) => `rsn|${arm}|${ratio}`,
    sumD: (arm: string, ratio: string) => `rsd|${arm}|${ratio}`,
    sumNN: (arm: string, ratio: string) => `rqn|${arm}|${ratio}`,
    sumDD: (arm: string, ratio: string) => `rqd|${arm}|${ratio}`,
    sumND: (arm: string, ratio: string) => `rx|${arm}|${ratio}`,
  },
} as const;

/** A daily field: the change of `name` on `day` (days since the epoch, UTC). */
export function dayField(day: number, name: string): string {
  return `${day}|${name}`;
}

/** Reads a counter; a missing one is 0. */
export type FieldReader = (name: string) => number;

function momentOf(read: FieldReader, arm: string, metric: string): MomentSums {
  return {
    users: read(field.users(arm, metric)),
    shift: read(field.shift(arm, metric)),
    sum: read(field.sum(arm, metric)),
    sumSquares: read(field.sumSquares(arm, metric)),
  };
}

function ratioOf(read: FieldReader, arm: string, ratio: string): RatioSums {
  const r = field.ratio;
  return {
    users: read(r.users(arm, ratio)),
    shiftN: read(r.shiftN(arm, ratio)),
    shiftD: read(r.shiftD(arm, ratio)),
    sumN: read(r.sumN(arm, ratio)),
    sumD: read(r.sumD(arm, ratio)),
    sumNN: read(r.sumNN(arm, ratio)),
    sumDD: read(r.sumDD(arm, ratio)),
    sumND: read(r.sumND(arm, ratio)),
  };
}

/** Every field `armAggregates` reads for `query`, for a store that fetches them in one call (HMGET). */
export function fieldsOf(query: AggregateQuery): string[] {
  const names: string[] = [];
  const read: FieldReader = (name) => {
    names.push(name);
    return 0;
  };
  armAggregates(query, read);
  names.push(field.multipleArmUsers);
  for (const m of query.metrics) names.push(field.unattributed(m.name));
  return names;
}

/** Per-arm aggregates of `query` from counters. */
export function armAggregates(query: AggregateQuery, read: FieldReader): ArmAggregate[] {
  return query.arms.map((arm) => ({
    arm,
    exposures: read(field.exposures(arm)),
    metrics: Object.fromEntries(query.metrics.map((m) => [m.name, momentOf(read, arm, m.name)])),
    ratios: Object.fromEntries((query.ratios ?? []).map((r) => [r.name, ratioOf(read, arm, r.name)])),
  }));
}

/**
 * Per-day aggregates from daily counters (`<day>|<field>` → change). Shifts are not kept per day:
 * they are the totals' shifts, passed in `totals`.
 */
export function dailyAggregates(
  query: AggregateQuery,
  entries: Iterable<readonly [string, number]>,
  totals: readonly ArmAggregate[],
): DayAggregate[] {
  const byDay = new Map<number, Map<string, number>>();
  for (const [name, value] of entries) {
    const bar = name.indexOf('|');
    const day = Number(name.slice(0, bar));
    if (bar < 1 || !Number.isInteger(day)) continue;
    let fields = byDay.get(day);
    if (!fields) byDay.set(day, (fields = new Map()));
    fields.set(name.slice(bar + 1), value);
  }
  const shiftOf = new Map<string, number>();
  for (const a of totals) {
    for (const [m, s] of Object.entries(a.metrics)) shiftOf.set(field.shift(a.arm, m), s.shift);
    for (const [r, s] of Object.entries(a.ratios)) {
      shiftOf.set(field.ratio.shiftN(a.arm, r), s.shiftN);
      shiftOf.set(field.ratio.shiftD(a.arm, r), s.shiftD);
    }
  }
  return [...byDay.keys()]
    .sort((a, b) => a - b)
    .map((day) => {
      const fields = byDay.get(day)!;
      const read: FieldReader = (name) => shiftOf.get(name) ?? fields.get(name) ?? 0;
      return { day, arms: armAggregates(query, read) };
    });
}
