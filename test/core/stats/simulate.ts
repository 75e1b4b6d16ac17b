// Seeded samplers for the statistics tests: per-arm sufficient statistics drawn directly, so
// simulations of thousands of experiments with 20,000 users per arm stay fast.
import type { MomentSums } from '../../../src/core/stats/index.js';

export type Rng = () => number;

/** Standard normal deviate by Box–Muller. */
export function gaussian(rng: Rng): number {
  const u = 1 - rng(); // (0, 1]
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** Gamma(shape, 1) by Marsaglia & Tsang (2000), boosted for shape < 1. */
export function gamma(rng: Rng, shape: number): number {
  if (shape < 1) return gamma(rng, shape + 1) * Math.pow(1 - rng(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = gaussian(rng);
    const v = (1 + c * x) ** 3;
    if (v <= 0) continue;
    if (Math.log(1 - rng()) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/**
 * Binomial(n, p), exactly: while n is large, split on the median order statistic of n uniforms,
 * X ~ Beta(a, n + 1 − a) with a = ⌊n/2⌋ + 1 (Knuth, TAOCP 3.4.1): if X ≥ p the successes are among
 * the a − 1 values below it (each now uniform below X: p → p/X), else the a values up to X all
 * succeed and the rest are uniform above it (p → (p − X)/(1 − X)). O(log n) gamma draws, then
 * geometric skipping (gaps between successes are geometric) for the last few dozen.
 */
export function binomial(rng: Rng, n: number, p: number): number {
  let count = 0;
  while (n > 64 && p > 0 && p < 1) {
    const a = Math.floor(n / 2) + 1;
    const b = n + 1 - a;
    const ga = gamma(rng, a);
    const x = ga / (ga + gamma(rng, b));
    if (x >= p) {
      n = a - 1;
      p = p / x;
    } else {
      count += a;
      n = b - 1;
      p = (p - x) / (1 - x);
    }
  }
  return count + skipping(rng, n, p);
}

function skipping(rng: Rng, n: number, p: number): number {
  if (p <= 0) return 0;
  if (p >= 1) return n;
  if (p > 0.5) return n - skipping(rng, n, 1 - p);
  const logQ = Math.log1p(-p);
  let count = 0;
  let position = 0;
  for (;;) {
    position += Math.floor(Math.log(1 - rng()) / logQ) + 1;
    if (position > n) return count;
    count++;
  }
}

/** A binomial metric's sums: `converted` of the users converted. */
export function binomialSums(converted: number): MomentSums {
  return { users: converted, shift: 0, sum: converted, sumSquares: converted };
}

/**
 * n normal values N(mean, sd²), as the store's shifted sums (shift = a first value), drawn from
 * their exact joint distribution: x̄ ~ N(mean, sd²/n) independent of Σ(x − x̄)² ~ sd²·χ²(n − 1).
 */
export function normalSums(rng: Rng, n: number, mean: number, sd: number): MomentSums {
  const shift = mean + sd * gaussian(rng);
  const xbar = mean + (sd / Math.sqrt(n)) * gaussian(rng);
  const within = n > 1 ? sd * sd * 2 * gamma(rng, (n - 1) / 2) : 0;
  const d = xbar - shift;
  return { users: n, shift, sum: n * d, sumSquares: within + n * d * d };
}

/** `size` lognormal(mu, sigma) values: a fixed discrete stand-in for the distribution. */
export function lognormalPool(rng: Rng, size: number, mu: number, sigma: number): Float64Array {
  const pool = new Float64Array(size);
  for (let i = 0; i < size; i++) pool[i] = Math.exp(mu + sigma * gaussian(rng));
  return pool;
}

/** The exact mean of a pool (what sampling from it has as its expectation). */
export function poolMean(pool: Float64Array): number {
  let sum = 0;
  for (const x of pool) sum += x;
  return sum / pool.length;
}

/**
 * Revenue-like values: a share `rate` of the n users buy, spending a value drawn uniformly from
 * `pool` (e.g. a large lognormal sample: the distribution is then the pool's, whose mean is known
 * exactly) times `scale`; the rest have no value (0). Returns the buyers' shifted sums
 * (shift = the first buyer's spend). One uniform per buyer keeps 20,000-user arms cheap.
 */
export function revenueSums(rng: Rng, n: number, rate: number, pool: Float64Array, scale = 1): MomentSums {
  const buyers = binomial(rng, n, rate);
  let shift = 0;
  let sum = 0;
  let sumSquares = 0;
  for (let i = 0; i < buyers; i++) {
    const x = scale * pool[Math.floor(rng() * pool.length)]!;
    if (i === 0) shift = x;
    const d = x - shift;
    sum += d;
    sumSquares += d * d;
  }
  return { users: buyers, shift, sum, sumSquares };
}

/**
 * Exact central acceptance region [lo, hi] of X ~ Binomial(n, p): P(X < lo) ≤ tail and
 * P(X > hi) ≤ tail, as wide as needed and no wider. The pmf is built by the recurrence
 * pmf(k + 1) = pmf(k) · (n − k)/(k + 1) · p/(1 − p) from pmf(0) = (1 − p)^n (in logs, so n in the
 * thousands does not underflow).
 */
export function binomialAcceptanceRegion(n: number, p: number, tail: number): [number, number] {
  const logPmf: number[] = [n * Math.log1p(-p)];
  for (let k = 0; k < n; k++) logPmf.push(logPmf[k]! + Math.log((n - k) / (k + 1)) + Math.log(p / (1 - p)));
  const pmf = logPmf.map(Math.exp);
  let lo = 0;
  let below = 0; // P(X < lo)
  while (below + pmf[lo]! <= tail) below += pmf[lo++]!;
  let hi = n;
  let above = 0; // P(X > hi)
  while (above + pmf[hi]! <= tail) above += pmf[hi--]!;
  return [lo, hi];
}
