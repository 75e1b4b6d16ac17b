// Entry point of the significance engine: SRM, data-quality checks, every metric, correction, guardrails.
import { analyzeMetric, finishComparison, metricReport, type MetricAnalysis } from './analyze-metric.js';
import { adjustPValues, CORRECTIONS } from './correction.js';
import { finiteOrNull } from './finite.js';
import { checkGuardrails } from './guardrails.js';
import { DEFAULT_SEQUENTIAL_TUNING, sequentialRho } from './sequential.js';
import { sampleRatioMismatch } from './srm.js';
import type {
  Analysis,
  AnalysisInput,
  AnalysisMode,
  AnalysisOptions,
  AnalysisWarning,
  ComparisonReport,
  Correction,
  GuardrailReport,
} from './types.js';
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
/** Holm controls the family-wise error rate under any dependence between the tests. */
export const DEFAULT_CORRECTION: Correction = 'holm';
/** Peeking-safe by default: analysts look at live reports every day. */
export const DEFAULT_ANALYSIS: AnalysisMode = 'sequential';

function option(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value >= 0 ? value : fallback;
}

function choice<T extends string>(
  name: string,
  value: T | undefined,
  allowed: readonly T[],
  fallback: T,
  problems: string[],
): T {
  if (value === undefined) return fallback;
  if (allowed.includes(value)) return value;
  problems.push(`${name} = ${JSON.stringify(value)}, using ${fallback}`);
  return fallback;
}

/**
 * Analyzes an A/B(/n) experiment from per-arm sufficient statistics: the sample-ratio-mismatch
 * check; per metric each non-control arm against control (two-sided at input.alpha, sequential or
 * fixed); one correction (Holm, Benjamini–Hochberg or none) over every non-guardrail metric × arm
 * comparison of the report, with intervals at the corrected level; and the guardrail checks.
 * Pure and total: degenerate inputs give null fields plus named warnings, never NaN, Infinity or
 * an exception.
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
  const problems: string[] = [];
  const correction = choice('correction', input.correction, CORRECTIONS, DEFAULT_CORRECTION, problems);
  const analysis = choice(
    'analysis',
    input.analysis,
    ['sequential', 'fixed'] as const,
    DEFAULT_ANALYSIS,
    problems,
  );
  let tuning = DEFAULT_SEQUENTIAL_TUNING;
  if (input.sequentialTuning !== undefined) {
    if (Number.isFinite(input.sequentialTuning) && input.sequentialTuning > 0)
      tuning = input.sequentialTuning;
    else problems.push(`sequentialTuning = ${input.sequentialTuning}, using ${tuning}`);
  }
  if (problems.length > 0) warnings.push(makeWarning('invalid_option', {}, `${problems.join('; ')}.`));

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

  const rho = alpha === null ? null : sequentialRho(alpha, tuning);
  const ctx = { arms: input.arms, controlIndex, alpha, analysis, rho, minUsers, minConversions };
  const analyses: MetricAnalysis[] = input.metrics.map((metric) => analyzeMetric(metric, ctx));

  // One family over the whole report: every comparison of every non-guardrail metric.
  const inFamily = (i: number): boolean => input.metrics[i]!.guardrail === undefined;
  const familyP: (number | null)[] = [];
  analyses.forEach((a, i) => {
    if (inFamily(i)) familyP.push(...a.pending.map((p) => p.fields.p_value));
  });
  const adjusted = adjustPValues(correction, familyP);
  const familySize = adjusted.filter((p) => p !== null).length;
  let next = 0;
  const metrics = analyses.map((a, i) => {
    const metric = input.metrics[i]!;
    const comparisons: ComparisonReport[] = a.pending.map((p) => {
      const pAdjusted = inFamily(i) ? (adjusted[next++] ?? null) : p.fields.p_value;
      return finishComparison(
        metric.name,
        p,
        pAdjusted,
        alpha,
        familySize,
        inFamily(i) && correction !== 'none',
      );
    });
    return metricReport(metric, a, comparisons);
  });

  const guardrails: GuardrailReport[] = [];
  const guardrailWarnings: AnalysisWarning[] = [];
  analyses.forEach((a, i) => {
    const metric = input.metrics[i]!;
    const arms = a.summaries.filter((_, j) => j !== controlIndex);
    const checked = checkGuardrails(metric, a.control, arms, { alpha, tuning });
    guardrails.push(...checked.reports);
    guardrailWarnings.push(...checked.warnings);
  });

  for (const [i, a] of analyses.entries()) {
    warnings.push(...a.summaries.flatMap((s) => s.warnings));
    warnings.push(...metrics[i]!.comparisons.flatMap((c) => c.warnings));
  }
  warnings.push(...guardrailWarnings);

  return {
    alpha: finiteOrNull(input.alpha),
    correction,
    analysis,
    sequential_tuning: tuning,
    arms: input.arms.map((a) => ({
      name: a.name,
      weight: finiteOrNull(a.weight),
      control: a.control,
      exposures: finiteOrNull(a.exposures),
    })),
    multiple_arm_users: multiple,
    srm: srm.srm,
    metrics,
    guardrails,
    warnings: dedupeWarnings(warnings),
  };
}

/**
 * Only the guardrail checks (what a canary driver needs before each step): the same numbers as
 * analyzeExperiment(input).guardrails, computed for the guardrail metrics alone.
 */
export function evaluateGuardrails(input: AnalysisInput, options: AnalysisOptions = {}): GuardrailReport[] {
  return analyzeExperiment(
    { ...input, metrics: input.metrics.filter((m) => m.guardrail !== undefined) },
    options,
  ).guardrails;
}
