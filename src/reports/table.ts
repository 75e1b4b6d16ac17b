// A report as a plain-text table for terminals (the CLI's default format). Same words as the page:
// verdicts, intervals and significance from the one view (view.ts), direction, capped chances.
import type { Report } from './build-report.js';
import { guardrailValue, rolloutFacts } from './rollout-text.js';
import { NO_DATA_MESSAGE } from './sections/notes.js';
import { srmText } from './sections/traffic.js';
import { stateLine } from './state-line.js';
import {
  chance,
  directionWords,
  explainWarning,
  formatNumber,
  percent,
  pValue,
  signedPercent,
} from './verdict.js';
import {
  armShares,
  attributionNotes,
  comparisonView,
  durationText,
  groupWarnings,
  hasNoData,
  methodText,
} from './view.js';

function grid(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '))
    .join('\n');
}

function rolloutLines(report: Report): string[] {
  const r = report.rollout;
  if (!r) return [];
  const facts = rolloutFacts(r);
  const width = Math.max(...facts.map(([k]) => k.length));
  return [
    '',
    'canary rollout:',
    ...facts.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`),
    ...(r.guardrails.length === 0
      ? []
      : [
          grid([
            ['  guardrail', 'status', 'limit', 'observed', 'sequential bound'],
            ...r.guardrails.map((g) => [
              `  ${g.metric}`,
              g.status,
              g.limit,
              guardrailValue(g, g.observed),
              guardrailValue(g, g.bound),
            ]),
          ]),
        ]),
  ];
}

function attributionLines(report: Report): string[] {
  const notes = attributionNotes(report);
  return notes.length === 0 ? [] : ['', 'outcomes not in the results:', ...notes.map((n) => `  - ${n}`)];
}

export function reportToTable(report: Report): string {
  const alpha = report.alpha ?? 0.05;
  const out: string[] = [];
  out.push(`${report.experiment} (${report.state.status})  generated ${report.generated_at}  alpha ${alpha}`);
  out.push(methodText(report));
  out.push(stateLine(report.state));
  const running = durationText(report);
  if (running !== null) out.push(`data for ${running}`);
  if (report.srm.mismatch) {
    out.push(
      '',
      `!!! SAMPLE RATIO MISMATCH (p = ${formatNumber(report.srm.p_value, 2)}): ${explainWarning({ code: 'srm_mismatch', message: '' })}`,
    );
  }
  out.push(...rolloutLines(report));
  out.push(
    '',
    grid([
      ['arm', 'weight', 'expected', 'observed', 'exposures'],
      ...armShares(report).map((a, i) => [
        `${a.arm}${a.control ? ' (control)' : ''}`,
        String(report.arms[i]?.weight ?? ''),
        percent(a.expected),
        percent(a.observed),
        String(a.exposures),
      ]),
    ]),
    `SRM ${srmText(report)}  multiple-arm users ${report.multiple_arm_users ?? 0}`,
  );
  if (hasNoData(report)) {
    out.push('', NO_DATA_MESSAGE, `metrics: ${report.metrics.map((m) => m.name).join(', ')}`);
    out.push(...attributionLines(report));
    return out.join('\n') + '\n';
  }
  for (const m of report.metrics) {
    const cmp = new Map(m.comparisons.map((c) => [c.arm, c]));
    const views = m.comparisons.map((c) => comparisonView(report, m, c));
    out.push(
      '',
      `${m.name} (${m.type}, ${directionWords(m.direction)}${m.guardrail ? ', guardrail' : ''})`,
      grid([
        ['arm', 'n', 'mean', 'ci', 'diff', 'lift', 'lift ci (adj.)', 'p adj', 'P(beat ctl)', 'need/arm'],
        ...m.arms.map((a) => {
          const c = cmp.get(a.arm);
          return [
            a.arm,
            String(a.n ?? 'n/a'),
            formatNumber(a.mean),
            a.ci ? `${formatNumber(a.ci[0])}..${formatNumber(a.ci[1])}` : 'n/a',
            c ? formatNumber(c.diff) : '-',
            c ? signedPercent(c.relative_lift) : '-',
            c?.relative_lift_ci_adjusted
              ? `${percent(c.relative_lift_ci_adjusted[0])}..${percent(c.relative_lift_ci_adjusted[1])}`
              : '-',
            c ? pValue(c.p_value_adjusted) : '-',
            c ? chance(c.chance_to_beat_control) : '-',
            c ? String(c.sample_size_needed ?? 'n/a') : '-',
          ];
        }),
      ]),
      ...views.map((v) => `  → ${v.verdict}`),
    );
  }
  const groups = groupWarnings(report);
  if (groups.length > 0) {
    out.push('', 'warnings:');
    for (const g of groups) {
      out.push(
        `  - ${g.code}${g.where.length ? ` [${g.where.join(', ')}]` : ''}: ${explainWarning({ code: g.code, message: g.message })}`,
      );
    }
  }
  out.push(...attributionLines(report));
  return out.join('\n') + '\n';
}
