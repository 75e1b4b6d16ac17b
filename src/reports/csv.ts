// A report as CSV: one row per metric and arm (control rows carry no comparison).
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
        c?.warnings.map((w) => w.code).join(';'),
      ]);
    }
  }
  return rows.map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}
