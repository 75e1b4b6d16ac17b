// A report as CSV: one row per metric and arm (control rows carry no comparison), then one row per
// guardrail the canary rollout checks (row_type rollout_guardrail).
// ci_* columns are at ci_level (1 − alpha); the *_adjusted ones at ci_level_adjusted, which agrees
// with `significant` after the report's correction. Every row repeats what makes the file
// trustworthy or not on its own: the sample ratio check, alpha, correction, analysis, state, phase
// and when it was generated, so an exported file cannot be read as sound when it is not; and what
// the results leave out: metric_unattributed (the metric's outcomes that found no exposed user after
// the grace period, for the whole experiment: the same on each arm's row, not to be summed over arms)
// and held_users (users whose outcomes still wait for their exposure).
import type { Report } from './build-report.js';
import type { AnalysisWarning, GuardrailReport } from '../core/stats/index.js';
import { armShares } from './view.js';

export const CSV_COLUMNS = [
  'experiment',
  'metric',
  'type',
  'arm',
  'control',
  'exposures',
  'n',
  'mean',
  'ci_low',
  'ci_high',
  'diff',
  'diff_ci_low',
  'diff_ci_high',
  'relative_lift',
  'relative_lift_ci_low',
  'relative_lift_ci_high',
  'statistic',
  'p_value',
  'p_value_adjusted',
  'significant',
  'chance_to_beat_control',
  'sample_size_needed',
  'progress',
  'ci_level',
  'diff_ci_adjusted_low',
  'diff_ci_adjusted_high',
  'relative_lift_ci_adjusted_low',
  'relative_lift_ci_adjusted_high',
  'ci_level_adjusted',
  'warnings',
  'row_type',
  'direction',
  'guardrail_limits',
  'guardrail_status',
  'guardrail_observed',
  'guardrail_bound',
  'expected_share',
  'observed_share',
  'alpha',
  'correction',
  'analysis',
  'srm_chi2',
  'srm_p_value',
  'srm_mismatch',
  'state',
  'state_since',
  'phase',
  'phase_started_at',
  'generated_at',
  'rollout_state',
  'rollout_step',
  'rollout_steps',
  'rollout_traffic',
  'rollout_next_check_at',
  'rollout_last_verdict',
  'rollout_last_reasons',
  'metric_unattributed',
  'held_users',
] as const;

type Column = (typeof CSV_COLUMNS)[number];
type Row = Partial<Record<Column, unknown>>;

function joined<T>(items: readonly T[], f: (x: T) => unknown): string | undefined {
  return items.length === 0 ? undefined : items.map(f).join(';');
}

/** The experiment-level facts every row carries. */
function reportColumns(report: Report): Row {
  const r = report.rollout;
  return {
    alpha: report.alpha,
    correction: report.correction,
    analysis: report.analysis,
    srm_chi2: report.srm.chi2,
    srm_p_value: report.srm.p_value,
    srm_mismatch: report.srm.mismatch,
    state: report.state.status,
    state_since: report.state.since,
    phase: report.state.phase,
    phase_started_at: report.state.phase_started_at,
    generated_at: report.generated_at,
    held_users: report.held_users,
    ...(r
      ? {
          rollout_state: r.state,
          rollout_step: r.step_index + 1,
          rollout_steps: r.steps.join(';'),
          rollout_traffic: r.traffic,
          rollout_next_check_at: r.next_check_at,
          rollout_last_verdict: r.last_check?.verdict,
          rollout_last_reasons: r.last_check?.reasons.join('; '),
        }
      : {}),
  };
}

function guardrailColumns(checks: readonly GuardrailReport[]): Row {
  return {
    guardrail_limits: joined(checks, (g) => `${g.kind}=${Math.abs(g.limit)}`),
    guardrail_status: joined(checks, (g) => g.status),
    guardrail_observed: joined(checks, (g) => g.estimate ?? ''),
    guardrail_bound: joined(checks, (g) => g.bound ?? ''),
  };
}

/**
 * A comparison's warnings, each once, with the arm it is about: a comparison carries its control's
 * warnings as well as its own arm's, so `empty_arm(control);empty_arm(treatment)`, never a bare repeat.
 */
function warningCells(warnings: readonly AnalysisWarning[]): string | undefined {
  const cells = [...new Set(warnings.map((w) => (w.arm === undefined ? w.code : `${w.code}(${w.arm})`)))];
  return cells.length === 0 ? undefined : cells.join(';');
}

/** RFC 4180 quoting, plus a leading quote for cells a spreadsheet would run as a formula. */
function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s = String(value);
  if (/^[=+\-@\t\r]/.test(s) && typeof value === 'string') s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function reportToCsv(report: Report): string {
  const rows: Row[] = [];
  const arms = new Map(report.arms.map((a) => [a.name, a]));
  const shares = new Map(armShares(report).map((a) => [a.arm, a]));
  const common = reportColumns(report);
  for (const metric of report.metrics) {
    const comparisons = new Map(metric.comparisons.map((c) => [c.arm, c]));
    for (const arm of metric.arms) {
      const c = comparisons.get(arm.arm);
      const checks = report.guardrails.filter((g) => g.metric === metric.name && g.arm === arm.arm);
      rows.push({
        experiment: report.experiment,
        metric: metric.name,
        type: metric.type,
        arm: arm.arm,
        control: arms.get(arm.arm)?.control ?? false,
        exposures: arms.get(arm.arm)?.exposures,
        n: arm.n,
        mean: arm.mean,
        ci_low: arm.ci?.[0],
        ci_high: arm.ci?.[1],
        diff: c?.diff,
        diff_ci_low: c?.diff_ci?.[0],
        diff_ci_high: c?.diff_ci?.[1],
        relative_lift: c?.relative_lift,
        relative_lift_ci_low: c?.relative_lift_ci?.[0],
        relative_lift_ci_high: c?.relative_lift_ci?.[1],
        statistic: c?.statistic,
        p_value: c?.p_value,
        p_value_adjusted: c?.p_value_adjusted,
        significant: c?.significant,
        chance_to_beat_control: c?.chance_to_beat_control,
        sample_size_needed: c?.sample_size_needed,
        progress: c?.progress,
        ci_level: c?.ci_level,
        diff_ci_adjusted_low: c?.diff_ci_adjusted?.[0],
        diff_ci_adjusted_high: c?.diff_ci_adjusted?.[1],
        relative_lift_ci_adjusted_low: c?.relative_lift_ci_adjusted?.[0],
        relative_lift_ci_adjusted_high: c?.relative_lift_ci_adjusted?.[1],
        ci_level_adjusted: c?.ci_level_adjusted,
        warnings: warningCells(c?.warnings ?? []),
        row_type: metric.guardrail === null ? 'metric' : 'guardrail',
        direction: metric.direction,
        ...guardrailColumns(checks),
        expected_share: shares.get(arm.arm)?.expected,
        observed_share: shares.get(arm.arm)?.observed,
        metric_unattributed: report.unattributed[metric.name] ?? 0,
        ...common,
      });
    }
  }
  for (const g of report.rollout?.guardrails ?? []) {
    rows.push({
      experiment: report.experiment,
      metric: g.metric,
      row_type: 'rollout_guardrail',
      guardrail_limits: g.limit,
      guardrail_status: g.status,
      guardrail_observed: g.observed,
      guardrail_bound: g.bound,
      ...common,
    });
  }
  const lines = [CSV_COLUMNS.map(cell), ...rows.map((r) => CSV_COLUMNS.map((col) => cell(r[col])))];
  return lines.map((l) => l.join(',')).join('\r\n') + '\r\n';
}
