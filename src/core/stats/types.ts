// Input (per-arm sufficient statistics) and output (JSON report) shapes of the significance engine.

/** One arm of the experiment as configured, with its exposed-user count. */
export interface ArmInput {
  name: string;
  /** Configured traffic weight; only ratios matter. */
  weight: number;
  control: boolean;
  /** Exposed users: the unit of analysis. */
  exposures: number;
}

/**
 * Shifted sums of one metric in one arm over the `users` (m ≤ exposures) that have a value; the
 * other exposed users count as 0. The shift K is any constant (the store uses the first value it
 * saw): sums around a value near the data keep the variance exact where Σx² − (Σx)²/n cancels.
 * Binomial: shift 0 and sum = sumSquares = converted users.
 */
export interface MomentSums {
  users: number;
  shift: number;
  /** Σ (x − shift) over the users with a value. */
  sum: number;
  /** Σ (x − shift)² over the users with a value. */
  sumSquares: number;
}

/**
 * Ratio metric: per user the pair (n, d) of numerator and denominator values (a missing component
 * is 0), over the users with either value; shifted like MomentSums, with the cross product Σ(n−K_n)(d−K_d).
 */
export interface RatioSums {
  users: number;
  shiftN: number;
  shiftD: number;
  sumN: number;
  sumD: number;
  sumNN: number;
  sumDD: number;
  sumND: number;
}

export type MetricType = 'binomial' | 'continuous' | 'ratio';
export type MetricDirection = 'increase' | 'decrease';
/** Multiple-testing correction over all non-guardrail metrics × non-control arms. */
export type Correction = 'holm' | 'benjamini-hochberg' | 'none';
/** `sequential`: always-valid confidence sequences and p-values; `fixed`: one look at a planned size. */
export type AnalysisMode = 'sequential' | 'fixed';

/**
 * One-sided limits on a guardrail metric's change (arm minus control), as non-negative magnitudes:
 * `maxIncrease: 0.005` breaches when the difference is shown to exceed +0.005,
 * `maxRelativeDecrease: 0.1` when the relative lift is shown to fall below −10%.
 */
export interface GuardrailLimits {
  maxIncrease?: number;
  maxRelativeIncrease?: number;
  maxDecrease?: number;
  maxRelativeDecrease?: number;
}

export interface MetricInput {
  name: string;
  type: MetricType;
  /** Which way is good; only affects chance_to_beat_control (tests are two-sided). */
  direction: MetricDirection;
  /** Minimum detectable effect, relative to the control mean (0.05 = 5%). */
  mde: number;
  /** Makes the metric a guardrail: outside the correction family, tested one-sided against the limits. */
  guardrail?: GuardrailLimits;
  /** Keyed by arm name: MomentSums (binomial, continuous) or RatioSums (ratio); a missing arm had no events. */
  arms: Record<string, MomentSums | RatioSums>;
  /**
   * Average over the users that have a value (`users` of the sums) rather than every exposed user: a
   * user without a value is then missing, not a 0 (the gateway's latency of the users it measured).
   */
  perMeasuredUser?: boolean;
}

export interface AnalysisInput {
  /** Two-sided significance level, e.g. 0.05. */
  alpha: number;
  arms: ArmInput[];
  metrics: MetricInput[];
  /** Users seen in more than one arm (excluded upstream); > 0 raises a warning. */
  multipleArmUsers?: number;
  /** @default 'holm' */
  correction?: Correction;
  /** @default 'sequential' */
  analysis?: AnalysisMode;
  /**
   * Total users (all compared arms together) the confidence sequences are tuned for: they are
   * narrowest there. @default 5000 (see DEFAULT_SEQUENTIAL_TUNING)
   */
  sequentialTuning?: number;
}

export interface AnalysisOptions {
  /** Arms with fewer exposed users than this get `insufficient_data`. @default 100 */
  minUsers?: number;
  /** Binomial arms with fewer conversions (or non-conversions) than this get `insufficient_data`. @default 10 */
  minConversions?: number;
}

export type WarningCode =
  | 'empty_arm'
  | 'zero_variance'
  | 'precision_loss'
  | 'numeric_range'
  | 'denominator_zero'
  | 'control_mean_zero'
  | 'lift_interval_unbounded'
  | 'insufficient_data'
  | 'srm_mismatch'
  | 'multiple_arm_users'
  | 'invalid_mde'
  | 'invalid_alpha'
  | 'invalid_option'
  | 'invalid_input'
  | 'invalid_weights'
  | 'invalid_guardrail'
  | 'guardrail_breach'
  | 'no_control'
  | 'multiple_controls';

export interface AnalysisWarning {
  code: WarningCode;
  message: string;
  metric?: string;
  arm?: string;
}

export type Interval = [number, number];

export interface ArmReport {
  name: string;
  weight: number | null;
  control: boolean;
  exposures: number | null;
}

export interface SrmReport {
  chi2: number | null;
  p_value: number | null;
  mismatch: boolean | null;
}

export interface MetricArmReport {
  arm: string;
  /** Exposed users (the unit of analysis). */
  n: number | null;
  /** Binomial: conversion rate; continuous: mean per exposed user; ratio: Σ numerator / Σ denominator. */
  mean: number | null;
  /** Fixed-horizon interval of this arm's mean at 1 − alpha (descriptive; not sequential, not adjusted). */
  ci: Interval | null;
}

export interface ComparisonReport {
  arm: string;
  /** Control mean. */
  baseline: number | null;
  /** This arm's mean. */
  test: number | null;
  /** diff / se (unpooled standard error): z, or Welch t for continuous metrics in the fixed analysis. */
  statistic: number | null;
  /** Two-sided p-value of the analysis (always-valid when sequential). */
  p_value: number | null;
  /** After the report's correction; equal to p_value for guardrail metrics and with `none`. */
  p_value_adjusted: number | null;
  /** p_value_adjusted < alpha; the `_adjusted` intervals exclude 0 exactly when this is true. */
  significant: boolean | null;
  diff: number | null;
  /** Interval of diff at ci_level (a confidence sequence when sequential). */
  diff_ci: Interval | null;
  /** (arm − control) / |control|: positive means the arm is higher, even for a negative control mean. */
  relative_lift: number | null;
  /** Fieller interval of relative_lift at ci_level; null when unbounded (control mean not resolved from 0). */
  relative_lift_ci: Interval | null;
  /** 1 − alpha: the level of diff_ci and relative_lift_ci. */
  ci_level: number | null;
  /** Interval of diff at ci_level_adjusted: agrees with `significant`. */
  diff_ci_adjusted: Interval | null;
  relative_lift_ci_adjusted: Interval | null;
  /** 1 − alpha·p/p_adjusted: the per-comparison level at which the correction decides. */
  ci_level_adjusted: number | null;
  chance_to_beat_control: number | null;
  /** Users per arm for 80% power at the metric's MDE (fixed-horizon, two-sided at alpha). */
  sample_size_needed: number | null;
  progress: number | null;
  warnings: AnalysisWarning[];
}

/** The limits as given (null where a value is not a finite number), echoed in the report. */
export type GuardrailLimitsReport = { [K in keyof GuardrailLimits]?: number | null };

export interface MetricReport {
  name: string;
  type: MetricType;
  direction: MetricDirection;
  /** The guardrail limits when the metric is a guardrail (outside the correction family), else null. */
  guardrail: GuardrailLimitsReport | null;
  arms: MetricArmReport[];
  comparisons: ComparisonReport[];
}

export type GuardrailKind = keyof GuardrailLimits;
export type GuardrailStatus = 'ok' | 'breach' | 'inconclusive';

/**
 * One guardrail limit for one non-control arm. `interval` holds the two one-sided sequential bounds
 * at level 1 − alpha each (valid at every look); `bound` is the one tested for a breach: the lower
 * bound for increase limits, the upper bound for decrease limits.
 *   breach:       bound beyond the limit (lower > limit, or upper < limit for decreases)
 *   ok:           the other bound within the limit (upper < limit, or lower > limit for decreases)
 *   inconclusive: neither, or not computable (no data, zero variance, unbounded relative interval)
 */
export interface GuardrailReport {
  metric: string;
  arm: string;
  kind: GuardrailKind;
  /** Signed limit on the change: +maxIncrease, −maxDecrease (relative kinds on the relative lift). */
  limit: number;
  /** diff for absolute kinds, relative lift for relative kinds. */
  estimate: number | null;
  bound: number | null;
  interval: Interval | null;
  status: GuardrailStatus;
}

export interface Analysis {
  alpha: number | null;
  correction: Correction;
  analysis: AnalysisMode;
  /** Planned total users the confidence sequences are tuned for (also used by guardrails). */
  sequential_tuning: number;
  arms: ArmReport[];
  multiple_arm_users: number | null;
  srm: SrmReport;
  metrics: MetricReport[];
  guardrails: GuardrailReport[];
  /** Every warning of the analysis (experiment-level ones first), deduplicated. */
  warnings: AnalysisWarning[];
}
