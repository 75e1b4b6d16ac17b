// Regularized incomplete beta I_x(a, b) by Lentz's continued fraction, converged to double precision.

const EPS = 1e-15;
const FPMIN = 1e-300;
/** The fraction needs O(√max(a, b)) terms; this covers a, b up to ~1e11. */
const MAX_ITERATIONS = 1_000_000;

/** Continued fraction of I_x(a, b) (Numerical Recipes `betacf`); NaN if it fails to converge. */
function continuedFraction(x: number, y: number, a: number, b: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  // 1 − (a+b)x/(a+1); for x close to 1 rewritten with y = 1 − x to avoid cancellation.
  let d = x < 0.5 ? 1 - (qab * x) / qap : (1 - b + qab * y) / qap;
  if (Math.abs(d) < FPMIN) d = FPMIN;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= MAX_ITERATIONS; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < FPMIN) d = FPMIN;
    c = 1 + aa / c;
    if (Math.abs(c) < FPMIN) c = FPMIN;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < FPMIN) d = FPMIN;
    c = 1 + aa / c;
    if (Math.abs(c) < FPMIN) c = FPMIN;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) <= EPS) return h;
  }
  return Number.NaN;
}

/** ln x, using log1p(−(1 − x)) when x is close to 1 and its complement y = 1 − x is known exactly. */
function logOf(x: number, complement: number): number {
  return complement < 0.5 ? Math.log1p(-complement) : Math.log(x);
}

/**
 * I_x(a, b) for 0 ≤ x ≤ 1, a, b > 0. The caller passes ln B(a, b) (so it can compute it without
 * cancellation) and y = 1 − x (so it can supply it exactly when x is close to 1).
 */
export function regularizedIncompleteBeta(
  x: number,
  a: number,
  b: number,
  logBeta: number,
  y: number = 1 - x,
): number {
  if (!(x >= 0 && x <= 1 && y >= 0 && y <= 1 && a > 0 && b > 0)) return Number.NaN;
  if (x === 0) return 0;
  if (y === 0) return 1;
  const front = Math.exp(a * logOf(x, y) + b * logOf(y, x) - logBeta);
  // The fraction converges fast on this side of the mean; otherwise use I_x(a, b) = 1 − I_y(b, a).
  if (x < (a + 1) / (a + b + 2)) return (front * continuedFraction(x, y, a, b)) / a;
  return 1 - (front * continuedFraction(y, x, b, a)) / b;
}
