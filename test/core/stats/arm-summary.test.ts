// Per-arm summaries: variance from sums, intervals and data-quality warnings.
import { describe, expect, it } from 'vitest';
import { sampleVariance, summarizeArm, type ArmSummaryInput } from '../../../src/core/stats/arm-summary.js';

function input(over: Partial<ArmSummaryInput>): ArmSummaryInput {
  return {
    metric: 'm',
    type: 'continuous',
    arm: 'a',
    exposures: 1000,
    stats: { sum: 0, sumSquares: 0, converted: 0 },
    alpha: 0.05,
    minUsers: 100,
    minConversions: 10,
    ...over,
  };
}

const codes = (s: { warnings: { code: string }[] }): string[] => s.warnings.map((w) => w.code);

describe('sampleVariance', () => {
  it('is the n − 1 sample variance', () => {
    const xs = [1, 2, 3, 4, 10];
    const sum = xs.reduce((a, b) => a + b, 0);
    const ss = xs.reduce((a, b) => a + b * b, 0);
    expect(sampleVariance(xs.length, sum, ss)).toBeCloseTo(12.5, 12);
  });

  it('clamps rounding noise and tiny negatives to exactly 0', () => {
    const n = 1000;
    const x = 0.1; // 0.1 is not representable: Σx² − (Σx)²/n is a few ulps off 0
    let sum = 0;
    let ss = 0;
    for (let i = 0; i < n; i++) {
      sum += x;
      ss += x * x;
    }
    expect(sampleVariance(n, sum, ss)).toBe(0);
    expect(sampleVariance(10, 10, 10 - 1e-13)).toBe(0);
  });

  it('is undefined below two users', () => {
    expect(sampleVariance(1, 5, 25)).toBeNull();
    expect(sampleVariance(0, 0, 0)).toBeNull();
  });
});

describe('summarizeArm', () => {
  it('continuous: mean and t interval', () => {
    const s = summarizeArm(
      input({ exposures: 400, stats: { sum: 2000, sumSquares: 400 * 29, converted: 0 } }),
    );
    // mean 5, variance (11600 − 10000)/399 = 4.0100…, se ≈ 0.10012
    expect(s.mean).toBe(5);
    expect(s.variance).toBeCloseTo(1600 / 399, 12);
    expect(s.ci?.[0]).toBeCloseTo(5 - 1.965927 * Math.sqrt(1600 / 399 / 400), 5);
    expect(codes(s)).toEqual([]);
  });

  it('binomial: rate, p(1 − p) and a Wilson interval', () => {
    const s = summarizeArm(input({ type: 'binomial', stats: { sum: 100, sumSquares: 100, converted: 100 } }));
    expect(s.mean).toBe(0.1);
    expect(s.variance).toBeCloseTo(0.09, 15);
    expect(s.ci?.[0]).toBeGreaterThan(0.08);
    expect(s.ci?.[1]).toBeLessThan(0.125);
  });

  it('empty arm: nulls and empty_arm', () => {
    const s = summarizeArm(input({ exposures: 0 }));
    expect([s.mean, s.variance, s.ci]).toEqual([null, null, null]);
    expect(codes(s)).toEqual(['empty_arm']);
  });

  it('a missing metric entry means no events: all zeros', () => {
    const s = summarizeArm(input({ stats: undefined }));
    expect(s.mean).toBe(0);
    expect(s.variance).toBe(0);
    expect(s.ci).toBeNull();
    expect(codes(s)).toEqual(['zero_variance']);
  });

  it('insufficient data: too few users, conversions or non-conversions', () => {
    expect(
      codes(summarizeArm(input({ exposures: 99, stats: { sum: 99, sumSquares: 200, converted: 0 } }))),
    ).toEqual(['insufficient_data']);
    const rare = summarizeArm(input({ type: 'binomial', stats: { sum: 9, sumSquares: 9, converted: 9 } }));
    expect(codes(rare)).toEqual(['insufficient_data']);
    const almostAll = summarizeArm(
      input({ type: 'binomial', stats: { sum: 995, sumSquares: 995, converted: 995 } }),
    );
    expect(codes(almostAll)).toEqual(['insufficient_data']);
    const ok = summarizeArm(
      input({ type: 'binomial', exposures: 100, stats: { sum: 10, sumSquares: 10, converted: 10 } }),
    );
    expect(codes(ok)).toEqual([]);
  });

  it('rejects impossible counts', () => {
    for (const stats of [
      { sum: 5, sumSquares: 5, converted: 1001 },
      { sum: 5, sumSquares: 5, converted: -1 },
      { sum: Number.NaN, sumSquares: 5, converted: 5 },
    ]) {
      const s = summarizeArm(input({ type: 'binomial', stats }));
      expect(s.valid).toBe(false);
      expect(codes(s)).toEqual(['invalid_input']);
      expect(s.mean).toBeNull();
    }
    expect(summarizeArm(input({ exposures: -3 })).valid).toBe(false);
    expect(summarizeArm(input({ stats: { sum: 1, sumSquares: -1, converted: 0 } })).valid).toBe(false);
  });
});
