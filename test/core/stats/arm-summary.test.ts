// Per-arm summaries: means and variances from shifted sums, intervals and data-quality warnings.
import { describe, expect, it } from 'vitest';
import { summarizeArm, type ArmSummaryInput } from '../../../src/core/stats/arm-summary.js';
import type { MomentSums, RatioSums } from '../../../src/core/stats/index.js';

function input(over: Partial<ArmSummaryInput>): ArmSummaryInput {
  return {
    metric: 'm',
    type: 'continuous',
    arm: 'a',
    exposures: 1000,
    stats: { users: 0, shift: 0, sum: 0, sumSquares: 0 },
    alpha: 0.05,
    minUsers: 100,
    minConversions: 10,
    ...over,
  };
}

/** The store's sums of values (shift = the first value), summed exactly as written. */
function sums(values: number[]): MomentSums {
  const shift = values[0] ?? 0;
  return {
    users: values.length,
    shift,
    sum: values.reduce((s, x) => s + (x - shift), 0),
    sumSquares: values.reduce((s, x) => s + (x - shift) ** 2, 0),
  };
}

const codes = (s: { warnings: { code: string }[] }): string[] => s.warnings.map((w) => w.code);

describe('summarizeArm', () => {
  it('continuous: mean and variance over all exposed users (users without a value count as 0)', () => {
    // Values 1, 2, 3, 4, 10 for 5 users and 0 for the other 5 exposed users.
    const s = summarizeArm(input({ exposures: 10, minUsers: 0, stats: sums([3, 1, 2, 4, 10]) }));
    const all = [1, 2, 3, 4, 10, 0, 0, 0, 0, 0];
    const mean = all.reduce((a, b) => a + b, 0) / 10;
    const variance = all.reduce((a, x) => a + (x - mean) ** 2, 0) / 9;
    expect(s.mean).toBeCloseTo(mean, 14);
    expect(s.unitVariance).toBeCloseTo(variance, 13);
    expect(s.meanVariance).toBeCloseTo(variance / 10, 14);
    expect(s.df).toBe(9);
    expect(s.ci?.[0]).toBeCloseTo(mean - 2.262157162798205 * Math.sqrt(variance / 10), 12); // t_{0.975, 9} (scipy)
    expect(codes(s)).toEqual([]);
  });

  it('binomial: rate, p(1 − p) and a Wilson interval', () => {
    const s = summarizeArm(
      input({ type: 'binomial', stats: { users: 100, shift: 0, sum: 100, sumSquares: 100 } }),
    );
    expect(s.mean).toBe(0.1);
    expect(s.unitVariance).toBeCloseTo(0.09, 15);
    expect(s.ci?.[0]).toBeGreaterThan(0.08);
    expect(s.ci?.[1]).toBeLessThan(0.125);
    expect(s.df).toBeNull();
  });

  it('ratio: Σn/Σd with the delta-method variance of the linearized values', () => {
    const pairs: [number, number][] = [
      [10, 2],
      [0, 1],
      [6, 3],
      [25, 5],
      [3, 1],
    ];
    const n = 8; // 3 more exposed users without either value
    const all = [...pairs, [0, 0], [0, 0], [0, 0]] as [number, number][];
    const mn = all.reduce((a, p) => a + p[0], 0) / n;
    const md = all.reduce((a, p) => a + p[1], 0) / n;
    const r = mn / md;
    const lin = all.map(([x, y]) => (x - r * y) / md);
    const linMean = lin.reduce((a, b) => a + b, 0) / n;
    const unit = lin.reduce((a, x) => a + (x - linMean) ** 2, 0) / (n - 1);
    const [kn, kd] = pairs[0]!;
    const stats: RatioSums = {
      users: pairs.length,
      shiftN: kn,
      shiftD: kd,
      sumN: pairs.reduce((a, p) => a + p[0] - kn, 0),
      sumD: pairs.reduce((a, p) => a + p[1] - kd, 0),
      sumNN: pairs.reduce((a, p) => a + (p[0] - kn) ** 2, 0),
      sumDD: pairs.reduce((a, p) => a + (p[1] - kd) ** 2, 0),
      sumND: pairs.reduce((a, p) => a + (p[0] - kn) * (p[1] - kd), 0),
    };
    const s = summarizeArm(input({ type: 'ratio', exposures: n, minUsers: 0, stats }));
    expect(s.mean).toBeCloseTo(r, 14);
    expect(s.unitVariance).toBeCloseTo(unit, 12);
    expect(s.meanVariance).toBeCloseTo(unit / n, 13);
  });

  it('ratio: a denominator summing to 0 is named', () => {
    const s = summarizeArm(input({ type: 'ratio', stats: undefined }));
    expect(s.mean).toBeNull();
    expect(codes(s)).toEqual(['denominator_zero']);
  });

  it('empty arm: nulls and empty_arm', () => {
    const s = summarizeArm(input({ exposures: 0 }));
    expect([s.mean, s.unitVariance, s.ci]).toEqual([null, null, null]);
    expect(codes(s)).toEqual(['empty_arm']);
  });

  it('a missing metric entry means no events: all zeros, truly zero variance', () => {
    const s = summarizeArm(input({ stats: undefined }));
    expect(s.mean).toBe(0);
    expect(s.unitVariance).toBe(0);
    expect(s.ci).toBeNull();
    expect(codes(s)).toEqual(['zero_variance']);
  });

  it('zero_variance only when every user has the same value', () => {
    const same = summarizeArm(input({ exposures: 500, stats: sums(new Array(500).fill(0.1)) }));
    expect(codes(same)).toEqual(['zero_variance']);
    // The same values for only some users: the others are at 0, so there is variance.
    const some = summarizeArm(input({ exposures: 600, stats: sums(new Array(500).fill(0.1)) }));
    expect(codes(some)).toEqual([]);
    expect(some.unitVariance).toBeCloseTo((((500 * 100) / 600) * 0.01) / 599, 15);
  });

  it('unresolvable sums are precision_loss, not zero_variance', () => {
    // 0.1 summed without a shift: Σx² − (Σx)²/n is rounding noise.
    const n = 1000;
    let sum = 0;
    let ss = 0;
    for (let i = 0; i < n; i++) {
      sum += 0.1;
      ss += 0.01;
    }
    const s = summarizeArm(input({ exposures: n, stats: { users: n, shift: 0, sum, sumSquares: ss } }));
    expect(s.unitVariance).toBeNull();
    expect(codes(s)).toEqual(['precision_loss']);
  });

  it('insufficient data: too few users, conversions or non-conversions', () => {
    expect(codes(summarizeArm(input({ exposures: 99, stats: sums([1, 5, 9]) })))).toEqual([
      'insufficient_data',
    ]);
    const binomial = (x: number, n = 1000) =>
      summarizeArm(
        input({ type: 'binomial', exposures: n, stats: { users: x, shift: 0, sum: x, sumSquares: x } }),
      );
    expect(codes(binomial(9))).toEqual(['insufficient_data']);
    expect(codes(binomial(995))).toEqual(['insufficient_data']);
    expect(codes(binomial(10, 100))).toEqual([]);
  });

  it('rejects impossible sums', () => {
    const impossible: [ArmSummaryInput['type'], MomentSums | RatioSums][] = [
      ['binomial', { users: 1001, shift: 0, sum: 1001, sumSquares: 1001 }],
      ['binomial', { users: 5, shift: 0, sum: -1, sumSquares: 1 }],
      ['binomial', { users: 5, shift: 0, sum: Number.NaN, sumSquares: 5 }],
      ['continuous', { users: 1001, shift: 0, sum: 1, sumSquares: 1 }],
      ['continuous', { users: 10, shift: 0, sum: 1, sumSquares: -1 }],
      ['continuous', { users: 10, shift: 0, sum: 100, sumSquares: 1 }], // (Σ)² > m·Σ²: impossible
      ['continuous', { users: 0, shift: 0, sum: 1, sumSquares: 1 }],
      ['continuous', { users: 5, shift: Number.POSITIVE_INFINITY, sum: 1, sumSquares: 1 }],
      ['continuous', { users: 1, shiftN: 0, shiftD: 0, sumN: 0, sumD: 0, sumNN: 0, sumDD: 0, sumND: 0 }],
      ['ratio', { users: 1, shift: 0, sum: 0, sumSquares: 0 }],
      ['ratio', { users: 4, shiftN: 0, shiftD: 0, sumN: 1, sumD: 1, sumNN: 1, sumDD: 1, sumND: 5 }],
    ];
    for (const [type, stats] of impossible) {
      const s = summarizeArm(input({ type, stats }));
      expect(s.valid, JSON.stringify(stats)).toBe(false);
      expect(codes(s)).toEqual(['invalid_input']);
      expect(s.mean).toBeNull();
    }
    expect(summarizeArm(input({ exposures: -3 })).valid).toBe(false);
  });
});
