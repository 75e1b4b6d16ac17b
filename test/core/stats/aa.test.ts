// A/A simulation: with no true difference the engine must reject at (about) the nominal rate alpha.
//
// The data come from a fixed-seed PRNG, so this test is deterministic: it either always passes or
// always fails for a given engine. The acceptance band is still the exact 99.9% two-sided range of
// the Binomial(experiments, alpha) false-positive count, so that a correct engine would pass for
// any seed with probability ~0.999 (~1e-3 chance of a false alarm), while a miscalibrated one (e.g.
// a one-sided p-value, a wrong variance or a t/normal mix-up) lands far outside it.
import { describe, expect, it } from 'vitest';
import { analyzeExperiment, type MetricInput } from '../../../src/core/stats/index.js';
import { mulberry32 } from '../../../src/core/seeded-random.js';

const ALPHA = 0.05;
const EXPERIMENTS = 2000;
const USERS_PER_ARM = 2000;
const TAIL = 0.0005; // per side: 99.9% two-sided

/** Standard normal deviate by Box–Muller. */
function gaussian(rng: () => number): number {
  const u = 1 - rng(); // (0, 1]
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/**
 * Exact central acceptance region [lo, hi] of X ~ Binomial(n, p): P(X < lo) ≤ tail and
 * P(X > hi) ≤ tail, as wide as needed and no wider. The pmf is built by the recurrence
 * pmf(k + 1) = pmf(k) · (n − k)/(k + 1) · p/(1 − p) from pmf(0) = (1 − p)^n.
 */
function binomialAcceptanceRegion(n: number, p: number, tail: number): [number, number] {
  const pmf: number[] = [Math.pow(1 - p, n)];
  for (let k = 0; k < n; k++) pmf.push(pmf[k]! * ((n - k) / (k + 1)) * (p / (1 - p)));
  let lo = 0;
  let below = 0; // P(X < lo)
  while (below + pmf[lo]! <= tail) below += pmf[lo++]!;
  let hi = n;
  let above = 0; // P(X > hi)
  while (above + pmf[hi]! <= tail) above += pmf[hi--]!;
  return [lo, hi];
}

type Arms = Record<string, { sum: number; sumSquares: number; converted: number }>;

function simulate(
  seed: number,
  arms: readonly string[],
  user: (rng: () => number) => number,
  type: MetricInput['type'],
) {
  const rng = mulberry32(seed);
  const runs: Arms[] = [];
  for (let e = 0; e < EXPERIMENTS; e++) {
    const stats: Arms = {};
    for (const arm of arms) {
      let sum = 0;
      let sumSquares = 0;
      let converted = 0;
      for (let u = 0; u < USERS_PER_ARM; u++) {
        const x = user(rng);
        sum += x;
        sumSquares += x * x;
        if (x !== 0) converted++;
      }
      stats[arm] =
        type === 'binomial'
          ? { sum: converted, sumSquares: converted, converted }
          : { sum, sumSquares, converted };
    }
    runs.push(stats);
  }
  return runs;
}

/** Number of simulated experiments in which at least one arm was declared significant. */
function falsePositives(runs: Arms[], arms: readonly string[], type: MetricInput['type']): number {
  let count = 0;
  for (const stats of runs) {
    const analysis = analyzeExperiment({
      alpha: ALPHA,
      arms: arms.map((name, i) => ({ name, weight: 1, control: i === 0, exposures: USERS_PER_ARM })),
      metrics: [{ name: 'm', type, direction: 'increase', mde: 0.05, arms: stats }],
    });
    const comparisons = analysis.metrics[0]!.comparisons;
    expect(comparisons.every((c) => c.p_value !== null)).toBe(true);
    if (comparisons.some((c) => c.significant === true)) count++;
  }
  return count;
}

describe('A/A false-positive rate at alpha = 0.05', () => {
  const [lo, hi] = binomialAcceptanceRegion(EXPERIMENTS, ALPHA, TAIL);

  it('the acceptance band is the exact binomial one', () => {
    // Binomial(2000, 0.05): mean 100, sd 9.75 (same band as scipy.stats.binom quantiles).
    expect([lo, hi]).toEqual([69, 133]);
    expect(binomialAcceptanceRegion(10, 0.5, 0.001)).toEqual([1, 9]); // P(X = 0) = P(X = 10) ≈ 0.00098
  });

  it('binomial metric (p = 0.1 in both arms): two-proportion z-test', () => {
    const runs = simulate(0xa11ce, ['control', 'b'], (rng) => (rng() < 0.1 ? 1 : 0), 'binomial');
    const fp = falsePositives(runs, ['control', 'b'], 'binomial');
    expect(fp).toBeGreaterThanOrEqual(lo);
    expect(fp).toBeLessThanOrEqual(hi);
  });

  it('continuous skewed metric (70% zeros, lognormal spend): Welch t-test', () => {
    const revenue = (rng: () => number): number => (rng() < 0.3 ? Math.exp(3 + gaussian(rng)) : 0);
    const runs = simulate(0xb0b, ['control', 'b'], revenue, 'continuous');
    const fp = falsePositives(runs, ['control', 'b'], 'continuous');
    expect(fp).toBeGreaterThanOrEqual(lo);
    expect(fp).toBeLessThanOrEqual(hi);
  });

  it('three treatment arms with Holm: the family-wise error rate stays at or below alpha', () => {
    const arms = ['control', 'b', 'c', 'd'];
    const runs = simulate(0xc0ffee, arms, (rng) => (rng() < 0.1 ? 1 : 0), 'binomial');
    const fp = falsePositives(runs, arms, 'binomial');
    // Holm guarantees FWER ≤ alpha (only the upper side is a claim); without the correction the
    // family-wise rate would be ~0.12 here, i.e. ~240 of 2000, far above the band.
    expect(fp).toBeLessThanOrEqual(hi);
  });
});
