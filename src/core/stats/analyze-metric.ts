// One metric of an experiment: per-arm summaries and every non-control arm compared with control.
import { summarizeArm, type ArmSummary } from './arm-summary.js';
import { adjustedLevel } from './correction.js';
import { finiteIntervalOrNull, finiteOrNull } from './finite.js';
import { normalCdf } from './normal.js';
import { NORMAL, sequentialReference, studentReference, welchDf, type Reference } from './reference.js';
import { fiellerLift, relativeLift, type LiftInterval, type MeanEstimate } from './relative-lift.js';
import { sampleSizePerArm } from './sample-size.js';
import type {
  AnalysisMode,
  AnalysisWarning,
  ArmInput,
  ComparisonReport,
  Interval,
  MetricInput,
  MetricReport,
} from './types.js';
import { dedupeWarnings, makeWarning } from './warnings.js';

export interface MetricContext {
  arms: readonly ArmInput[];
  /** Index of the control arm in `arms`, or null when there is none. */
  controlIndex: number | null;
  /** Null when alpha is unusable. */
  alpha: number | null;
  analysis: AnalysisMode;
  /** Mixture scale of the two-sided confidence sequences (tuned at alpha); null when alpha is unusable. */
  rho: number | null;
  minUsers: number;
  minConversions: number;
}

/** What the correction needs to finish a comparison: the statistic's reference and its pieces. */
export interface Inference {
  reference: Reference;
  se: number;
  diff: number;
  control: MeanEstimate;
  test: MeanEstimate;
}

/** A comparison before the report-wide correction. */
export interface PendingComparison {
  fields: Omit<
    ComparisonReport,
    | 'p_value_adjusted'
    | 'significant'
    | 'diff_ci_adjusted'
    | 'relative_lift_ci_adjusted'
    | 'ci_level_adjusted'
  >;
  inference: Inference | null;
}

export interface MetricAnalysis {
  summaries: ArmSummary[];
  control: ArmSummary | undefined;
  pending: PendingComparison[];
}

/** Both arms non-empty and usable, with means: the comparison can be computed. */
export function comparable(c: ArmSummary, t: ArmSummary): boolean {
  return c.valid && t.valid && c.n > 0 && t.n > 0 && c.mean !== null && t.mean !== null;
}

/**
 * How a comparison's statistic is judged. Sequential: the confidence sequence over the users of
 * both arms. Fixed: Welch's t for continuous metrics, the normal for binomial and ratio metrics
 * (their variances are the binomial p(1 − p) and the delta method: no t reference applies).
 */
function referenceFor(
  metric: MetricInput,
  c: ArmSummary,
  t: ArmSummary,
  ctx: MetricContext,
): Reference | null {
  if (ctx.analysis === 'sequential') return ctx.rho === null ? null : sequentialReference(c.n + t.n, ctx.rho);
  if (metric.type !== 'continuous') return NORMAL;
  if (c.meanVariance === null || t.meanVariance === null) return null;
  return studentReference(welchDf(c.meanVariance, c.n, t.meanVariance, t.n));
}

/** The difference interval at critical value q. */
export function diffInterval(inference: Inference, q: number): Interval | null {
  if (!Number.isFinite(q)) return null;
  const half = q * inference.se;
  return finiteIntervalOrNull(inference.diff - half, inference.diff + half);
}

/** The relative-lift interval at critical value q, or null with the reason as a warning code. */
export function liftInterval(inference: Inference, q: number): { ci: Interval | null; set: LiftInterval } {
  if (!Number.isFinite(q)) return { ci: null, set: { kind: 'undefined' } };
  const set = fiellerLift(inference.control, inference.test, q);
  return { ci: set.kind === 'bounded' ? set.interval : null, set };
}

function compare(metric: MetricInput, c: ArmSummary, t: ArmSummary, ctx: MetricContext): PendingComparison {
  const { alpha } = ctx;
  const at = { metric: metric.name, arm: t.arm };
  const warnings: AnalysisWarning[] = [...c.warnings, ...t.warnings];
  const fields: PendingComparison['fields'] = {
    arm: t.arm,
    baseline: c.valid ? c.mean : null,
    test: t.valid ? t.mean : null,
    statistic: null,
    p_value: null,
    diff: null,
    diff_ci: null,
    relative_lift: null,
    relative_lift_ci: null,
    ci_level: alpha === null ? null : 1 - alpha,
    chance_to_beat_control: null,
    sample_size_needed: null,
    progress: null,
    warnings: [],
  };
  let inference: Inference | null = null;

  if (comparable(c, t) && c.mean !== null && t.mean !== null) {
    const diff = finiteOrNull(t.mean - c.mean);
    fields.diff = diff;
    fields.relative_lift = relativeLift(c.mean, t.mean);
    if (diff === null || (c.mean !== 0 && fields.relative_lift === null)) {
      warnings.push(makeWarning('numeric_range', at, 'The difference of the means overflows.'));
    }
    if (diff !== null && c.meanVariance !== null && t.meanVariance !== null) {
      const se = finiteOrNull(Math.sqrt(c.meanVariance + t.meanVariance));
      if (se === null) warnings.push(makeWarning('numeric_range', at, 'The standard error overflows.'));
      const reference = se !== null && se > 0 ? referenceFor(metric, c, t, ctx) : null;
      if (se !== null && se > 0 && reference !== null) {
        inference = {
          reference,
          se,
          diff,
          control: { mean: c.mean, variance: c.meanVariance },
          test: { mean: t.mean, variance: t.meanVariance },
        };
        const statistic = finiteOrNull(diff / se);
        fields.statistic = statistic;
        fields.p_value = statistic === null ? null : finiteOrNull(reference.pValue(statistic));
        if (fields.p_value === null)
          warnings.push(makeWarning('numeric_range', at, 'The p-value is not computable.'));
        const sign = metric.direction === 'decrease' ? -1 : 1;
        fields.chance_to_beat_control = statistic === null ? null : finiteOrNull(normalCdf(sign * statistic));
        if (alpha !== null) {
          const q = reference.critical(alpha);
          fields.diff_ci = diffInterval(inference, q);
          const lift = liftInterval(inference, q);
          fields.relative_lift_ci = lift.ci;
          if (lift.set.kind === 'unbounded') warnings.push(makeWarning('lift_interval_unbounded', at));
          else if (lift.set.kind === 'undefined' && c.mean !== 0) {
            warnings.push(makeWarning('numeric_range', at, 'The relative-lift interval is not computable.'));
          }
        }
      }
    }
  }

  if (c.valid && c.n > 0 && c.mean !== null) {
    if (c.mean === 0) warnings.push(makeWarning('control_mean_zero', { metric: metric.name, arm: c.arm }));
    const size = sampleSizePerArm(metric.type, { mean: c.mean, variance: c.unitVariance }, metric.mde, alpha);
    if (size.n === null && size.reason === 'invalid_mde') {
      warnings.push(makeWarning('invalid_mde', { metric: metric.name }, `mde = ${metric.mde}.`));
    }
    fields.sample_size_needed = size.n;
  }
  fields.progress =
    fields.sample_size_needed === null || !c.valid || !t.valid
      ? null
      : finiteOrNull(Math.min(c.n, t.n) / fields.sample_size_needed);
  fields.warnings = dedupeWarnings(warnings);
  return { fields, inference };
}

/** Summaries and uncorrected comparisons of one metric. */
export function analyzeMetric(metric: MetricInput, ctx: MetricContext): MetricAnalysis {
  const summaries = ctx.arms.map((arm) =>
    summarizeArm({
      metric: metric.name,
      type: metric.type,
      arm: arm.name,
      exposures: metric.perMeasuredUser ? (metric.arms[arm.name]?.users ?? 0) : arm.exposures,
      stats: Object.hasOwn(metric.arms, arm.name) ? metric.arms[arm.name] : undefined,
      alpha: ctx.alpha,
      minUsers: ctx.minUsers,
      minConversions: ctx.minConversions,
    }),
  );
  const control = ctx.controlIndex === null ? undefined : summaries[ctx.controlIndex];
  const pending =
    control === undefined
      ? []
      : summaries.filter((_, i) => i !== ctx.controlIndex).map((t) => compare(metric, control, t, ctx));
  return { summaries, control, pending };
}

/**
 * Completes a comparison with its corrected p-value. The adjusted intervals are drawn at the
 * error rate a* = α·p/p_adj (see adjustedLevel) with the same reference as the p-value, so that
 *   significant ⇔ p_adj < α ⇔ p < a* ⇔ |T| > critical(a*) ⇔ both adjusted intervals exclude 0
 * (the relative one whenever it is bounded: Fieller's set excludes a lift of 0 exactly when the
 * difference is significant at the same critical value).
 */
export function finishComparison(
  metric: string,
  pending: PendingComparison,
  pAdjusted: number | null,
  alpha: number | null,
  familySize: number,
  corrected: boolean,
): ComparisonReport {
  const f = pending.fields;
  let level: number | null = null;
  let diffAdjusted: Interval | null = null;
  let liftAdjusted: Interval | null = null;
  const extra: AnalysisWarning[] = [];
  if (alpha !== null && pAdjusted !== null && f.p_value !== null && pending.inference !== null) {
    const a = adjustedLevel(alpha, f.p_value, pAdjusted, familySize, corrected);
    level = 1 - a;
    if (a === alpha) {
      diffAdjusted = f.diff_ci;
      liftAdjusted = f.relative_lift_ci;
    } else {
      const q = pending.inference.reference.critical(a);
      diffAdjusted = diffInterval(pending.inference, q);
      const lift = liftInterval(pending.inference, q);
      liftAdjusted = lift.ci;
      if (lift.set.kind === 'unbounded') {
        extra.push(
          makeWarning(
            'lift_interval_unbounded',
            { metric, arm: f.arm },
            `At the corrected level ${formatLevel(level)} it is unbounded.`,
          ),
        );
      }
    }
  }
  // Spelled out to fix the key order of the JSON report.
  return {
    arm: f.arm,
    baseline: f.baseline,
    test: f.test,
    statistic: f.statistic,
    p_value: f.p_value,
    p_value_adjusted: pAdjusted,
    significant: pAdjusted === null || alpha === null ? null : pAdjusted < alpha,
    diff: f.diff,
    diff_ci: f.diff_ci,
    relative_lift: f.relative_lift,
    relative_lift_ci: f.relative_lift_ci,
    ci_level: f.ci_level,
    diff_ci_adjusted: diffAdjusted,
    relative_lift_ci_adjusted: liftAdjusted,
    ci_level_adjusted: level,
    chance_to_beat_control: f.chance_to_beat_control,
    sample_size_needed: f.sample_size_needed,
    progress: f.progress,
    warnings: dedupeWarnings([...f.warnings, ...extra]),
  };
}

function formatLevel(level: number): string {
  return `${Number((level * 100).toPrecision(4))}%`;
}

/** The metric's report, given its finished comparisons. */
export function metricReport(
  metric: MetricInput,
  analysis: MetricAnalysis,
  comparisons: ComparisonReport[],
): MetricReport {
  return {
    name: metric.name,
    type: metric.type,
    direction: metric.direction,
    guardrail:
      metric.guardrail === undefined
        ? null
        : Object.fromEntries(
            Object.entries(metric.guardrail).map(([kind, value]) => [kind, finiteOrNull(value as number)]),
          ),
    arms: analysis.summaries.map((s) => ({ arm: s.arm, n: finiteOrNull(s.n), mean: s.mean, ci: s.ci })),
    comparisons,
  };
}
