// Asymptotic confidence sequences (always-valid intervals and p-values) for a difference of means.
//
// Waudby-Smith, Arbour, Sinha, Kennedy & Ramdas, "Time-uniform central limit theory and asymptotic
// confidence sequences" (Annals of Statistics, 2024; arXiv:2103.06476), with the normal-mixture
// boundary of their Theorem 2.2, exactly as GrowthBook implements it (gbstats
// `frequentist/tests.py`: SequentialTwoSidedTTest, sequential_rho, sequential_interval_halfwidth,
// and the one-sided variant; same formulas in its TypeScript port). With N the users of both arms,
// se the unpooled standard error of the estimate (so σ̂² = N·se² per user), and ρ the mixture scale:
//
//   two-sided half-width  = se · √( 2(Nρ² + 1)/(Nρ²) · ln(√(Nρ² + 1)/α) )
//   one-sided half-width  = se · √( 2(Nρ² + 1)/(Nρ²) · ln(1 + √(Nρ² + 1)/(2α)) )
//   always-valid p-value  = min(1, √(Nρ² + 1) · exp(−T²·Nρ²/(2(Nρ² + 1))))      T = estimate/se
//                           (their eq. 155: the inverse of the mixture e-value)
//   ρ (tuned for N*)      = √( (−2 ln α + ln(−2 ln α + 1)) / N* )   (α → 2α for one-sided)
//
// ρ minimises the width at N = N* (the planned sample size, `sequentialTuning`). It is fixed by the
// experiment's α, not by the level an interval is drawn at, so the sequences are nested in the level
// and the p-value is exactly the smallest level whose sequence excludes 0: p < a ⇔ |T| > multiplier(a).

/**
 * Planned total users (both arms) the sequences are tuned for, as in GrowthBook. The choice is
 * forgiving in one direction only: with N* = 5,000 at α = 0.05 the interval is 1.55× the fixed-
 * horizon one at N = N*, ≤ 1.72× anywhere from 1,000 to 100,000 users and 2.0× at 10 million; tuned
 * too high it is much worse early (N* = 100,000 gives 4.6× at 1,000 users). Most model experiments
 * here read their first results at a few thousand users, hence the default.
 */
export const DEFAULT_SEQUENTIAL_TUNING = 5000;

/** ρ of the normal mixture, tuned so the width is smallest at `tuning` total users. */
export function sequentialRho(alpha: number, tuning: number, twoSided = true): number {
  const a = twoSided ? alpha : 2 * alpha;
  const l = -2 * Math.log(a);
  return Math.sqrt((l + Math.log(l + 1)) / tuning);
}

/** Nρ², the one quantity every formula uses (kept apart so huge N does not overflow twice). */
function scaled(users: number, rho: number): number {
  return users * rho * rho;
}

/**
 * Two-sided multiplier: the half-width divided by se at `level` (the error rate, e.g. 0.05), for
 * `users` total users and the tuned ρ. NaN when it is undefined (no users, level outside (0, 1)).
 */
export function sequentialMultiplier(level: number, users: number, rho: number): number {
  const x = scaled(users, rho);
  if (!(x > 0) || !(level > 0 && level < 1)) return Number.NaN;
  return Math.sqrt(((x + 1) / x) * (Math.log1p(x) - 2 * Math.log(level)));
}

/** One-sided multiplier at `level`: each bound alone has error at most `level` at every look. */
export function sequentialOneSidedMultiplier(level: number, users: number, rho: number): number {
  const x = scaled(users, rho);
  if (!(x > 0) || !(level > 0 && level < 0.5)) return Number.NaN;
  return Math.sqrt(((2 * (x + 1)) / x) * Math.log1p(Math.sqrt(x + 1) / (2 * level)));
}

/** Always-valid two-sided p-value of T = estimate/se, computed in logs (no overflow of the e-value). */
export function sequentialPValue(statistic: number, users: number, rho: number): number {
  const x = scaled(users, rho);
  if (!(x > 0) || Number.isNaN(statistic)) return Number.NaN;
  const logP = 0.5 * Math.log1p(x) - (statistic * statistic * x) / (2 * (x + 1));
  return logP >= 0 ? 1 : Math.exp(logP);
}
