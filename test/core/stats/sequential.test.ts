// Asymptotic confidence sequences: GrowthBook's formulas, and p-values that match the intervals.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SEQUENTIAL_TUNING,
  sequentialMultiplier,
  sequentialOneSidedMultiplier,
  sequentialPValue,
  sequentialRho,
} from '../../../src/core/stats/sequential.js';
import { normalCriticalValue } from '../../../src/core/stats/normal.js';

// Reference values from gbstats' formulas (sequential_rho, sequential_interval_halfwidth with
// s2 = se²·n and se = 1, the one-sided half-width, SequentialTwoSidedTTest.p_value), in Python.
const RHO = 0.03984006677137368; // alpha 0.05, tuning 5000
const RHO_ONE_SIDED = 0.03557768852889753;

describe('sequential confidence sequences', () => {
  it('ρ, half-widths and the p-value match gbstats', () => {
    expect(sequentialRho(0.05, 5000)).toBeCloseTo(RHO, 15);
    expect(sequentialRho(0.05, 5000, false)).toBeCloseTo(RHO_ONE_SIDED, 15);
    expect(sequentialMultiplier(0.05, 5000, RHO)).toBeCloseTo(3.035208990376253, 13);
    expect(sequentialMultiplier(0.05, 200, RHO)).toBeCloseTo(5.099959969897444, 13);
    expect(sequentialMultiplier(0.05, 1e6, RHO)).toBeCloseTo(3.6565364661848063, 13);
    expect(sequentialOneSidedMultiplier(0.05, 5000, RHO_ONE_SIDED)).toBeCloseTo(2.7790942353135217, 13);
    expect(sequentialPValue(3, 5000, RHO)).toBeCloseTo(0.054947614547404815, 14);
  });

  it('the default tuning: 5,000 users, 1.55× the fixed-horizon interval there', () => {
    expect(DEFAULT_SEQUENTIAL_TUNING).toBe(5000);
    const ratio = (n: number) => sequentialMultiplier(0.05, n, RHO) / normalCriticalValue(0.05);
    expect(ratio(5000)).toBeCloseTo(1.549, 3);
    for (const n of [1000, 20_000, 100_000]) expect(ratio(n)).toBeLessThan(1.72);
    expect(ratio(1e7)).toBeLessThan(2.05);
  });

  it('p < level exactly when |T| > multiplier(level): the p-value inverts the sequence', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 40, noNaN: true }),
        fc.double({ min: 2, max: 1e9, noNaN: true }),
        fc.double({ min: 1e-6, max: 0.5, noNaN: true }),
        fc.double({ min: 1e-8, max: 0.999, noNaN: true }),
        (t, users, alpha, level) => {
          const rho = sequentialRho(alpha, 5000);
          const p = sequentialPValue(t, users, rho);
          const q = sequentialMultiplier(level, users, rho);
          expect(p).toBeGreaterThanOrEqual(0);
          expect(p).toBeLessThanOrEqual(1);
          // Away from the boundary itself (where rounding decides), the two statements agree.
          if (Math.abs(t - q) > 1e-9 * q) expect(p < level).toBe(t > q);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('is wider than the fixed-horizon interval and nested in the level', () => {
    for (const users of [100, 5000, 1e6]) {
      expect(sequentialMultiplier(0.05, users, RHO)).toBeGreaterThan(normalCriticalValue(0.05));
      expect(sequentialMultiplier(0.01, users, RHO)).toBeGreaterThan(sequentialMultiplier(0.05, users, RHO));
      expect(sequentialOneSidedMultiplier(0.05, users, RHO_ONE_SIDED)).toBeLessThan(
        sequentialMultiplier(0.05, users, RHO),
      );
    }
  });

  it('is total: undefined inputs give NaN (the callers turn it into null and a warning)', () => {
    expect(sequentialMultiplier(0.05, 0, RHO)).toBeNaN();
    expect(sequentialMultiplier(1.5, 10, RHO)).toBeNaN();
    expect(sequentialOneSidedMultiplier(0.5, 10, RHO)).toBeNaN();
    expect(sequentialPValue(Number.NaN, 10, RHO)).toBeNaN();
    expect(sequentialPValue(1e200, 10, RHO)).toBe(0);
    expect(sequentialPValue(0, 10, RHO)).toBe(1);
  });
});
