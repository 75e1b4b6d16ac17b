// The report's time series: each day's point is the report of the cumulative data through that day.
import { describe, expect, it } from 'vitest';
import {
  addMomentSums,
  addRatioSums,
  analyzeExperiment,
  cumulativeTimeSeries,
  type DayDelta,
  type MomentSums,
  type RatioSums,
  type TimeSeriesInput,
} from '../../../src/core/stats/index.js';
import { mulberry32 } from '../../../src/core/seeded-random.js';
import { binomial, binomialSums, gaussian } from './simulate.js';

const ARMS = ['control', 'b', 'c'];

/** A week of daily deltas: conversions, revenue around 50 (shift = each arm's first value), a ratio. */
function week(seed: number) {
  const rng = mulberry32(seed);
  const days: DayDelta[] = [];
  const shifts = new Map<string, number>();
  for (let d = 0; d < 7; d++) {
    const arms: DayDelta['arms'] = {};
    for (const arm of ARMS) {
      const n = 300 + Math.floor(50 * rng());
      const users = Math.floor(n * 0.4);
      if (!shifts.has(arm)) shifts.set(arm, 50 + gaussian(rng));
      const shift = shifts.get(arm)!;
      let sum = 0;
      let sumSquares = 0;
      const ratio: RatioSums = {
        users,
        shiftN: 3,
        shiftD: 1,
        sumN: 0,
        sumD: 0,
        sumNN: 0,
        sumDD: 0,
        sumND: 0,
      };
      for (let u = 0; u < users; u++) {
        const x = 50 + 10 * gaussian(rng) + (arm === 'b' ? 2 : 0) - shift;
        sum += x;
        sumSquares += x * x;
        const pages = 1 + Math.floor(3 * rng());
        const clicks = binomial(rng, pages, 0.3);
        const a = clicks - ratio.shiftN;
        const b = pages - ratio.shiftD;
        ratio.sumN += a;
        ratio.sumD += b;
        ratio.sumNN += a * a;
        ratio.sumDD += b * b;
        ratio.sumND += a * b;
      }
      arms[arm] = {
        exposures: n,
        metrics: {
          conversion: binomialSums(binomial(rng, n, arm === 'c' ? 0.13 : 0.1)),
          revenue: { users, shift, sum, sumSquares },
          ctr: ratio,
        },
      };
    }
    days.push({ day: `2024-05-0${d + 1}`, arms });
  }
  return days;
}

function input(days: DayDelta[]): TimeSeriesInput {
  return {
    alpha: 0.05,
    correction: 'benjamini-hochberg',
    arms: ARMS.map((name, i) => ({ name, weight: 1, control: i === 0 })),
    metrics: [
      { name: 'conversion', type: 'binomial', direction: 'increase', mde: 0.05 },
      { name: 'revenue', type: 'continuous', direction: 'increase', mde: 0.05 },
      { name: 'ctr', type: 'ratio', direction: 'increase', mde: 0.05 },
    ],
    days,
  };
}

describe('cumulativeTimeSeries', () => {
  it('each point equals analyzeExperiment on the totals through that day', () => {
    const days = week(5);
    const series = cumulativeTimeSeries(input(days));
    expect(series.days).toEqual(days.map((d) => d.day));
    expect(series.metrics.map((m) => [m.name, m.comparisons.map((c) => c.arm)])).toEqual([
      ['conversion', ['b', 'c']],
      ['revenue', ['b', 'c']],
      ['ctr', ['b', 'c']],
    ]);
    for (const cut of [1, 4, 7]) {
      // Totals summed independently, day by day, straight from the deltas.
      const totals = (arm: string, metric: string) =>
        days.slice(0, cut).reduce<MomentSums | RatioSums | undefined>((acc, d) => {
          const x = d.arms[arm]!.metrics[metric]!;
          if (acc === undefined) return { ...x };
          return 'sumND' in x ? addRatioSums(acc as RatioSums, x) : addMomentSums(acc as MomentSums, x);
        }, undefined)!;
      const report = analyzeExperiment({
        alpha: 0.05,
        correction: 'benjamini-hochberg',
        arms: ARMS.map((name, i) => ({
          name,
          weight: 1,
          control: i === 0,
          exposures: days.slice(0, cut).reduce((s, d) => s + d.arms[name]!.exposures, 0),
        })),
        metrics: input(days).metrics.map((m) => ({
          ...m,
          arms: Object.fromEntries(ARMS.map((a) => [a, totals(a, m.name)])),
        })),
      });
      report.metrics.forEach((m, i) => {
        m.comparisons.forEach((c, j) => {
          const point = series.metrics[i]!.comparisons[j]!.points[cut - 1]!;
          expect(point.day).toBe(days[cut - 1]!.day);
          expect(point).toMatchObject({
            diff: c.diff,
            diff_ci: c.diff_ci,
            diff_ci_adjusted: c.diff_ci_adjusted,
            relative_lift_ci: c.relative_lift_ci,
            p_value_adjusted: c.p_value_adjusted,
            significant: c.significant,
          });
        });
      });
    }
  });

  it('a day without events for an arm leaves its totals unchanged', () => {
    const days = week(6);
    delete days[2]!.arms['b'];
    const series = cumulativeTimeSeries(input(days));
    const b = series.metrics[0]!.comparisons[0]!.points;
    expect(b[2]!.arm_users).toBe(b[1]!.arm_users);
    expect(b).toHaveLength(7);
  });

  it('moves a delta with another shift to the running shift exactly', () => {
    const values = [3.5, 7, 1.25, 9, 4];
    const sums = (xs: number[], k: number): MomentSums => ({
      users: xs.length,
      shift: k,
      sum: xs.reduce((s, x) => s + x - k, 0),
      sumSquares: xs.reduce((s, x) => s + (x - k) ** 2, 0),
    });
    expect(addMomentSums(sums(values.slice(0, 2), 3.5), sums(values.slice(2), 100))).toEqual(
      sums(values, 3.5),
    );
    expect(addMomentSums({ users: 0, shift: 0, sum: 0, sumSquares: 0 }, sums(values, 2))).toEqual(
      sums(values, 2),
    );
    const pairs: [number, number][] = [
      [1, 2],
      [3, 1],
      [0, 4],
      [5, 5],
    ];
    const ratio = (ps: [number, number][], kn: number, kd: number): RatioSums => ({
      users: ps.length,
      shiftN: kn,
      shiftD: kd,
      sumN: ps.reduce((s, p) => s + p[0] - kn, 0),
      sumD: ps.reduce((s, p) => s + p[1] - kd, 0),
      sumNN: ps.reduce((s, p) => s + (p[0] - kn) ** 2, 0),
      sumDD: ps.reduce((s, p) => s + (p[1] - kd) ** 2, 0),
      sumND: ps.reduce((s, p) => s + (p[0] - kn) * (p[1] - kd), 0),
    });
    expect(addRatioSums(ratio(pairs.slice(0, 1), 1, 2), ratio(pairs.slice(1), 10, -3))).toEqual(
      ratio(pairs, 1, 2),
    );
  });
});
