// One metric of an experiment: per-arm summaries and every non-control arm compared with control.
import { summarizeArm, type ArmSummary } from './arm-summary.js';
import { twoProportionTest } from './compare-binomial.js';
import { welchTest } from './compare-continuous.js';
import { finiteOrNull } from './finite.js';
import { holmAdjust } from './holm.js';
import { normalCdf, normalCriticalValue } from './normal.js';
import { relativeLift } from './relative-lift.js';
import { sampleSizePerArm } from './sample-size.js';
import type {
  AnalysisWarning,
  ArmInput,
  ComparisonReport,
  DifferenceTest,
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
  minUsers: number;
  minConversions: number;
}

export interface MetricResult {
  report: MetricReport;
  /** All warnings raised for this metric (arm-level and comparison-level). */
  warnings: AnalysisWarning[];
}

const NO_TEST: DifferenceTest = { statistic: null, p_value: null, diff: null, diff_ci: null, se: null };

/** Both arms non-empty and usable, with means: the comparison can be computed. */
function comparable(c: ArmSummary, t: ArmSummary): boolean {
  return c.valid && t.valid && c.n > 0 && t.n > 0 && c.mean !== null && t.mean !== null;
}

function differenceTest(
  metric: MetricInput,
  c: ArmSummary,
  t: ArmSummary,
  alpha: number | null,
): DifferenceTest {
  if (!comparable(c, t) || c.mean === null || t.mean === null) return NO_TEST;
  if (metric.type === 'binomial') {
    const z = alpha === null ? null : finiteOrNull(normalCriticalValue(alpha));
    return twoProportionTest(c, t, z);
  }
  return welchTest(
    { n: c.n, mean: c.mean, variance: c.variance },
    { n: t.n, mean: t.mean, variance: t.variance },
    alpha,
  );
}

function compare(
  metric: MetricInput,
  c: ArmSummary,
  t: ArmSummary,
  ctx: MetricContext,
): Omit<ComparisonReport, 'p_value_adjusted' | 'significant'> {
  const { alpha } = ctx;
  const z = alpha === null ? null : finiteOrNull(normalCriticalValue(alpha));
  const warnings: AnalysisWarning[] = [...c.warnings, ...t.warnings];
  const test = differenceTest(metric, c, t, alpha);

  let lift: ReturnType<typeof relativeLift> = { relative_lift: null, relative_lift_ci: null };
  if (comparable(c, t) && c.mean !== null && t.mean !== null) {
    lift = relativeLift(
      { n: c.n, mean: c.mean, variance: c.variance },
      { n: t.n, mean: t.mean, variance: t.variance },
      z,
    );
  }

  let chance: number | null = null;
  if (test.diff !== null && test.se !== null) {
    const sign = metric.direction === 'decrease' ? -1 : 1;
    chance = finiteOrNull(normalCdf((sign * test.diff) / test.se));
  }

  let sampleSize: number | null = null;
  if (c.valid && c.n > 0 && c.mean !== null) {
    if (c.mean === 0) warnings.push(makeWarning('control_mean_zero', { metric: metric.name, arm: c.arm }));
    const size = sampleSizePerArm(metric.type, { mean: c.mean, variance: c.variance }, metric.mde, alpha);
    if (size.n === null && size.reason === 'invalid_mde') {
      warnings.push(makeWarning('invalid_mde', { metric: metric.name }, `mde = ${metric.mde}.`));
    }
    sampleSize = size.n;
  }
  const progress =
    sampleSize === null || !c.valid || !t.valid ? null : finiteOrNull(Math.min(c.n, t.n) / sampleSize);

  return {
    arm: t.arm,
    baseline: c.valid ? c.mean : null,
    test: t.valid ? t.mean : null,
    statistic: test.statistic,
    p_value: test.p_value,
    diff: test.diff,
    diff_ci: test.diff_ci,
    relative_lift: lift.relative_lift,
    relative_lift_ci: lift.relative_lift_ci,
    chance_to_beat_control: chance,
    sample_size_needed: sampleSize,
    progress,
    warnings: dedupeWarnings(warnings),
  };
}

/** Analyzes one metric across all arms; comparisons are Holm-corrected within the metric. */
export function analyzeMetric(metric: MetricInput, ctx: MetricContext): MetricResult {
  const summaries = ctx.arms.map((arm) =>
    summarizeArm({
      metric: metric.name,
      type: metric.type,
      arm: arm.name,
      exposures: arm.exposures,
      stats: Object.hasOwn(metric.arms, arm.name) ? metric.arms[arm.name] : undefined,
      alpha: ctx.alpha,
      minUsers: ctx.minUsers,
      minConversions: ctx.minConversions,
    }),
  );
  const control = ctx.controlIndex === null ? undefined : summaries[ctx.controlIndex];
  const raw =
    control === undefined
      ? []
      : summaries.filter((s, i) => i !== ctx.controlIndex).map((t) => compare(metric, control, t, ctx));
  const adjusted = holmAdjust(raw.map((r) => r.p_value));
  const comparisons: ComparisonReport[] = raw.map((r, i) => {
    const pAdj = adjusted[i] ?? null;
    // Spelled out to fix the key order of the JSON report.
    return {
      arm: r.arm,
      baseline: r.baseline,
      test: r.test,
      statistic: r.statistic,
      p_value: r.p_value,
      p_value_adjusted: pAdj,
      significant: pAdj === null || ctx.alpha === null ? null : pAdj < ctx.alpha,
      diff: r.diff,
      diff_ci: r.diff_ci,
      relative_lift: r.relative_lift,
      relative_lift_ci: r.relative_lift_ci,
      chance_to_beat_control: r.chance_to_beat_control,
      sample_size_needed: r.sample_size_needed,
      progress: r.progress,
      warnings: r.warnings,
    };
  });
  const report: MetricReport = {
    name: metric.name,
    type: metric.type,
    direction: metric.direction,
    arms: summaries.map((s) => ({ arm: s.arm, n: finiteOrNull(s.n), mean: s.mean, ci: s.ci })),
    comparisons,
  };
  const warnings = dedupeWarnings([
    ...summaries.flatMap((s) => s.warnings),
    ...comparisons.flatMap((c) => c.warnings),
  ]);
  return { report, warnings };
}
