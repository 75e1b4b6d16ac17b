// Named analysis warnings: stable codes, readable messages, and de-duplication.
import type { AnalysisWarning, WarningCode } from './types.js';

export interface WarningContext {
  metric?: string;
  arm?: string;
}

const MESSAGES: Record<WarningCode, string> = {
  empty_arm: 'Arm has no exposed users; its statistics are undefined.',
  zero_variance:
    'Every user in this arm has the same value: the metric has no variance here, and results that divide by a standard error are null.',
  precision_loss:
    'The variance cannot be resolved from the stored sums in double precision (their shift lies far from the values, or they are below the normal range); variance-based fields are null.',
  numeric_range:
    'A result lies outside the range of double precision numbers (values near 1e154 or beyond); it is left null.',
  denominator_zero: 'The denominator of this ratio metric sums to 0 in this arm; the ratio is undefined.',
  control_mean_zero: 'Control mean is 0; relative lift and the sample size for a relative MDE are undefined.',
  lift_interval_unbounded:
    'The control mean cannot be told apart from 0 at this level, so the relative-lift interval is unbounded (Fieller); read the difference interval instead.',
  insufficient_data:
    'Too little data for the normal approximations behind these results; treat them as unreliable.',
  srm_mismatch:
    'SAMPLE RATIO MISMATCH: exposures do not match the configured weights (p < 0.001). Assignment or logging is likely broken; do not trust any result of this experiment until it is explained.',
  multiple_arm_users:
    'Some users were exposed to more than one arm; they contaminate the comparison and point to an assignment problem.',
  invalid_mde:
    'The MDE must be a positive number (and, for a rate, keep the target rate at most 1); sample size is undefined.',
  invalid_alpha: 'alpha must lie strictly between 0 and 1; intervals and significance are undefined.',
  invalid_option: 'An analysis option has an unusable value; its default is used instead.',
  invalid_input:
    'Sums must be finite and possible (non-negative counts, users at most exposures, sums of squares consistent with the sums, conversions at most exposures); this arm is left out.',
  invalid_weights: 'Arm weights must be finite and positive (at least two arms); the SRM check is skipped.',
  invalid_guardrail: 'A guardrail limit must be a finite number ≥ 0; this limit is not checked.',
  guardrail_breach:
    'GUARDRAIL BREACH: the one-sided sequential bound shows this arm moved the metric beyond its limit.',
  no_control: 'No arm is marked as control; there is nothing to compare against.',
  multiple_controls: 'More than one arm is marked as control; the first one is used as the baseline.',
};

/** A warning with its standard message, optionally extended with a detail sentence. */
export function makeWarning(
  code: WarningCode,
  context: WarningContext = {},
  detail?: string,
): AnalysisWarning {
  const w: AnalysisWarning = { code, message: detail ? `${MESSAGES[code]} ${detail}` : MESSAGES[code] };
  if (context.metric !== undefined) w.metric = context.metric;
  if (context.arm !== undefined) w.arm = context.arm;
  return w;
}

/** Keeps the first of each (code, metric, arm), preserving order. */
export function dedupeWarnings(warnings: readonly AnalysisWarning[]): AnalysisWarning[] {
  if (warnings.length < 2) return [...warnings];
  const seen = new Set<string>();
  const out: AnalysisWarning[] = [];
  for (const w of warnings) {
    const key = JSON.stringify([w.code, w.metric ?? null, w.arm ?? null]);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(w);
  }
  return out;
}
