// The report's time series: each day's cumulative comparison of every arm with control, per metric.
import { analyzeExperiment } from './analyze.js';
import type {
  AnalysisInput,
  AnalysisOptions,
  ArmInput,
  Interval,
  MetricInput,
  MomentSums,
  RatioSums,
} from './types.js';

/** One arm's changes on one day: new exposures and the change of each metric's sums (same shift as the totals). */
export interface DailyArmDelta {
  exposures: number;
  metrics: Record<string, MomentSums | RatioSums>;
}

export interface DayDelta {
  /** A label such as "2024-05-01" (UTC day); days are taken in the given order. */
  day: string;
  arms: Record<string, DailyArmDelta>;
}

export interface TimeSeriesInput extends Omit<AnalysisInput, 'arms' | 'metrics'> {
  arms: Omit<ArmInput, 'exposures'>[];
  metrics: Omit<MetricInput, 'arms'>[];
  days: DayDelta[];
}

/** The comparison of one arm with control on everything up to and including `day`. */
export interface SeriesPoint {
  day: string;
  control_users: number | null;
  arm_users: number | null;
  diff: number | null;
  diff_ci: Interval | null;
  diff_ci_adjusted: Interval | null;
  relative_lift: number | null;
  relative_lift_ci: Interval | null;
  relative_lift_ci_adjusted: Interval | null;
  p_value: number | null;
  p_value_adjusted: number | null;
  significant: boolean | null;
}

export interface TimeSeries {
  days: string[];
  metrics: { name: string; comparisons: { arm: string; points: SeriesPoint[] }[] }[];
}

function isRatioSums(s: MomentSums | RatioSums): s is RatioSums {
  return 'sumND' in s;
}

/**
 * Adds a day's MomentSums to a running total. Same shift: the sums add. Another shift K' (the
 * store keeps one per arm and metric, but nothing here relies on it) is moved to the total's K
 * first, exactly: with δ = K' − K, Σ(x − K) = Σ(x − K') + mδ and
 * Σ(x − K)² = Σ(x − K')² + 2δΣ(x − K') + mδ².
 */
export function addMomentSums(total: MomentSums, day: MomentSums): MomentSums {
  if (total.users === 0 && total.sum === 0 && total.sumSquares === 0) return { ...day };
  const d = day.shift - total.shift;
  const sum = d === 0 ? day.sum : day.sum + day.users * d;
  const sumSquares = d === 0 ? day.sumSquares : day.sumSquares + 2 * d * day.sum + day.users * d * d;
  return {
    users: total.users + day.users,
    shift: total.shift,
    sum: total.sum + sum,
    sumSquares: total.sumSquares + sumSquares,
  };
}

/** Adds a day's RatioSums to a running total, moving it to the total's shifts as above (and the cross term). */
export function addRatioSums(total: RatioSums, day: RatioSums): RatioSums {
  if (
    total.users === 0 &&
    [total.sumN, total.sumD, total.sumNN, total.sumDD, total.sumND].every((x) => x === 0)
  ) {
    return { ...day };
  }
  const dn = day.shiftN - total.shiftN;
  const dd = day.shiftD - total.shiftD;
  const m = day.users;
  return {
    users: total.users + m,
    shiftN: total.shiftN,
    shiftD: total.shiftD,
    sumN: total.sumN + day.sumN + m * dn,
    sumD: total.sumD + day.sumD + m * dd,
    sumNN: total.sumNN + day.sumNN + 2 * dn * day.sumN + m * dn * dn,
    sumDD: total.sumDD + day.sumDD + 2 * dd * day.sumD + m * dd * dd,
    sumND: total.sumND + day.sumND + dd * day.sumN + dn * day.sumD + m * dn * dd,
  };
}

function addSums(
  total: MomentSums | RatioSums | undefined,
  day: MomentSums | RatioSums,
): MomentSums | RatioSums {
  if (total === undefined) return { ...day };
  if (isRatioSums(total) && isRatioSums(day)) return addRatioSums(total, day);
  if (!isRatioSums(total) && !isRatioSums(day)) return addMomentSums(total, day);
  // Mixed shapes cannot be added: keep the day's (invalid for the metric type, so it is flagged).
  return { ...day };
}

/** Each day's totals (everything up to and including that day) per arm. */
export interface DayTotals {
  day: string;
  arms: Record<string, DailyArmDelta>;
}

export interface TotalsSeriesInput extends Omit<TimeSeriesInput, 'days'> {
  days: DayTotals[];
}

/**
 * The comparisons of each day's totals: every point is exactly the report that day would have shown
 * (same analysis, correction and intervals; with the default sequential analysis the intervals are
 * confidence sequences, valid at every one of these looks). Cost O(days × arms × metrics).
 */
export function seriesFromTotals(input: TotalsSeriesInput, options: AnalysisOptions = {}): TimeSeries {
  const series: TimeSeries = {
    days: input.days.map((d) => d.day),
    metrics: input.metrics.map((m) => ({ name: m.name, comparisons: [] })),
  };
  const slots = new Map<string, SeriesPoint[]>();
  const slot = (metricIndex: number, arm: string): SeriesPoint[] => {
    const key = `${metricIndex}\u0000${arm}`;
    let points = slots.get(key);
    if (points === undefined) {
      points = [];
      slots.set(key, points);
      series.metrics[metricIndex]!.comparisons.push({ arm, points });
    }
    return points;
  };
  for (const day of input.days) {
    const analysis = analyzeExperiment(
      {
        ...input,
        arms: input.arms.map((a) => ({ ...a, exposures: day.arms[a.name]?.exposures ?? 0 })),
        metrics: input.metrics.map((m) => ({
          ...m,
          arms: Object.fromEntries(
            input.arms.flatMap((a) => {
              const sums = day.arms[a.name]?.metrics[m.name];
              return sums === undefined ? [] : [[a.name, sums]];
            }),
          ),
        })),
      },
      options,
    );
    const users = new Map(analysis.arms.map((a) => [a.name, a.exposures]));
    const control = analysis.arms.find((a) => a.control);
    analysis.metrics.forEach((m, i) => {
      for (const c of m.comparisons) {
        slot(i, c.arm).push({
          day: day.day,
          control_users: control?.exposures ?? null,
          arm_users: users.get(c.arm) ?? null,
          diff: c.diff,
          diff_ci: c.diff_ci,
          diff_ci_adjusted: c.diff_ci_adjusted,
          relative_lift: c.relative_lift,
          relative_lift_ci: c.relative_lift_ci,
          relative_lift_ci_adjusted: c.relative_lift_ci_adjusted,
          p_value: c.p_value,
          p_value_adjusted: c.p_value_adjusted,
          significant: c.significant,
        });
      }
    });
  }
  return series;
}

/**
 * Cumulative comparisons through each day, from each day's changes: the deltas are added to running
 * totals (see addMomentSums) and the totals go through seriesFromTotals.
 */
export function cumulativeTimeSeries(input: TimeSeriesInput, options: AnalysisOptions = {}): TimeSeries {
  const exposures = new Map<string, number>(input.arms.map((a) => [a.name, 0]));
  const totals = new Map<string, Map<string, MomentSums | RatioSums>>(
    input.metrics.map((m) => [m.name, new Map()]),
  );
  const days: DayTotals[] = input.days.map((day) => {
    for (const arm of input.arms) {
      const delta = Object.hasOwn(day.arms, arm.name) ? day.arms[arm.name] : undefined;
      if (delta === undefined) continue;
      exposures.set(arm.name, (exposures.get(arm.name) ?? 0) + delta.exposures);
      for (const metric of input.metrics) {
        const sums = Object.hasOwn(delta.metrics, metric.name) ? delta.metrics[metric.name] : undefined;
        if (sums === undefined) continue;
        const perArm = totals.get(metric.name)!;
        perArm.set(arm.name, addSums(perArm.get(arm.name), sums));
      }
    }
    return {
      day: day.day,
      arms: Object.fromEntries(
        input.arms.map((a) => [
          a.name,
          {
            exposures: exposures.get(a.name) ?? 0,
            metrics: Object.fromEntries(
              input.metrics.flatMap((m) => {
                const t = totals.get(m.name)!.get(a.name);
                return t === undefined ? [] : [[m.name, { ...t }]];
              }),
            ),
          },
        ]),
      ),
    };
  });
  return seriesFromTotals({ ...input, days }, options);
}
