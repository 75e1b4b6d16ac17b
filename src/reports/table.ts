// A report as a plain-text table for terminals (the CLI's default format).
import type { Report } from './build-report.js';
import { stateLine } from './state-line.js';
import { explainWarning, formatNumber, percent, pValue, signedPercent, verdict } from './verdict.js';

function grid(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '))
    .join('\n');
}

export function reportToTable(report: Report): string {
  const alpha = report.alpha ?? 0.05;
  const out: string[] = [];
  out.push(
    `${report.experiment} (${report.status})  generated ${report.generated_at}  alpha ${alpha}  ${report.analysis} analysis, correction ${report.correction}`,
  );
  out.push(stateLine(report.state));
  if (report.srm.mismatch) {
    out.push(
      '',
      `!!! SAMPLE RATIO MISMATCH (p = ${formatNumber(report.srm.p_value, 2)}): ${explainWarning({ code: 'srm_mismatch', message: '' })}`,
    );
  }
  out.push(
    '',
    grid([
      ['arm', 'weight', 'exposures'],
      ...report.arms.map((a) => [
        `${a.name}${a.control ? ' (control)' : ''}`,
        String(a.weight ?? ''),
        String(a.exposures ?? 0),
      ]),
    ]),
    `SRM chi2 ${formatNumber(report.srm.chi2)}  p ${pValue(report.srm.p_value)}  multiple-arm users ${report.multiple_arm_users ?? 0}`,
  );
  for (const m of report.metrics) {
    const cmp = new Map(m.comparisons.map((c) => [c.arm, c]));
    out.push(
      '',
      `${m.name} (${m.type}, ${m.direction === 'increase' ? 'higher' : 'lower'} is better)`,
      grid([
        ['arm', 'n', 'mean', 'ci', 'lift', 'lift ci (adj.)', 'p adj', 'P(beat ctl)', 'need/arm'],
        ...m.arms.map((a) => {
          const c = cmp.get(a.arm);
          return [
            a.arm,
            String(a.n ?? 'n/a'),
            formatNumber(a.mean),
            a.ci ? `${formatNumber(a.ci[0])}..${formatNumber(a.ci[1])}` : 'n/a',
            c ? signedPercent(c.relative_lift) : '-',
            c?.relative_lift_ci_adjusted
              ? `${percent(c.relative_lift_ci_adjusted[0])}..${percent(c.relative_lift_ci_adjusted[1])}`
              : '-',
            c ? pValue(c.p_value_adjusted) : '-',
            c ? percent(c.chance_to_beat_control) : '-',
            c ? String(c.sample_size_needed ?? 'n/a') : '-',
          ];
        }),
      ]),
      ...m.comparisons.map((c) => `  → ${verdict(m, c, alpha, report.srm.mismatch === true)}`),
    );
  }
  if (report.warnings.length > 0) {
    out.push('', 'warnings:');
    for (const w of report.warnings) {
      out.push(
        `  - ${w.code}${w.metric ? ` [${w.metric}${w.arm ? `/${w.arm}` : ''}]` : ''}: ${explainWarning(w)}`,
      );
    }
  }
  return out.join('\n') + '\n';
}
