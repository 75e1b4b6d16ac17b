// ln Γ(a + ½) − ln Γ(a) without the cancellation of subtracting two huge log-gammas.

/** From here on the truncated asymptotic series below is accurate to ~1e-16 absolute. */
const SERIES_START = 20;

/**
 * ln(Γ(a + ½) / Γ(a)) for a > 0.
 * For a ≥ 20 the asymptotic series ½ln a − 1/(8a) + 1/(192a³) − 1/(640a⁵) + 17/(14336a⁷) − 31/(18432a⁹);
 * below that the recurrence Γ(x + 1) = xΓ(x) shifts a up to the series range:
 * Γ(a+½)/Γ(a) = Γ(a+k+½)/Γ(a+k) · Π_{j<k} (a+j)/(a+j+½).
 */
export function logGammaHalfRatio(a: number): number {
  if (!(a > 0) || !Number.isFinite(a)) return Number.NaN;
  let product = 1;
  let x = a;
  while (x < SERIES_START) {
    product *= x / (x + 0.5);
    x += 1;
  }
  const shift = Math.log(product);
  const inv = 1 / x;
  const inv2 = inv * inv;
  const series =
    0.5 * Math.log(x) -
    inv * (1 / 8 - inv2 * (1 / 192 - inv2 * (1 / 640 - inv2 * (17 / 14336 - inv2 * (31 / 18432)))));
  return series + shift;
}
