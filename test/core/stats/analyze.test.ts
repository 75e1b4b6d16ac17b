// analyzeExperiment end to end: report shape, experiment-level warnings, and total/finite output.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  analyzeExperiment,
  DEFAULT_MIN_CONVERSIONS,
  DEFAULT_MIN_USERS,
  type AnalysisInput,
  type MetricInput,
} from '../../../src/core/stats/index.js';

const conversion = (c: number, t: number): MetricInput => ({
  name: 'conversion',
  type: 'binomial',
  direction: 'increase',
  mde: 0.05,
  arms: {
    control: { sum: c, sumSquares: c, converted: c },
    treatment: { sum: t, sumSquares: t, converted: t },
  },
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

describe('analyzeExperiment', () => {
  it('documents its defaults', () => {
    expect(DEFAULT_MIN_USERS).toBe(100);
    expect(DEFAULT_MIN_CONVERSIONS).toBe(10);
  });

  it('reports comparisons with the API key order', () => {
    const a = analyzeExperiment(experiment());
    expect(Object.keys(a)).toEqual(['alpha', 'arms', 'multiple_arm_users', 'srm', 'metrics', 'warnings']);
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
      'chance_to_beat_control',
      'sample_size_needed',
      'progress',
      'warnings',
    ]);
    const c = a.metrics[0]!.comparisons[0]!;
    expect(c.baseline).toBe(0.1);
    expect(c.test).toBe(0.11);
    expect(c.significant).toBe(true);
    expect(c.progress).toBeCloseTo(10_000 / c.sample_size_needed!, 15);
    expect(a.multiple_arm_users).toBeNull();
    expect(a.warnings).toEqual([]);
  });

  it('chance to beat control follows the direction', () => {
    const up = analyzeExperiment(experiment()).metrics[0]!.comparisons[0]!;
    const down = analyzeExperiment(
      experiment({ metrics: [{ ...conversion(1000, 1100), direction: 'decrease' }] }),
    ).metrics[0]!.comparisons[0]!;
    expect(up.chance_to_beat_control!).toBeGreaterThan(0.98); // one-sided p ≈ 0.0105
    expect(down.chance_to_beat_control!).toBeCloseTo(1 - up.chance_to_beat_control!, 12);
    expect(down.p_value).toBe(up.p_value);
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

  it('an unusable alpha keeps the p-values but drops intervals and verdicts', () => {
    const a = analyzeExperiment(experiment({ alpha: 1.5 }));
    const c = a.metrics[0]!.comparisons[0]!;
    expect(c.p_value).not.toBeNull();
    expect([c.significant, c.diff_ci, c.relative_lift_ci, c.sample_size_needed]).toEqual([
      null,
      null,
      null,
      null,
    ]);
    expect(a.metrics[0]!.arms[0]!.ci).toBeNull();
    expect(codes(a.warnings)).toContain('invalid_alpha');
  });

  it('uses the minUsers / minConversions options', () => {
    const strict = analyzeExperiment(experiment(), { minUsers: 20_000 });
    expect(codes(strict.metrics[0]!.comparisons[0]!.warnings)).toEqual([
      'insufficient_data',
      'insufficient_data',
    ]);
    const lenient = analyzeExperiment(experiment({ metrics: [conversion(5, 6)] }), { minConversions: 5 });
    expect(lenient.warnings).toEqual([]);
  });

  it('invalid counts are flagged and never propagate', () => {
    const a = analyzeExperiment(experiment({ metrics: [conversion(1000, 20_000)] }));
    const c = a.metrics[0]!.comparisons[0]!;
    expect(codes(c.warnings)).toEqual(['invalid_input']);
    expect([c.test, c.diff, c.p_value, c.progress]).toEqual([null, null, null, null]);
    expect(c.sample_size_needed).not.toBeNull(); // depends on the control only
  });
});

describe('analyzeExperiment never emits NaN or Infinity', () => {
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
      direction: fc.constantFrom('increase' as const, 'decrease' as const),
      multiple: fc.option(fc.nat(), { nil: undefined }),
    })
    .map((r): AnalysisInput => {
      const arms = r.exposures.map((n, i) => ({
        name: `arm${i}`,
        weight: 1 + (i % 2),
        control: i === r.controlAt % r.exposures.length,
        exposures: n,
      }));
      const binomial: MetricInput = {
        name: 'rate',
        type: 'binomial',
        direction: r.direction,
        mde: r.mde,
        arms: Object.fromEntries(
          arms.map((a, i) => {
            const x = Math.floor(a.exposures * r.shares[i]!);
            return [a.name, { sum: x, sumSquares: x, converted: x }];
          }),
        ),
      };
      const continuous: MetricInput = {
        name: 'value',
        type: 'continuous',
        direction: r.direction,
        mde: r.mde,
        arms: Object.fromEntries(
          arms.map((a, i) => {
            const mean = r.values[i]!;
            const variance = r.spread[i]!;
            return [
              a.name,
              { sum: mean * a.exposures, sumSquares: a.exposures * (variance + mean * mean), converted: 0 },
            ];
          }),
        ),
      };
      return { alpha: r.alpha, arms, metrics: [binomial, continuous], multipleArmUsers: r.multiple };
    });

  it('holds for random valid experiments, including empty arms, zeros and constant metrics', () => {
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
            if (c.p_value !== null) expect(c.p_value_adjusted!).toBeGreaterThanOrEqual(c.p_value);
            if (c.diff_ci) expect(c.diff_ci[0]).toBeLessThanOrEqual(c.diff_ci[1]);
            if (c.relative_lift_ci) expect(c.relative_lift_ci[0]).toBeLessThanOrEqual(c.relative_lift_ci[1]);
            if (c.sample_size_needed !== null) expect(Number.isInteger(c.sample_size_needed)).toBe(true);
          }
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
          arms: fc.array(
            fc.record({
              weight: anyNumber,
              exposures: anyNumber,
              sum: anyNumber,
              ss: anyNumber,
              conv: anyNumber,
            }),
            { minLength: 0, maxLength: 4 },
          ),
          type: fc.constantFrom('binomial' as const, 'continuous' as const),
          multiple: anyNumber,
        }),
        (r) => {
          const input: AnalysisInput = {
            alpha: r.alpha,
            multipleArmUsers: r.multiple,
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
                arms: Object.fromEntries(
                  r.arms.map((a, i) => [`a${i}`, { sum: a.sum, sumSquares: a.ss, converted: a.conv }]),
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
