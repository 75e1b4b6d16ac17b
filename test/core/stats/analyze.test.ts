// analyzeExperiment end to end: report shape, options, the report-wide correction, one story told by
// p-values and intervals, experiment-level warnings, and total/finite output.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { holmAdjust } from '../../../src/core/stats/holm.js';
import {
  analyzeExperiment,
  DEFAULT_ANALYSIS,
  DEFAULT_CORRECTION,
  DEFAULT_MIN_CONVERSIONS,
  DEFAULT_MIN_USERS,
  DEFAULT_SEQUENTIAL_TUNING,
  type AnalysisInput,
  type ComparisonReport,
  type Interval,
  type MetricInput,
  type MomentSums,
  type RatioSums,
} from '../../../src/core/stats/index.js';

const binomial = (x: number): MomentSums => ({ users: x, shift: 0, sum: x, sumSquares: x });

const conversion = (c: number, t: number, name = 'conversion'): MetricInput => ({
  name,
  type: 'binomial',
  direction: 'increase',
  mde: 0.05,
  arms: { control: binomial(c), treatment: binomial(t) },
});

function experiment(over: Partial<AnalysisInput> = {}): AnalysisInput {
  return {
    alpha: 0.05,
    arms: [
      { name: 'control', weight: 1, control: true, exposures: 10_000 },
      { name: 'treatment', weight: 1, control: false, exposures: 10_000 },
    ],
    metrics: [conversion(1000, 1100)],
    ...over,
  };
}

const codes = (ws: { code: string }[]): string[] => ws.map((w) => w.code);

/** Every number anywhere in the value, with its path. */
function numbers(v: unknown, path = '$', out: [string, number][] = []): [string, number][] {
  if (typeof v === 'number') out.push([path, v]);
  else if (Array.isArray(v)) v.forEach((x, i) => numbers(x, `${path}[${i}]`, out));
  else if (v !== null && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) numbers(x, `${path}.${k}`, out);
  return out;
}

const excludesZero = (ci: Interval): boolean => ci[0] > 0 || ci[1] < 0;

describe('analyzeExperiment', () => {
  it('documents its defaults', () => {
    expect(DEFAULT_MIN_USERS).toBe(100);
    expect(DEFAULT_MIN_CONVERSIONS).toBe(10);
    expect(DEFAULT_CORRECTION).toBe('holm');
    expect(DEFAULT_ANALYSIS).toBe('sequential');
    expect(DEFAULT_SEQUENTIAL_TUNING).toBe(5000);
  });

  it('reports with the API key order, the analysis it used at the top', () => {
    const a = analyzeExperiment(experiment());
    expect(Object.keys(a)).toEqual([
      'alpha',
      'correction',
      'analysis',
      'sequential_tuning',
      'arms',
      'multiple_arm_users',
      'srm',
      'metrics',
      'guardrails',
      'warnings',
    ]);
    expect([a.correction, a.analysis, a.sequential_tuning]).toEqual(['holm', 'sequential', 5000]);
    expect(Object.keys(a.metrics[0]!)).toEqual([
      'name',
      'type',
      'direction',
      'guardrail',
      'arms',
      'comparisons',
    ]);
    expect(Object.keys(a.metrics[0]!.comparisons[0]!)).toEqual([
      'arm',
      'baseline',
      'test',
      'statistic',
      'p_value',
      'p_value_adjusted',
      'significant',
      'diff',
      'diff_ci',
      'relative_lift',
      'relative_lift_ci',
      'ci_level',
      'diff_ci_adjusted',
      'relative_lift_ci_adjusted',
      'ci_level_adjusted',
      'chance_to_beat_control',
      'sample_size_needed',
      'progress',
      'warnings',
    ]);
    const c = a.metrics[0]!.comparisons[0]!;
    expect(c.baseline).toBe(0.1);
    expect(c.test).toBe(0.11);
    expect(c.ci_level).toBe(0.95);
    expect(c.progress).toBeCloseTo(10_000 / c.sample_size_needed!, 15);
    expect(a.multiple_arm_users).toBeNull();
    expect(a.guardrails).toEqual([]);
    expect(a.warnings).toEqual([]);
  });

  it('the same data: significant at one planned look, not yet under the sequential default', () => {
    // z ≈ 2.31 at 10,000 users per arm: p ≈ 0.02 fixed; the confidence sequence is wider.
    const fixed = analyzeExperiment(experiment({ analysis: 'fixed' })).metrics[0]!.comparisons[0]!;
    const sequential = analyzeExperiment(experiment()).metrics[0]!.comparisons[0]!;
    expect(fixed.statistic).toBe(sequential.statistic);
    expect(fixed.p_value!).toBeCloseTo(0.0210581, 6); // unpooled z = 2.3069
    expect(fixed.significant).toBe(true);
    expect(sequential.p_value!).toBeGreaterThan(0.05);
    expect(sequential.significant).toBe(false);
    const width = (c: ComparisonReport) => c.diff_ci![1] - c.diff_ci![0];
    expect(width(sequential)).toBeGreaterThan(1.5 * width(fixed));
  });

  it('chance to beat control follows the direction', () => {
    const up = analyzeExperiment(experiment()).metrics[0]!.comparisons[0]!;
    const down = analyzeExperiment(
      experiment({ metrics: [{ ...conversion(1000, 1100), direction: 'decrease' }] }),
    ).metrics[0]!.comparisons[0]!;
    expect(up.chance_to_beat_control!).toBeGreaterThan(0.98);
    expect(down.chance_to_beat_control!).toBeCloseTo(1 - up.chance_to_beat_control!, 12);
    expect(down.p_value).toBe(up.p_value);
  });

  it('corrects over all metrics × arms of the report, not per metric', () => {
    const arms = ['control', 'b', 'c'].map((name, i) => ({
      name,
      weight: 1,
      control: i === 0,
      exposures: 20_000,
    }));
    const metric = (name: string, x: number[]): MetricInput => ({
      name,
      type: 'binomial',
      direction: 'increase',
      mde: 0.05,
      arms: Object.fromEntries(arms.map((a, i) => [a.name, binomial(x[i]!)])),
    });
    const input: AnalysisInput = {
      alpha: 0.05,
      analysis: 'fixed',
      arms,
      metrics: [metric('m1', [2000, 2100, 2150]), metric('m2', [5000, 5100, 4990])],
    };
    const a = analyzeExperiment(input);
    const all = a.metrics.flatMap((m) => m.comparisons);
    const expected = holmAdjust(all.map((c) => c.p_value));
    all.forEach((c, i) => expect(c.p_value_adjusted).toBe(expected[i]));
    const none = analyzeExperiment({ ...input, correction: 'none' }).metrics.flatMap((m) => m.comparisons);
    none.forEach((c) => {
      expect(c.p_value_adjusted).toBe(c.p_value);
      expect(c.diff_ci_adjusted).toEqual(c.diff_ci);
      expect(c.ci_level_adjusted).toBe(0.95);
    });
    // Holm over 4 comparisons: the adjusted intervals are wider and at a stated, higher level.
    const lowest = all.reduce((x, y) => (x.p_value! < y.p_value! ? x : y));
    expect(lowest.ci_level_adjusted).toBeCloseTo(1 - 0.05 / 4, 15);
    expect(lowest.diff_ci_adjusted![1] - lowest.diff_ci_adjusted![0]).toBeGreaterThan(
      lowest.diff_ci![1] - lowest.diff_ci![0],
    );
  });

  it('unusable options fall back to their defaults with a named warning', () => {
    const a = analyzeExperiment(
      experiment({
        correction: 'bonferroni' as AnalysisInput['correction'],
        analysis: 'bayesian' as AnalysisInput['analysis'],
        sequentialTuning: -3,
      }),
    );
    expect([a.correction, a.analysis, a.sequential_tuning]).toEqual(['holm', 'sequential', 5000]);
    expect(codes(a.warnings)).toEqual(['invalid_option']);
    expect(a.warnings[0]!.message).toMatch(
      /correction = "bonferroni".*analysis = "bayesian".*sequentialTuning = -3/,
    );
    expect(analyzeExperiment(experiment({ sequentialTuning: 50_000 })).sequential_tuning).toBe(50_000);
  });

  it('SRM mismatch and multiple-arm users come first among the warnings', () => {
    const a = analyzeExperiment(
      experiment({
        multipleArmUsers: 12,
        arms: [
          { name: 'control', weight: 1, control: true, exposures: 10_000 },
          { name: 'treatment', weight: 1, control: false, exposures: 11_000 },
        ],
      }),
    );
    expect(a.srm.mismatch).toBe(true);
    expect(a.multiple_arm_users).toBe(12);
    expect(codes(a.warnings).slice(0, 2)).toEqual(['srm_mismatch', 'multiple_arm_users']);
  });

  it('SRM p-values keep their digits far into the tail', () => {
    const a = analyzeExperiment(
      experiment({
        arms: [
          { name: 'control', weight: 1, control: true, exposures: 10_000 },
          { name: 'treatment', weight: 1, control: false, exposures: 12_000 },
        ],
      }),
    );
    // χ² = 181.818…, df 1: P = 1.942890101546392e-41 (mpmath), which 1 − cdf read as 0.
    expect(a.srm.p_value!).toBeGreaterThan(0);
    expect(Math.abs(a.srm.p_value! / 1.942890101546392e-41 - 1)).toBeLessThan(1e-12);
  });

  it('without a control there is nothing to compare', () => {
    const a = analyzeExperiment(
      experiment({
        arms: [
          { name: 'control', weight: 1, control: false, exposures: 100 },
          { name: 'treatment', weight: 1, control: false, exposures: 100 },
        ],
      }),
    );
    expect(a.metrics[0]!.comparisons).toEqual([]);
    expect(a.metrics[0]!.arms).toHaveLength(2);
    expect(codes(a.warnings)).toContain('no_control');
  });

  it('with two controls the first is the baseline', () => {
    const a = analyzeExperiment(
      experiment({
        arms: [
          { name: 'control', weight: 1, control: true, exposures: 10_000 },
          { name: 'treatment', weight: 1, control: true, exposures: 10_000 },
        ],
      }),
    );
    expect(a.metrics[0]!.comparisons.map((c) => c.arm)).toEqual(['treatment']);
    expect(codes(a.warnings)).toContain('multiple_controls');
  });

  it('an unusable alpha drops intervals and verdicts (and the sequential p-value, which depends on it)', () => {
    const fixed = analyzeExperiment(experiment({ alpha: 1.5, analysis: 'fixed' })).metrics[0]!
      .comparisons[0]!;
    expect(fixed.p_value).not.toBeNull();
    expect([fixed.significant, fixed.diff_ci, fixed.relative_lift_ci, fixed.sample_size_needed]).toEqual([
      null,
      null,
      null,
      null,
    ]);
    const a = analyzeExperiment(experiment({ alpha: 1.5 }));
    expect(a.metrics[0]!.comparisons[0]!.p_value).toBeNull();
    expect(a.metrics[0]!.arms[0]!.ci).toBeNull();
    expect(codes(a.warnings)).toContain('invalid_alpha');
  });

  it('uses the minUsers / minConversions options', () => {
    const strict = analyzeExperiment(experiment(), { minUsers: 20_000 });
    expect(codes(strict.metrics[0]!.comparisons[0]!.warnings)).toEqual([
      'insufficient_data',
      'insufficient_data',
    ]);
    const lenient = analyzeExperiment(experiment({ analysis: 'fixed', metrics: [conversion(5, 6)] }), {
      minConversions: 5,
    });
    expect(lenient.warnings).toEqual([]);
  });

  it('invalid counts are flagged and never propagate', () => {
    const a = analyzeExperiment(experiment({ metrics: [conversion(1000, 20_000)] }));
    const c = a.metrics[0]!.comparisons[0]!;
    expect(codes(c.warnings)).toEqual(['invalid_input']);
    expect([c.test, c.diff, c.p_value, c.progress]).toEqual([null, null, null, null]);
    expect(c.sample_size_needed).not.toBeNull(); // depends on the control only
  });

  it('names every null it leaves: an unbounded relative interval', () => {
    // A control rate of 1 in 10,000: the rate is not resolved from 0, so the lift could be anything.
    const c = analyzeExperiment(experiment({ metrics: [conversion(1, 30)] })).metrics[0]!.comparisons[0]!;
    expect(c.relative_lift).toBe(29);
    expect(c.relative_lift_ci).toBeNull();
    expect(codes(c.warnings)).toContain('lift_interval_unbounded');
  });
});

// ------------------------------------------------------------------------------------------------
// Random experiments

const count = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 1e8 }));
const arbitraryExperiment = fc
  .record({
    alpha: fc.oneof(fc.double({ min: 1e-6, max: 0.5, noNaN: true }), fc.constant(0.05)),
    exposures: fc.array(count, { minLength: 1, maxLength: 5 }),
    controlAt: fc.nat(),
    mde: fc.oneof(fc.double({ min: 1e-4, max: 2, noNaN: true }), fc.constant(0)),
    shares: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 5, maxLength: 5 }),
    values: fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 5, maxLength: 5 }),
    spread: fc.array(fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1e6, noNaN: true })), {
      minLength: 5,
      maxLength: 5,
    }),
    scale: fc.constantFrom(1, 1e-80, 1e77, 1e150),
    direction: fc.constantFrom('increase' as const, 'decrease' as const),
    multiple: fc.option(fc.nat(), { nil: undefined }),
    correction: fc.constantFrom('holm' as const, 'benjamini-hochberg' as const, 'none' as const),
    analysis: fc.constantFrom('sequential' as const, 'fixed' as const),
    tuning: fc.option(fc.double({ min: 10, max: 1e7, noNaN: true }), { nil: undefined }),
    guardrail: fc.boolean(),
  })
  .map((r): AnalysisInput => {
    const arms = r.exposures.map((n, i) => ({
      name: `arm${i}`,
      weight: 1 + (i % 2),
      control: i === r.controlAt % r.exposures.length,
      exposures: n,
    }));
    const rate: MetricInput = {
      name: 'rate',
      type: 'binomial',
      direction: r.direction,
      mde: r.mde,
      arms: Object.fromEntries(
        arms.map((a, i) => [a.name, binomial(Math.floor(a.exposures * r.shares[i]!))]),
      ),
    };
    // Values with mean m and spread s for a share of the users, shifted by a nearby value.
    const moments = (i: number, n: number): MomentSums => {
      const users = Math.floor(n * r.shares[(i + 1) % 5]!);
      const mean = r.values[i]! * r.scale;
      const sd = r.spread[i]! * r.scale;
      const shift = mean + 0.5 * sd;
      return {
        users,
        shift,
        sum: users * (mean - shift),
        sumSquares: users * (sd * sd + (mean - shift) ** 2),
      };
    };
    const value: MetricInput = {
      name: 'value',
      type: 'continuous',
      direction: r.direction,
      mde: r.mde,
      arms: Object.fromEntries(arms.map((a, i) => [a.name, moments(i, a.exposures)])),
    };
    const ratio: MetricInput = {
      name: 'per_session',
      type: 'ratio',
      direction: r.direction,
      mde: r.mde,
      ...(r.guardrail ? { guardrail: { maxRelativeIncrease: 0.1, maxDecrease: 1 } } : {}),
      arms: Object.fromEntries(
        arms.map((a, i) => {
          const n = moments(i, a.exposures);
          const d = moments((i + 2) % 5, a.exposures);
          const users = Math.min(n.users, d.users);
          const sums: RatioSums = {
            users,
            shiftN: n.shift,
            shiftD: d.shift,
            sumN: (n.sum * users) / Math.max(1, n.users),
            sumD: (d.sum * users) / Math.max(1, d.users),
            sumNN: (n.sumSquares * users) / Math.max(1, n.users),
            sumDD: (d.sumSquares * users) / Math.max(1, d.users),
            sumND: 0,
          };
          return [a.name, sums];
        }),
      ),
    };
    return {
      alpha: r.alpha,
      arms,
      metrics: [rate, value, ratio],
      multipleArmUsers: r.multiple,
      correction: r.correction,
      analysis: r.analysis,
      ...(r.tuning === undefined ? {} : { sequentialTuning: r.tuning }),
    };
  });

describe('analyzeExperiment tells one story', () => {
  it('significant ⇔ p_adjusted < alpha ⇔ the adjusted intervals exclude 0 (and p < alpha ⇔ diff_ci excludes 0)', () => {
    let checked = 0;
    fc.assert(
      fc.property(arbitraryExperiment, (input) => {
        const a = analyzeExperiment(input);
        for (const m of a.metrics) {
          for (const c of m.comparisons) {
            if (c.p_value === null || c.p_value_adjusted === null || a.alpha === null) continue;
            // Exactly at the boundary rounding decides; random doubles land there with probability ~0.
            if (Math.abs(c.p_value_adjusted - a.alpha) < 1e-9 * a.alpha) continue;
            checked++;
            expect(c.significant).toBe(c.p_value_adjusted < a.alpha);
            expect(c.p_value_adjusted).toBeGreaterThanOrEqual(c.p_value);
            expect(c.diff_ci_adjusted).not.toBeNull();
            expect(excludesZero(c.diff_ci_adjusted!)).toBe(c.significant);
            if (c.relative_lift_ci_adjusted !== null)
              expect(excludesZero(c.relative_lift_ci_adjusted)).toBe(c.significant);
            if (c.diff_ci !== null && Math.abs(c.p_value - a.alpha) > 1e-9 * a.alpha) {
              expect(excludesZero(c.diff_ci)).toBe(c.p_value < a.alpha);
              if (c.relative_lift_ci !== null)
                expect(excludesZero(c.relative_lift_ci)).toBe(c.p_value < a.alpha);
            }
            // The adjusted level is never looser than alpha, and says so.
            expect(c.ci_level_adjusted!).toBeGreaterThanOrEqual(c.ci_level! - 1e-15);
            // A higher arm has a positive lift, whatever the sign of the control mean.
            if (c.diff !== null && c.relative_lift !== null && c.diff !== 0)
              expect(c.relative_lift > 0).toBe(c.diff > 0);
          }
        }
      }),
      { numRuns: 600 },
    );
    expect(checked).toBeGreaterThan(100);
  });
});

describe('analyzeExperiment never emits NaN or Infinity', () => {
  it('holds for random valid experiments, including empty arms, zeros, constants and values of 1e-80 to 1e150', () => {
    fc.assert(
      fc.property(arbitraryExperiment, (input) => {
        const a = analyzeExperiment(input);
        for (const [path, x] of numbers(a)) expect(Number.isFinite(x), path).toBe(true);
        for (const m of a.metrics) {
          for (const arm of m.arms) {
            if (m.type === 'binomial' && arm.ci) {
              expect(arm.ci[0]).toBeGreaterThanOrEqual(0);
              expect(arm.ci[1]).toBeLessThanOrEqual(1);
            }
            if (arm.ci) expect(arm.ci[0]).toBeLessThanOrEqual(arm.ci[1]);
          }
          for (const c of m.comparisons) {
            for (const p of [c.p_value, c.p_value_adjusted, c.chance_to_beat_control]) {
              if (p !== null) expect(p >= 0 && p <= 1).toBe(true);
            }
            for (const ci of [
              c.diff_ci,
              c.relative_lift_ci,
              c.diff_ci_adjusted,
              c.relative_lift_ci_adjusted,
            ]) {
              if (ci) expect(ci[0]).toBeLessThanOrEqual(ci[1]);
            }
            if (c.sample_size_needed !== null) expect(Number.isInteger(c.sample_size_needed)).toBe(true);
            // A null test with data in both arms is always explained by a named warning.
            if (c.baseline !== null && c.test !== null && c.p_value === null && a.alpha !== null) {
              expect(c.warnings.length).toBeGreaterThan(0);
            }
          }
        }
        for (const g of a.guardrails) {
          if (g.interval) expect(g.interval[0]).toBeLessThanOrEqual(g.interval[1]);
          expect(['ok', 'breach', 'inconclusive']).toContain(g.status);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('holds for garbage input too (and never throws)', () => {
    const anyNumber = fc.oneof(
      fc.double(),
      fc.constantFrom(0, -1, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e308),
    );
    fc.assert(
      fc.property(
        fc.record({
          alpha: anyNumber,
          mde: anyNumber,
          tuning: anyNumber,
          arms: fc.array(
            fc.record({
              weight: anyNumber,
              exposures: anyNumber,
              users: anyNumber,
              shift: anyNumber,
              sum: anyNumber,
              ss: anyNumber,
              cross: anyNumber,
            }),
            { minLength: 0, maxLength: 4 },
          ),
          type: fc.constantFrom('binomial' as const, 'continuous' as const, 'ratio' as const),
          mixed: fc.boolean(),
          multiple: anyNumber,
          limit: anyNumber,
        }),
        (r) => {
          const input: AnalysisInput = {
            alpha: r.alpha,
            multipleArmUsers: r.multiple,
            sequentialTuning: r.tuning,
            arms: r.arms.map((a, i) => ({
              name: `a${i}`,
              weight: a.weight,
              control: i === 0,
              exposures: a.exposures,
            })),
            metrics: [
              {
                name: 'm',
                type: r.type,
                direction: 'increase',
                mde: r.mde,
                guardrail: { maxIncrease: r.limit, maxRelativeDecrease: r.limit },
                arms: Object.fromEntries(
                  r.arms.map((a, i) => [
                    `a${i}`,
                    (r.type === 'ratio') !== r.mixed
                      ? {
                          users: a.users,
                          shiftN: a.shift,
                          shiftD: a.sum,
                          sumN: a.sum,
                          sumD: a.ss,
                          sumNN: a.ss,
                          sumDD: a.cross,
                          sumND: a.cross,
                        }
                      : { users: a.users, shift: a.shift, sum: a.sum, sumSquares: a.ss },
                  ]),
                ),
              },
            ],
          };
          const a = analyzeExperiment(input);
          for (const [path, x] of numbers(a)) expect(Number.isFinite(x), path).toBe(true);
          expect(JSON.parse(JSON.stringify(a))).toEqual(a); // plain JSON, no −0 either
        },
      ),
      { numRuns: 500 },
    );
  });
});
