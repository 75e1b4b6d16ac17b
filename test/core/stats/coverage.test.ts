// Coverage of the difference and relative-lift intervals (fixed analysis, 95%) by simulation:
// binomial, normal and skewed revenue-like data (90% zeros, lognormal), 200 / 1,000 / 20,000 users
// per arm, each with a true effect, 2,000 simulated experiments per cell.
//
// The data come from a fixed-seed PRNG, so these tests are deterministic: they cannot fail by
// chance, only by a change in the engine. The band each coverage must fall in is the exact 99.9%
// acceptance region of Binomial(2000, 0.95) (1867–1931 hits, i.e. 93.35%–96.55%; scipy's
// binom.ppf/isf agree): an interval with exactly 95% coverage would pass for almost any seed, while
// the delta-method lift interval the engine used before (89% at 200 users for this revenue data,
// 84% for the more skewed case below) lands far outside it.
//
// Set ABGATE_STATS_SOAK=1 for 20,000 experiments per cell (minutes, not run in CI).
import { describe, expect, it } from 'vitest';
import { analyzeMetric, type MetricContext } from '../../../src/core/stats/analyze-metric.js';
import { fiellerContains } from '../../../src/core/stats/relative-lift.js';
import type { MetricInput, MomentSums } from '../../../src/core/stats/index.js';
import { mulberry32 } from '../../../src/core/seeded-random.js';
import {
  binomial,
  binomialAcceptanceRegion,
  binomialSums,
  lognormalPool,
  normalSums,
  poolMean,
  revenueSums,
  type Rng,
} from './simulate.js';

const SOAK = process.env.ABGATE_STATS_SOAK === '1';
const RUNS = SOAK ? 20_000 : 2000;
const ALPHA = 0.05;
const [LO, HI] = binomialAcceptanceRegion(RUNS, 1 - ALPHA, 0.0005);

interface Scenario {
  type: MetricInput['type'];
  /** Draws one arm's sums for n users; `treated` applies the true effect. */
  draw: (rng: Rng, n: number, treated: boolean) => MomentSums;
  trueDiff: number;
  trueLift: number;
}

// Revenue: 10% buyers spending lognormal(3, 1) (drawn from a fixed pool of 10⁶ such values, whose
// exact mean is the truth); treatment spends 20% more.
const SPEND = lognormalPool(mulberry32(0x5be4d), 1_000_000, 3, 1);
const REVENUE_MEAN = 0.1 * poolMean(SPEND);

const SCENARIOS: Record<string, Scenario> = {
  binomial: {
    type: 'binomial',
    draw: (rng, n, treated) => binomialSums(binomial(rng, n, treated ? 0.12 : 0.1)),
    trueDiff: 0.02,
    trueLift: 0.2,
  },
  normal: {
    type: 'continuous',
    draw: (rng, n, treated) => normalSums(rng, n, treated ? 10.5 : 10, 4),
    trueDiff: 0.5,
    trueLift: 0.05,
  },
  skewed: {
    type: 'continuous',
    draw: (rng, n, treated) => revenueSums(rng, n, 0.1, SPEND, treated ? 1.2 : 1),
    trueDiff: 0.2 * REVENUE_MEAN,
    trueLift: 0.2,
  },
};

function context(n: number): MetricContext {
  return {
    arms: [
      { name: 'control', weight: 1, control: true, exposures: n },
      { name: 'treatment', weight: 1, control: false, exposures: n },
    ],
    controlIndex: 0,
    alpha: ALPHA,
    analysis: 'fixed',
    rho: null,
    minUsers: 0,
    minConversions: 0,
  };
}

/** Hits of the diff interval and of the lift set (bounded or not) over RUNS simulated experiments. */
function coverage(seed: number, scenario: Scenario, n: number) {
  const rng = mulberry32(seed);
  const ctx = context(n);
  let diffHits = 0;
  let liftHits = 0;
  let unbounded = 0;
  for (let r = 0; r < RUNS; r++) {
    const metric: MetricInput = {
      name: 'm',
      type: scenario.type,
      direction: 'increase',
      mde: 0.05,
      arms: { control: scenario.draw(rng, n, false), treatment: scenario.draw(rng, n, true) },
    };
    const { fields, inference } = analyzeMetric(metric, ctx).pending[0]!;
    const ci = fields.diff_ci!;
    if (ci[0] <= scenario.trueDiff && scenario.trueDiff <= ci[1]) diffHits++;
    const lift = fields.relative_lift_ci;
    if (lift !== null) {
      if (lift[0] <= scenario.trueLift && scenario.trueLift <= lift[1]) liftHits++;
    } else {
      // Fieller's set is unbounded (the control mean is not resolved from 0): whole line or two rays.
      unbounded++;
      const q = inference!.reference.critical(ALPHA);
      if (fiellerContains(inference!.control, inference!.test, q, scenario.trueLift)) liftHits++;
    }
  }
  return { diffHits, liftHits, unbounded };
}

describe(`95% intervals cover the truth ${LO}–${HI} times in ${RUNS} (exact 99.9% binomial band)`, () => {
  it('the band', () => {
    if (!SOAK) expect([LO, HI]).toEqual([1867, 1931]);
  });

  const cells = Object.keys(SCENARIOS).flatMap((name, i) =>
    [200, 1000, 20_000].map((n, j) => [name, n, 0xc0 + 16 * i + j] as const),
  );
  it.each(cells)('%s data, %d users per arm', (name, n, seed) => {
    const { diffHits, liftHits, unbounded } = coverage(seed, SCENARIOS[name]!, n);
    expect(unbounded).toBeLessThan(RUNS / 20); // the lift interval is almost always bounded here
    expect(diffHits).toBeGreaterThanOrEqual(LO);
    expect(diffHits).toBeLessThanOrEqual(HI);
    expect(liftHits).toBeGreaterThanOrEqual(LO);
    expect(liftHits).toBeLessThanOrEqual(HI);
  });
});

describe('the skewed case of issue 9 (lognormal σ = 1.5, 90% zeros, +20%, 200 users per arm)', () => {
  // Here ~18% of the control means are not resolved from 0 at 95%: Fieller's set is then
  // unbounded, which covers by construction, so the interval is conservative (~96–97%) rather
  // than exact. Only the lower side is the claim; the delta method covers ~84%.
  it('the relative-lift interval does not under-cover, unlike the delta method', () => {
    const rng = mulberry32(0x9a);
    const spend = lognormalPool(mulberry32(0x5be4e), 1_000_000, 3, 1.5);
    const scenario: Scenario = {
      type: 'continuous',
      draw: (r, n, treated) => revenueSums(r, n, 0.1, spend, treated ? 1.2 : 1),
      trueDiff: 0,
      trueLift: 0.2,
    };
    const ctx = context(200);
    let fieller = 0;
    let delta = 0;
    for (let r = 0; r < RUNS; r++) {
      const metric: MetricInput = {
        name: 'm',
        type: 'continuous',
        direction: 'increase',
        mde: 0.05,
        arms: { control: scenario.draw(rng, 200, false), treatment: scenario.draw(rng, 200, true) },
      };
      const { inference } = analyzeMetric(metric, ctx).pending[0]!;
      const { control: c, test: t } = inference!;
      const q = inference!.reference.critical(ALPHA);
      if (fiellerContains(c, t, q, 0.2)) fieller++;
      // The old delta-method interval: lift ± z·√(v_t/m_c² + m_t²v_c/m_c⁴).
      const lift = (t.mean - c.mean) / c.mean;
      const se = Math.sqrt(t.variance / c.mean ** 2 + (t.mean ** 2 * c.variance) / c.mean ** 4);
      if (Math.abs(lift - 0.2) <= 1.959963984540054 * se) delta++;
    }
    expect(fieller).toBeGreaterThanOrEqual(LO);
    expect(delta).toBeLessThan(0.88 * RUNS);
  });
});
