// Entry point of the significance engine: SRM, data-quality checks and every metric's comparisons.
import { analyzeMetric } from './analyze-metric.js';
import { finiteOrNull } from './finite.js';
import { sampleRatioMismatch } from './srm.js';
import type { Analysis, AnalysisInput, AnalysisOptions, AnalysisWarning } from './types.js';
import { dedupeWarnings, makeWarning } from './warnings.js';

/**
 * Default minimum exposed users per arm before results are trusted. Below ~100 users the normal
 * approximations (z-test, Welch, delta method) are shaky, especially for skewed metrics.
 */
export const DEFAULT_MIN_USERS = 100;
/**
 * Default minimum conversions AND non-conversions per arm for binomial metrics: the usual
 * np ≥ 10, n(1 − p) ≥ 10 rule for the normal approximation to the binomial.
 */
export const DEFAULT_MIN_CONVERSIONS = 10;

function option(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value >= 0 ? value : fallback;
}

/**
 * Analyzes an A/B(/n) experiment from per-arm sufficient statistics: sample-ratio-mismatch check,
 * then, per metric, each non-control arm against control (two-sided at input.alpha, Holm-corrected
 * across arms within a metric). Pure and total: degenerate inputs give null fields plus warnings,
 * never NaN, Infinity or an exception.
 */
export function analyzeExperiment(input: AnalysisInput, options: AnalysisOptions = {}): Analysis {
  const minUsers = option(options.minUsers, DEFAULT_MIN_USERS);
  const minConversions = option(options.minConversions, DEFAULT_MIN_CONVERSIONS);
  const warnings: AnalysisWarning[] = [];

  // SRM first: when it fires, nothing else in the report can be trusted.
  const srm = sampleRatioMismatch(input.arms);
  warnings.push(...srm.warnings);

  const alpha = Number.isFinite(input.alpha) && input.alpha > 0 && input.alpha < 1 ? input.alpha : null;
  if (alpha === null) warnings.push(makeWarning('invalid_alpha', {}, `alpha = ${input.alpha}.`));

  const multiple = input.multipleArmUsers === undefined ? null : finiteOrNull(input.multipleArmUsers);
  if (multiple !== null && multiple > 0) {
    warnings.push(makeWarning('multiple_arm_users', {}, `${multiple} users were seen in more than one arm.`));
  }

  const controls = input.arms.flatMap((a, i) => (a.control ? [i] : []));
  const controlIndex = controls[0] ?? null;
  if (controlIndex === null) warnings.push(makeWarning('no_control'));
  if (controls.length > 1) warnings.push(makeWarning('multiple_controls'));
  for (const arm of input.arms) {
    if (!(Number.isFinite(arm.exposures) && arm.exposures >= 0)) {
      warnings.push(makeWarning('invalid_input', { arm: arm.name }, `exposures = ${arm.exposures}.`));
    }
  }

  const metrics = input.metrics.map((metric) => {
    const result = analyzeMetric(metric, { arms: input.arms, controlIndex, alpha, minUsers, minConversions });
    warnings.push(...result.warnings);
    return result.report;
  });

  return {
    alpha: finiteOrNull(input.alpha),
    arms: input.arms.map((a) => ({
      name: a.name,
      weight: finiteOrNull(a.weight),
      control: a.control,
      exposures: finiteOrNull(a.exposures),
    })),
    multiple_arm_users: multiple,
    srm: srm.srm,
    metrics,
    warnings: dedupeWarnings(warnings),
  };
}
