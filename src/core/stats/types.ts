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
 * Sufficient statistics of one metric in one arm, over exposed users (users without events count
 * as value 0). For binomial metrics converted = sum = sumSquares = number of converted users.
 */
export interface MetricArmInput {
  sum: number;
  sumSquares: number;
  converted: number;
}

export type MetricType = 'binomial' | 'continuous';
export type MetricDirection = 'increase' | 'decrease';

export interface MetricInput {
  name: string;
  type: MetricType;
  /** Which way is good; only affects chance_to_beat_control (tests are two-sided). */
  direction: MetricDirection;
  /** Minimum detectable effect, relative to the control mean (0.05 = 5%). */
  mde: number;
  /** Keyed by arm name; an arm without an entry had no events (all zeros). */
  arms: Record<string, MetricArmInput>;
}

export interface AnalysisInput {
  /** Two-sided significance level, e.g. 0.05. */
  alpha: number;
  arms: ArmInput[];
  metrics: MetricInput[];
  /** Users seen in more than one arm (excluded upstream); > 0 raises a warning. */
  multipleArmUsers?: number;
}

export interface AnalysisOptions {
  /** Arms with fewer exposed users than this get `insufficient_data`. Default 100. */
  minUsers?: number;
  /** Binomial arms with fewer conversions (or non-conversions) than this get `insufficient_data`. Default 10. */
  minConversions?: number;
}

export type WarningCode =
  | 'empty_arm'
  | 'zero_variance'
  | 'control_mean_zero'
  | 'insufficient_data'
  | 'srm_mismatch'
  | 'multiple_arm_users'
  | 'invalid_mde'
  | 'invalid_alpha'
  | 'invalid_input'
  | 'invalid_weights'
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
  n: number | null;
  mean: number | null;
  ci: Interval | null;
}

export interface ComparisonReport {
  arm: string;
  /** Control mean. */
  baseline: number | null;
  /** This arm's mean. */
  test: number | null;
  /** z (binomial, pooled SE) or Welch t (continuous), arm minus control. */
  statistic: number | null;
  p_value: number | null;
  /** Holm-adjusted across the non-control arms of the metric. */
  p_value_adjusted: number | null;
  /** p_value_adjusted < alpha; null when the p-value is undefined. */
  significant: boolean | null;
  diff: number | null;
  diff_ci: Interval | null;
  relative_lift: number | null;
  relative_lift_ci: Interval | null;
  chance_to_beat_control: number | null;
  /** Users per arm for 80% power at the metric's MDE. */
  sample_size_needed: number | null;
  progress: number | null;
  warnings: AnalysisWarning[];
}

export interface MetricReport {
  name: string;
  type: MetricType;
  direction: MetricDirection;
  arms: MetricArmReport[];
  comparisons: ComparisonReport[];
}

export interface Analysis {
  alpha: number | null;
  arms: ArmReport[];
  multiple_arm_users: number | null;
  srm: SrmReport;
  metrics: MetricReport[];
  /** Every warning of the analysis (experiment-level ones first), deduplicated. */
  warnings: AnalysisWarning[];
}

/** Internal: the arm-minus-control test of one comparison, before multiplicity correction. */
export interface DifferenceTest {
  statistic: number | null;
  p_value: number | null;
  diff: number | null;
  diff_ci: Interval | null;
  /** Unpooled standard error of diff (Wald for binomial, Welch for continuous). */
  se: number | null;
}
