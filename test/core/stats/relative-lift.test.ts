// Relative lift over |control| and its Fieller interval: signs, scale, agreement with the difference.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fiellerContains, fiellerLift, relativeLift } from '../../../src/core/stats/relative-lift.js';

const Z95 = 1.959963984540054;

describe('relativeLift', () => {
  it('divides by |control|: a higher arm has a positive lift even below zero (issue 9)', () => {
    expect(relativeLift(-5, -4.75)).toBeCloseTo(0.05, 15);
    expect(relativeLift(-5, -5.25)).toBeCloseTo(-0.05, 15);
    expect(relativeLift(10, 11)).toBeCloseTo(0.1, 15);
    expect(relativeLift(0, 1)).toBeNull();
  });
});

describe('fiellerLift', () => {
  it('matches the roots of Fieller’s quadratic (worked example)', () => {
    // a = 0.1 ± √9e-6, b = 0.11 ± √9.9e-6: the quadratic solved as written in 80-digit mpmath
    // (scripts/stats_reference.py, fieller).
    const set = fiellerLift({ mean: 0.1, variance: 9e-6 }, { mean: 0.11, variance: 9.9e-6 }, Z95);
    expect(set.kind).toBe('bounded');
    if (set.kind !== 'bounded') return;
    expect(set.interval[0]).toBeCloseTo(0.0142134267438966, 14);
    expect(set.interval[1]).toBeCloseTo(0.1934190495802268, 14);
  });

  it('with a negative control mean, is the interval of the lift over |control|', () => {
    const pos = fiellerLift({ mean: 5, variance: 0.001 }, { mean: 5.25, variance: 0.001 }, Z95);
    const neg = fiellerLift({ mean: -5, variance: 0.001 }, { mean: -4.75, variance: 0.001 }, Z95);
    expect(pos.kind === 'bounded' && neg.kind === 'bounded').toBe(true);
    if (pos.kind !== 'bounded' || neg.kind !== 'bounded') return;
    // Both arms are 0.25 above a control of magnitude 5: both intervals lie around +5% (mpmath).
    expect(neg.interval[0]).toBeCloseTo(0.032754257739569644, 14);
    expect(neg.interval[1]).toBeCloseTo(0.06695374652247348, 14);
    expect(pos.interval[0]).toBeCloseTo(0.03218520475826046, 14);
    expect(pos.interval[1]).toBeCloseTo(0.06813752737316556, 14);
  });

  it('is scale-free: the same at 1e80 and 1e-80 (the delta method’s m⁴ overflowed)', () => {
    const at = (k: number) =>
      fiellerLift({ mean: 5 * k, variance: 4e-3 * k * k }, { mean: 5.2 * k, variance: 9e-3 * k * k }, Z95);
    const base = at(1);
    for (const k of [1e80, 1e-80, 1e150]) {
      const set = at(k);
      expect(set.kind).toBe('bounded');
      if (set.kind !== 'bounded' || base.kind !== 'bounded') continue;
      expect(set.interval[0]).toBeCloseTo(base.interval[0], 12);
      expect(set.interval[1]).toBeCloseTo(base.interval[1], 12);
    }
  });

  it('is unbounded when the control mean is not resolved from 0 at this level', () => {
    expect(fiellerLift({ mean: 0.01, variance: 1e-4 }, { mean: 0.02, variance: 1e-4 }, Z95).kind).toBe(
      'unbounded',
    );
    expect(fiellerLift({ mean: 0, variance: 1 }, { mean: 1, variance: 1 }, Z95).kind).toBe('undefined');
  });

  it('excludes 0 exactly when the difference does at the same critical value, contains its estimate', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e6, max: 1e6, noNaN: true }).filter((x) => Math.abs(x) > 1e-6),
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.double({ min: 1e-8, max: 1e4, noNaN: true }),
        fc.double({ min: 1e-8, max: 1e4, noNaN: true }),
        fc.double({ min: 0.1, max: 6, noNaN: true }),
        (a, b, sa, sb, q) => {
          const control = { mean: a, variance: (sa * a) ** 2 };
          const test = { mean: b, variance: (sb * Math.max(1, Math.abs(b))) ** 2 };
          const set = fiellerLift(control, test, q);
          const diffT = Math.abs(b - a) / Math.sqrt(control.variance + test.variance);
          if (set.kind !== 'bounded' || Math.abs(diffT - q) < 1e-9 * q) return;
          const [lo, hi] = set.interval;
          expect(lo > 0 || hi < 0).toBe(diffT > q);
          const lift = relativeLift(a, b)!;
          expect(lo).toBeLessThanOrEqual(lift + 1e-12 * Math.abs(lift));
          expect(hi).toBeGreaterThanOrEqual(lift - 1e-12 * Math.abs(lift));
          expect(fiellerContains(control, test, q, lift)).toBe(true);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
