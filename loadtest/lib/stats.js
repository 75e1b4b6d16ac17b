// Statistics for the sample-ratio-mismatch (SRM) check of the load tests, in plain JavaScript:
// k6 runs scripts in its own JS engine (no npm packages), so nothing here may import anything.
// Also imported by test/deploy/compose.test.ts, which checks these numbers against jstat.

/** ln Γ(x) for x > 0 (Lanczos approximation, g = 7, n = 9; ~15 significant digits). */
export function lnGamma(x) {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) {
    // Reflection: Γ(x) Γ(1 − x) = π / sin(πx).
    return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lnGamma(1 - x);
  }
  const z = x - 1;
  let a = c[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * Regularized upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a), for a > 0, x ≥ 0.
 * Series for P when x < a + 1, Lentz's continued fraction for Q otherwise.
 */
export function gammaQ(a, x) {
  if (!(a > 0) || !(x >= 0)) return NaN;
  if (x === 0) return 1;
  if (x === Infinity) return 0;
  const lnPrefix = a * Math.log(x) - x - lnGamma(a);
  if (x < a + 1) {
    let sum = 1 / a;
    let term = sum;
    for (let n = 1; n < 1000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-16) break;
    }
    return Math.max(0, 1 - sum * Math.exp(lnPrefix));
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.min(1, Math.exp(lnPrefix) * h);
}

/** P(X ≥ x) for X ~ χ²(df): the p-value of a chi-square statistic. */
export function chiSquareSurvival(x, df) {
  if (!(df > 0)) return NaN;
  if (!(x > 0)) return 1;
  return gammaQ(df / 2, x / 2);
}

/**
 * Standard normal quantile Φ⁻¹(p), 0 < p < 1 (Acklam's rational approximation,
 * relative error < 1.2e-9, plus one Newton step on erfc for full double precision).
 */
export function normalQuantile(p) {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return -Infinity;
    if (p === 1) return Infinity;
    return NaN;
  }
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const pLow = 0.02425;
  let x;
  if (p < pLow) {
    const q = Math.sqrt(-2 * Math.log(p));
    x =
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - pLow) {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
      (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x =
      -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  // One Halley step: e = Φ(x) − p, with Φ(x) = erfc(−x/√2)/2.
  const e = 0.5 * erfc(-x / Math.SQRT2) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

/** Complementary error function (W. J. Cody's rational approximations; ~1e-15 relative error). */
export function erfc(x) {
  const z = Math.abs(x);
  let r;
  if (z < 0.5) {
    // erfc = 1 − erf, erf from its Taylor series (converges fast for |x| < 0.5).
    let term = z;
    let sum = z;
    const z2 = z * z;
    for (let n = 1; n < 60; n++) {
      term *= -z2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17) break;
    }
    r = 1 - (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    // erfc(z) = Q(1/2, z²) for z ≥ 0.
    r = gammaQ(0.5, z * z);
  }
  return x < 0 ? 2 - r : r;
}

/**
 * Design effect of drawing request users with replacement from a finite pool.
 * Each of `users` pool users was hashed once into an arm, so the pool's own split deviates
 * from the weights by sampling noise of order 1/√users; `n` requests then sample that pool.
 * Var(observed share) ≈ p(1−p)·(1/n + 1/users) = p(1−p)/n · (1 + n/users).
 * `users` = 0 or Infinity means every request has a fresh user (no correction).
 */
export function designEffect(n, users) {
  if (!(users > 0) || users === Infinity) return 1;
  return 1 + n / users;
}

/**
 * Pearson chi-square goodness-of-fit of observed arm counts against expected shares,
 * corrected for the finite user pool (see designEffect).
 * @param {number[]} observed counts per arm
 * @param {number[]} expected shares per arm (sum to 1)
 * @param {number} users size of the user pool the requests were drawn from (0 = unlimited)
 */
export function srmTest(observed, expected, users) {
  const n = observed.reduce((s, v) => s + v, 0);
  const df = observed.length - 1;
  if (n === 0 || df < 1)
    return { n, df, chiSquare: NaN, chiSquareAdjusted: NaN, designEffect: 1, pValue: NaN };
  let chi = 0;
  for (let i = 0; i < observed.length; i++) {
    const e = n * expected[i];
    chi += ((observed[i] - e) * (observed[i] - e)) / e;
  }
  const deff = designEffect(n, users);
  const adjusted = chi / deff;
  return {
    n,
    df,
    chiSquare: chi,
    chiSquareAdjusted: adjusted,
    designEffect: deff,
    pValue: chiSquareSurvival(adjusted, df),
  };
}

/**
 * Per-arm acceptance band for the observed share of each arm, used as k6 thresholds.
 * With two arms the band is exactly the chi-square test (df = 1): X² = z², so
 * |p̂ − p| ≤ z(1−α/2)·σ. With k > 2 arms each arm gets a two-sided z-test at α/k
 * (Bonferroni), a box that contains the chi-square ellipse's typical region; the summary
 * prints the exact chi-square p-value next to it.
 * σ = √(p(1−p)(1/n + 1/users)) uses `n`, the smallest number of observed requests a run can
 * have without failing its other thresholds: a larger real n only makes the band conservative.
 * @returns {{lower: number, upper: number, halfWidth: number, z: number}[]}
 */
export function srmBands(expected, n, users, alpha) {
  const k = expected.length;
  const tests = k === 2 ? 1 : k;
  const z = normalQuantile(1 - alpha / (2 * tests));
  const poolTerm = users > 0 && users !== Infinity ? 1 / users : 0;
  return expected.map((p) => {
    const halfWidth = n > 0 ? z * Math.sqrt(p * (1 - p) * (1 / n + poolTerm)) : 1;
    return { lower: p - halfWidth, upper: p + halfWidth, halfWidth, z };
  });
}
