// Plain-words verdicts and warning explanations, shared by the HTML page and the CLI table.
import type { AnalysisWarning, ComparisonReport, MetricReport } from '../core/stats/index.js';

/** A number to `digits` significant digits without trailing zeros, or "n/a". */
export function formatNumber(x: number | null | undefined, digits = 4): string {
  return x === null || x === undefined ? 'n/a' : Number(x.toPrecision(digits)).toString();
}

export function percent(x: number | null | undefined, digits = 1): string {
  if (x === null || x === undefined) return 'n/a';
  const v = (x * 100).toFixed(digits);
  return `${v === `-${(0).toFixed(digits)}` ? (0).toFixed(digits) : v}%`;
}

/**
 * A probability for people, capped so that an estimate never reads as a certainty:
 * 0.99996 → ">99.9%", 0.00004 → "<0.1%".
 */
export function chance(x: number | null | undefined): string {
  if (x === null || x === undefined) return 'n/a';
  if (x > 0.999) return '>99.9%';
  if (x < 0.001) return '<0.1%';
  return percent(x);
}

/** Which way is good, worded the same in the page, the CSV and the CLI. */
export function directionWords(direction: MetricReport['direction']): string {
  return direction === 'increase' ? 'higher is better' : 'lower is better';
}

export function signedPercent(x: number | null | undefined, digits = 1): string {
  if (x === null || x === undefined) return 'n/a';
  return `${x > 0 ? '+' : ''}${percent(x, digits)}`;
}

/** "treatment raises click by 4.1% (95% CI 1.2% to 7.0%), significant" and its variants. */
export function verdict(
  metric: MetricReport,
  c: ComparisonReport,
  alpha: number,
  srmMismatch = false,
): string {
  const text = plainVerdict(metric, c, alpha);
  return srmMismatch ? `Untrustworthy (sample ratio mismatch): ${text}` : text;
}

/** A p-value for people: small ones as "< 0.001" rather than 0 or 1e-17. */
export function pValue(p: number | null | undefined): string {
  if (p === null || p === undefined) return 'n/a';
  return p < 0.001 ? '< 0.001' : p.toPrecision(2);
}

/** A confidence level for people: 0.95 → "95%", 0.98333 → "98.3%". */
function levelText(level: number): string {
  return `${Math.round(level * 1000) / 10}%`;
}

function plainVerdict(metric: MetricReport, c: ComparisonReport, alpha: number): string {
  // The interval at the corrected level is the one that agrees with `significant`.
  const level = levelText(c.ci_level_adjusted ?? 1 - alpha);
  const lift = c.relative_lift;
  const liftCi = c.relative_lift_ci_adjusted;
  if (lift === null || liftCi === null) {
    const why = c.warnings[0]?.message ?? 'not enough data';
    return `${c.arm} vs control on ${metric.name}: no verdict yet (${why})`;
  }
  const [lo, hi] = liftCi;
  // Direction comes from the difference: a relative lift over a negative control mean flips sign.
  const diff = c.diff ?? lift;
  const verb = diff > 0 ? 'raises' : diff < 0 ? 'lowers' : 'does not change';
  const size = diff === 0 ? '' : ` by ${percent(Math.abs(lift))}`;
  const ci = `(${level} CI ${percent(lo)} to ${percent(hi)})`;
  if (c.significant) {
    const good = isImprovement(metric, c) ? 'an improvement' : 'a regression';
    return `${c.arm} ${verb} ${metric.name}${size} ${ci}, significant: ${good}`;
  }
  const p =
    c.p_value_adjusted === null
      ? ''
      : `, adjusted p ${c.p_value_adjusted < 0.001 ? '' : '= '}${pValue(c.p_value_adjusted)}`;
  return `${c.arm} ${verb} ${metric.name}${size} ${ci}, not significant${p}`;
}

/** Whether the arm moved the metric the good way (by the sign of the difference, not the lift). */
export function isImprovement(metric: MetricReport, c: ComparisonReport): boolean {
  const diff = c.diff ?? c.relative_lift ?? 0;
  return diff > 0 === (metric.direction === 'increase');
}

const EXPLANATIONS: Record<string, string> = {
  srm_mismatch:
    'Sample ratio mismatch: exposures do not match the configured weights. Assignment or logging is broken somewhere (bots, redirects, crashes in one arm), so the comparisons below cannot be trusted until the cause is found.',
  multiple_arm_users:
    'Some users were seen in more than one arm (for example after a weight change). They stay counted in their first arm only.',
  insufficient_data:
    'Too few users or conversions in an arm for the normal approximation behind these tests; keep the experiment running.',
  empty_arm: 'An arm has no exposed users yet, so it cannot be compared.',
  zero_variance: 'Every user in the arms has the same value, so there is no variance to test against.',
  control_mean_zero:
    'The control mean is zero, so a relative lift is undefined; read the absolute difference instead.',
};

export function explainWarning(w: AnalysisWarning): string {
  return EXPLANATIONS[w.code] ?? w.message;
}
