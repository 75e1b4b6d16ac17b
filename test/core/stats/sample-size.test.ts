// Per-arm sample size for 80% power at the relative MDE.
import { describe, expect, it } from 'vitest';
import { sampleSizePerArm } from '../../../src/core/stats/sample-size.js';

describe('sampleSizePerArm', () => {
  it('binomial: 10% → 11% at alpha 0.05 needs 14,749 users per arm', () => {
    // (1.959964 + 0.841621)² · (0.1·0.9 + 0.11·0.89) / 0.01² = 14748.05 → 14749
    expect(sampleSizePerArm('binomial', { mean: 0.1, variance: 0.09 }, 0.1, 0.05)).toEqual({ n: 14749 });
  });

  it('continuous: 2(z_a + z_b)² s² / (mde·m)²', () => {
    // 2 · 7.848862 · 4 / 0.5² = 251.16 → 252
    expect(sampleSizePerArm('continuous', { mean: 10, variance: 4 }, 0.05, 0.05)).toEqual({ n: 252 });
  });

  it('a stricter alpha needs more users', () => {
    const loose = sampleSizePerArm('binomial', { mean: 0.2, variance: 0.16 }, 0.05, 0.1);
    const strict = sampleSizePerArm('binomial', { mean: 0.2, variance: 0.16 }, 0.05, 0.01);
    expect(loose.n).not.toBeNull();
    expect(strict.n!).toBeGreaterThan(loose.n!);
  });

  it('is undefined for a zero control mean, zero or unknown variance, or unusable alpha', () => {
    expect(sampleSizePerArm('binomial', { mean: 0, variance: 0 }, 0.05, 0.05)).toEqual({
      n: null,
      reason: 'undefined',
    });
    expect(sampleSizePerArm('continuous', { mean: 3, variance: 0 }, 0.05, 0.05)).toEqual({
      n: null,
      reason: 'undefined',
    });
    expect(sampleSizePerArm('continuous', { mean: 3, variance: null }, 0.05, 0.05)).toEqual({
      n: null,
      reason: 'undefined',
    });
    expect(sampleSizePerArm('continuous', { mean: 3, variance: 1 }, 0.05, null)).toEqual({
      n: null,
      reason: 'undefined',
    });
  });

  it('rejects a non-positive MDE and a target rate above 1', () => {
    for (const mde of [0, -0.05, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(sampleSizePerArm('continuous', { mean: 3, variance: 1 }, mde, 0.05)).toEqual({
        n: null,
        reason: 'invalid_mde',
      });
    }
    expect(sampleSizePerArm('binomial', { mean: 0.99, variance: 0.0099 }, 0.05, 0.05)).toEqual({
      n: null,
      reason: 'invalid_mde',
    });
  });
});
