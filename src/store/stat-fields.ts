// Names of the counters both stores keep per experiment and phase, and how they become aggregates.
// The Redis store keeps them as fields of one hash (totals) and of a daily hash (`<day>|<field>`: the
// field's value at the end of that day), the in-memory store in maps with the same names, so one parser
// serves both. Arm and metric names are slugs: they never contain '|'.
import { splitMean, type CoMoments, type Moments } from './accumulate.js';
import { ZERO_MOMENTS, ZERO_RATIO } from '../core/stats/index.js';
import type {
  AggregateQuery,
  ArmAggregate,
  DayAggregate,
  MetricType,
  MomentSums,
  RatioSums,
} from './event-store.js';

export const field = {
  exposures: (arm: string) => `x|${arm}`,
  multipleArmUsers: 'multi',
  unattributed: (metric: string) => `u|${metric}`,
  /** Users with a value. */
  users: (arm: string, metric: string) => `m|${arm}|${metric}`,
  /** binomial: converted users. */
  converted: (arm: string, metric: string) => `s|${arm}|${metric}`,
  /** continuous and mean: the shift (first value), Welford's running mean of x − shift, and M2. */
  shift: (arm: string, metric: string) => `k|${arm}|${metric}`,
  mean: (arm: string, metric: string) => `a|${arm}|${metric}`,
  m2: (arm: string, metric: string) => `q|${arm}|${metric}`,
  ratio: {
    users: (arm: string, ratio: string) => `rm|${arm}|${ratio}`,
    shiftN: (arm: string, ratio: string) => `rkn|${arm}|${ratio}`,
    shiftD: (arm: string, ratio: string) => `rkd|${arm}|${ratio}`,
    meanN: (arm: string, ratio: string) => `ran|${arm}|${ratio}`,
    meanD: (arm: string, ratio: string) => `rad|${arm}|${ratio}`,
    m2N: (arm: string, ratio: string) => `rqn|${arm}|${ratio}`,
    m2D: (arm: string, ratio: string) => `rqd|${arm}|${ratio}`,
    cND: (arm: string, ratio: string) => `rx|${arm}|${ratio}`,
  },
} as const;

/** A daily field: the value of `name` at the end of `day` (days since the epoch, UTC). */
export function dayField(day: number, name: string): string {
  return `${day}|${name}`;
}

/** Reads a counter; a missing one is 0. */
export type FieldReader = (name: string) => number;

export function momentsOf(read: FieldReader, arm: string, metric: string): Moments {
  return {
    users: read(field.users(arm, metric)),
    shift: read(field.shift(arm, metric)),
    mean: read(field.mean(arm, metric)),
    m2: read(field.m2(arm, metric)),
  };
}

export function coMomentsOf(read: FieldReader, arm: string, ratio: string): CoMoments {
  const r = field.ratio;
  return {
    users: read(r.users(arm, ratio)),
    shiftN: read(r.shiftN(arm, ratio)),
    shiftD: read(r.shiftD(arm, ratio)),
    meanN: read(r.meanN(arm, ratio)),
    meanD: read(r.meanD(arm, ratio)),
    m2N: read(r.m2N(arm, ratio)),
    m2D: read(r.m2D(arm, ratio)),
    cND: read(r.cND(arm, ratio)),
  };
}

/**
 * The engine's view: binomial as exact counts (shift 0); continuous and mean shifted by the arm's mean
 * (shift + Welford mean, split into a double and its exact residual r): Σ(x − shift) = m·r and
 * Σ(x − shift)² = M2 + m·r², so the engine recovers the mean to the last bit and M2 without cancellation
 * (rounding can leave M2 a hair below 0: clamped).
 */
function sumsOf(read: FieldReader, type: MetricType, arm: string, metric: string): MomentSums {
  const users = read(field.users(arm, metric));
  if (type === 'binomial') {
    const converted = read(field.converted(arm, metric));
    return { users, shift: 0, sum: converted, sumSquares: converted };
  }
  const m = momentsOf(read, arm, metric);
  if (users === 0) return ZERO_MOMENTS;
  const { shift, residual } = splitMean(m.shift, m.mean);
  return { users, shift, sum: users * residual, sumSquares: Math.max(0, m.m2) + users * residual * residual };
}

function ratioSumsOf(read: FieldReader, arm: string, ratio: string): RatioSums {
  const c = coMomentsOf(read, arm, ratio);
  const m = c.users;
  if (m === 0) return ZERO_RATIO;
  const n = splitMean(c.shiftN, c.meanN);
  const d = splitMean(c.shiftD, c.meanD);
  return {
    users: m,
    shiftN: n.shift,
    shiftD: d.shift,
    sumN: m * n.residual,
    sumD: m * d.residual,
    sumNN: Math.max(0, c.m2N) + m * n.residual * n.residual,
    sumDD: Math.max(0, c.m2D) + m * d.residual * d.residual,
    sumND: c.cND + m * n.residual * d.residual,
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
  return [...new Set(names)];
}

/** Per-arm aggregates of `query` from counters. */
export function armAggregates(query: AggregateQuery, read: FieldReader): ArmAggregate[] {
  return query.arms.map((arm) => ({
    arm,
    exposures: read(field.exposures(arm)),
    metrics: Object.fromEntries(query.metrics.map((m) => [m.name, sumsOf(read, m.type, arm, m.name)])),
    ratios: Object.fromEntries((query.ratios ?? []).map((r) => [r.name, ratioSumsOf(read, arm, r.name)])),
  }));
}

/**
 * Per-day aggregates from daily fields (`<day>|<field>` → its value at the end of that day): the
 * state at the end of each day with a change, oldest first (a field not written on a day keeps its
 * value from an earlier day).
 */
export function dailyAggregates(
  query: AggregateQuery,
  entries: Iterable<readonly [string, number]>,
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
  const state = new Map<string, number>();
  const read: FieldReader = (name) => state.get(name) ?? 0;
  return [...byDay.keys()]
    .sort((a, b) => a - b)
    .map((day) => {
      for (const [name, value] of byDay.get(day)!) state.set(name, value);
      return { day, arms: armAggregates(query, read) };
    });
}
