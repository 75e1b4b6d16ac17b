// Exact moments from the store's shifted sums: the issue 9 precision cases, any shift, impossible sums.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzeExperiment, type MomentSums } from '../../../src/core/stats/index.js';
import { momentsOf, PRECISION_FLOOR, ratioMomentsOf } from '../../../src/core/stats/moments.js';
import { mulberry32 } from '../../../src/core/seeded-random.js';
import { gaussian } from './simulate.js';

/** What the store accumulates (in this order, in doubles) for values with shift K. */
function storeSums(values: ArrayLike<number>, shift: number): MomentSums {
  let sum = 0;
  let sumSquares = 0;
  for (let i = 0; i < values.length; i++) {
    const d = values[i]! - shift;
    sum += d;
    sumSquares += d * d;
  }
  return { users: values.length, shift, sum, sumSquares };
}

/** Σ with Neumaier's compensation: exact to a few ulps whatever the length. */
function accurateSum(values: ArrayLike<number>): number {
  let sum = 0;
  let compensation = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    const t = sum + x;
    compensation += Math.abs(sum) >= Math.abs(x) ? sum - t + x : x - t + sum;
    sum = t;
  }
  return sum + compensation;
}

/** Two-pass mean and sample variance (the accurate way, with the raw values at hand). */
function twoPass(values: ArrayLike<number>): { mean: number; variance: number } {
  const mean = accurateSum(values) / values.length;
  let ss = 0;
  let c = 0;
  for (let i = 0; i < values.length; i++) {
    const d = values[i]! - mean;
    ss += d * d;
    c += d;
  }
  return { mean, variance: (ss - (c * c) / values.length) / (values.length - 1) };
}

function normalValues(seed: number, n: number, mean: number, sd: number): Float64Array {
  const rng = mulberry32(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = mean + sd * gaussian(rng);
  return out;
}

function variance(s: MomentSums, n: number): number | null {
  const m = momentsOf(s, n);
  if (!m.ok) throw new Error(m.error);
  return m.value.centered === null ? null : m.value.centered / (n - 1);
}

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

describe('momentsOf: the issue 9 cases, with the store shifting by the first value', () => {
  it('mean 1e6, sd 1, n = 1e7: s² is 1 to 1e-9 (unshifted sums gave 0.63)', () => {
    // Uniform on 1e6 ± √3 (sd 1): cheaper to draw 1e7 of than normals, and just as hard to sum.
    const rng = mulberry32(1);
    const values = new Float64Array(10_000_000);
    for (let i = 0; i < values.length; i++) values[i] = 1e6 + Math.sqrt(3) * (2 * rng() - 1);
    const exact = twoPass(values);
    const s = storeSums(values, values[0]!);
    const m = momentsOf(s, values.length);
    expect(m.ok && rel(m.value.mean, exact.mean)).toBeLessThan(1e-15);
    expect(rel(variance(s, values.length)!, exact.variance)).toBeLessThan(1e-9);
    // The same values summed without a shift cannot be resolved: named, not zero.
    expect(variance(storeSums(values, 0), values.length)).toBeNull();
  });

  it('Unix timestamps 1.7e9 ± 1000: exact to 1e-9 (unshifted sums were 4% off)', () => {
    const values = normalValues(2, 1_000_000, 1.7e9, 1000);
    const exact = twoPass(values);
    expect(rel(variance(storeSums(values, values[0]!), values.length)!, exact.variance)).toBeLessThan(1e-9);
    expect(variance(storeSums(values, 0), values.length)).toBeNull();
  });

  it('mean 1e5, sd 1, 1e6 users per arm, difference 0.004: t ≈ 2.83, not zero_variance', () => {
    // Exactly constructible data: ±1 around the mean (variance n/(n − 1)), treatment + 0.004.
    const n = 1_000_000;
    const arm = (offset: number): MomentSums => {
      const shift = 1e5 + offset + 1; // the first value the store saw
      // Half the users at −1, half at +1 around 1e5 + offset: Σ(x − K) = −n, Σ(x − K)² = 2n.
      return { users: n, shift, sum: -n, sumSquares: 2 * n };
    };
    const a = analyzeExperiment({
      alpha: 0.05,
      analysis: 'fixed',
      arms: [
        { name: 'control', weight: 1, control: true, exposures: n },
        { name: 'treatment', weight: 1, control: false, exposures: n },
      ],
      metrics: [
        {
          name: 'score',
          type: 'continuous',
          direction: 'increase',
          mde: 0.01,
          arms: { control: arm(0), treatment: arm(0.004) },
        },
      ],
    });
    const c = a.metrics[0]!.comparisons[0]!;
    expect(a.warnings).toEqual([]);
    expect(c.statistic!).toBeCloseTo(0.004 * Math.sqrt((n - 1) / 2), 6); // 2.8284
    expect(c.significant).toBe(true);
  });
});

describe('momentsOf: any shift', () => {
  it('gives the same moments for every shift within 100 standard deviations of the data', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 }),
        fc.integer({ min: 2, max: 400 }),
        fc.double({ min: -1e9, max: 1e9, noNaN: true }),
        fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
        fc.double({ min: -100, max: 100, noNaN: true }),
        fc.integer({ min: 0, max: 400 }),
        (seed, m, mean, sd, shiftInSds, zeros) => {
          const values = normalValues(seed, m, mean, sd);
          const n = m + zeros;
          const all = new Float64Array(n);
          all.set(values);
          const exact = twoPass(all);
          const s = storeSums(values, mean + shiftInSds * sd);
          const got = momentsOf(s, n);
          expect(got.ok).toBe(true);
          if (!got.ok) return;
          expect(Math.abs(got.value.mean - exact.mean)).toBeLessThanOrEqual(1e-12 * (Math.abs(mean) + sd));
          expect(rel(got.value.centered! / (n - 1), exact.variance)).toBeLessThan(1e-9);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('degrades gracefully for shifts far from the data (rounding grows with the distance squared)', () => {
    const values = normalValues(4, 1000, 50, 1);
    const exact = twoPass(values).variance;
    expect(rel(variance(storeSums(values, 50 + 1e4), 1000)!, exact)).toBeLessThan(1e-6);
  });

  it('says precision_loss, never a wrong variance, when the shift is far from tightly packed data', () => {
    const values = normalValues(3, 1000, 1e8, 1);
    expect(variance(storeSums(values, 0), 1000)).toBeNull(); // C/Q ≈ 1e-16: below the floor
    expect(PRECISION_FLOOR).toBe(1e-10);
  });

  it('zero only for equal values; exactly 0 whatever the shift when they are', () => {
    expect(momentsOf({ users: 7, shift: 3.7, sum: 0, sumSquares: 0 }, 7)).toEqual({
      ok: true,
      value: { mean: 3.7, centered: 0 },
    });
    // Integers are exact in doubles: all users at 1 with shift 0.
    expect(momentsOf({ users: 50, shift: 0, sum: 50, sumSquares: 50 }, 50)).toEqual({
      ok: true,
      value: { mean: 1, centered: 0 },
    });
    // Some users at 3.7 and the rest at 0: not equal, so not zero.
    const partial = momentsOf({ users: 7, shift: 3.7, sum: 0, sumSquares: 0 }, 10);
    expect(partial.ok && partial.value.centered).toBeCloseTo(((7 * 3) / 10) * 3.7 * 3.7, 12);
  });

  it('values whose squares underflow are unresolved, not zero (some users at 1e-170, the rest at 0)', () => {
    expect(momentsOf({ users: 7, shift: 1e-170, sum: 0, sumSquares: 0 }, 10)).toEqual({
      ok: true,
      value: { mean: 7e-171, centered: null },
    });
  });

  it('rejects sums no data can produce, and flags overflow as numeric_range', () => {
    expect(momentsOf({ users: 2.5, shift: 0, sum: 1, sumSquares: 1 }, 10)).toEqual({
      ok: false,
      error: 'invalid_input',
    });
    expect(momentsOf({ users: 10, shift: 0, sum: 100, sumSquares: 1 }, 10)).toEqual({
      ok: false,
      error: 'invalid_input',
    });
    expect(momentsOf({ users: 11, shift: 0, sum: 1, sumSquares: 1 }, 10)).toEqual({
      ok: false,
      error: 'invalid_input',
    });
    expect(momentsOf({ users: 5, shift: 1e300, sum: 0, sumSquares: 0 }, 10)).toEqual({
      ok: false,
      error: 'numeric_range',
    });
  });
});

describe('ratioMomentsOf', () => {
  it('co-moments over all exposed users from shifted pair sums, for any shifts', () => {
    const rng = mulberry32(9);
    const m = 300;
    const n = 500;
    const num: number[] = [];
    const den: number[] = [];
    for (let i = 0; i < m; i++) {
      const d = 1 + Math.floor(4 * rng());
      den.push(d);
      num.push(d * (5 + gaussian(rng)));
    }
    const allN = [...num, ...new Array<number>(n - m).fill(0)];
    const allD = [...den, ...new Array<number>(n - m).fill(0)];
    const mn = allN.reduce((a, b) => a + b, 0) / n;
    const md = allD.reduce((a, b) => a + b, 0) / n;
    const cov = allN.reduce((a, x, i) => a + (x - mn) * (allD[i]! - md), 0);
    for (const [kn, kd] of [
      [num[0]!, den[0]!],
      [0, 0],
      [-40, 7],
    ]) {
      let sumN = 0;
      let sumD = 0;
      let sumNN = 0;
      let sumDD = 0;
      let sumND = 0;
      for (let i = 0; i < m; i++) {
        const a = num[i]! - kn!;
        const b = den[i]! - kd!;
        sumN += a;
        sumD += b;
        sumNN += a * a;
        sumDD += b * b;
        sumND += a * b;
      }
      const r = ratioMomentsOf({ users: m, shiftN: kn!, shiftD: kd!, sumN, sumD, sumNN, sumDD, sumND }, n);
      expect(r.ok).toBe(true);
      if (!r.ok) continue;
      expect(r.value.meanN).toBeCloseTo(mn, 12);
      expect(r.value.meanD).toBeCloseTo(md, 13);
      expect(rel(r.value.nd, cov)).toBeLessThan(1e-11);
    }
  });
});
