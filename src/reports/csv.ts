// A report as CSV: one row per metric and arm (control rows carry no comparison).
// ci_* columns are at ci_level (1 − alpha); the *_adjusted ones at ci_level_adjusted, which agrees
// with `significant` after the report's correction.
import type { Report } from './build-report.js';

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
] as const;

/** RFC 4180 quoting, plus a leading quote for cells a spreadsheet would run as a formula. */
function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s = String(value);
  if (/^[=+\-@\t\r]/.test(s) && typeof value === 'string') s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function reportToCsv(report: Report): string {
  const rows: unknown[][] = [[...CSV_COLUMNS]];
  const exposures = new Map(report.arms.map((a) => [a.name, a]));
  for (const metric of report.metrics) {
    const comparisons = new Map(metric.comparisons.map((c) => [c.arm, c]));
    for (const arm of metric.arms) {
      const c = comparisons.get(arm.arm);
      rows.push([
        report.experiment,
        metric.name,
        metric.type,
        arm.arm,
        exposures.get(arm.arm)?.control ?? false,
        exposures.get(arm.arm)?.exposures,
        arm.n,
        arm.mean,
        arm.ci?.[0],
        arm.ci?.[1],
        c?.diff,
        c?.diff_ci?.[0],
        c?.diff_ci?.[1],
        c?.relative_lift,
        c?.relative_lift_ci?.[0],
        c?.relative_lift_ci?.[1],
        c?.statistic,
        c?.p_value,
        c?.p_value_adjusted,
        c?.significant,
        c?.chance_to_beat_control,
        c?.sample_size_needed,
        c?.progress,
        c?.ci_level,
        c?.diff_ci_adjusted?.[0],
        c?.diff_ci_adjusted?.[1],
        c?.relative_lift_ci_adjusted?.[0],
        c?.relative_lift_ci_adjusted?.[1],
        c?.ci_level_adjusted,
        c?.warnings.map((w) => w.code).join(';'),
      ]);
    }
  }
  return rows.map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}
