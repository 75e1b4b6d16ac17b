// One metric: the verdicts, the lift chart, the lift over time, and the numbers behind them.
// Verdict, interval, colour and "significant" come from one ComparisonView (view.ts).
import type { MetricReport } from '../../core/stats/index.js';
import type { Report } from '../build-report.js';
import { liftChart } from '../charts/lift-chart.js';
import { timeChart } from '../charts/time-chart.js';
import { esc } from '../escape.js';
import { chance, directionWords, formatNumber, percent, pValue, signedPercent } from '../verdict.js';
import { comparisonView, type ComparisonView } from '../view.js';
import { signedNumber } from './glance.js';
import { table } from './table.js';

function levelText(level: number | null): string {
  return level === null ? '' : `${Math.round(level * 1000) / 10}%`;
}

function range(i: [number, number] | null, fmt: (x: number) => string): string {
  return i === null ? 'n/a' : `${esc(fmt(i[0]))} to ${esc(fmt(i[1]))}`;
}

function comparisonRows(metric: MetricReport, views: ComparisonView[]): string[][] {
  return metric.comparisons.map((c, i) => {
    const v = views[i]!;
    return [
      esc(c.arm),
      esc(formatNumber(c.baseline)),
      esc(formatNumber(c.test)),
      `<span class="tone ${v.tone}">${esc(signedNumber(v.diff))}</span>`,
      range(v.diffInterval, (x) => signedNumber(x)),
      `<span class="tone ${v.tone}">${esc(signedPercent(v.lift))}</span>`,
      range(v.liftInterval, (x) => signedPercent(x)),
      esc(levelText(v.level)),
      esc(pValue(c.p_value_adjusted)),
      esc(v.significant ? 'yes' : 'no'),
      esc(chance(c.chance_to_beat_control)),
      esc(c.sample_size_needed ?? 'n/a'),
      esc(percent(c.progress === null ? null : Math.min(c.progress, 1), 0)),
    ];
  });
}

function guardrailTable(report: Report, metric: MetricReport): string {
  const rows = report.guardrails
    .filter((g) => g.metric === metric.name)
    .map((g) => {
      const relative = g.kind.includes('Relative');
      const fmt = (x: number | null) =>
        x === null ? 'n/a' : relative ? signedPercent(x, 2) : signedNumber(x);
      return [
        esc(g.arm),
        esc(`${g.kind} ${relative ? percent(Math.abs(g.limit), 1) : formatNumber(Math.abs(g.limit))}`),
        esc(fmt(g.estimate)),
        esc(fmt(g.bound)),
        `<span class="status ${g.status}">${esc(g.status)}</span>`,
      ];
    });
  if (rows.length === 0) return '';
  return table(
    `Guardrail limits on ${metric.name} (one-sided, sequential bound at every look)`,
    ['arm', 'limit', 'observed change', 'sequential bound', 'status'],
    rows,
  );
}

export function metricSection(report: Report, metric: MetricReport): string {
  const views = metric.comparisons.map((c) => comparisonView(report, metric, c));
  const series = report.time_series?.metrics.find((m) => m.name === metric.name);
  const over = (series?.comparisons ?? [])
    .filter((c) => c.points.length > 0)
    .map(
      (c) =>
        `<figure><figcaption>${esc(c.arm)}: cumulative lift over control by day (band: the adjusted interval)</figcaption>${timeChart(metric.name, c.arm, c.points)}</figure>`,
    )
    .join('\n');
  const id = `m-${metric.name.replace(/[^a-zA-Z0-9_-]/g, '_')}`;
  return `<section class="metric" aria-labelledby="${id}">
<h3 id="${id}">${esc(metric.name)} <small>${esc(metric.type)}, ${esc(directionWords(metric.direction))}${metric.guardrail ? ', guardrail' : ''}</small></h3>
<ul class="verdicts">${views.map((v) => `<li class="verdict ${v.tone}${v.significant ? ' sig' : ''}">${esc(v.verdict)}</li>`).join('')}</ul>
<figure><figcaption>Relative lift with the interval the verdict uses; dashed line: control (0%)</figcaption>${liftChart(metric.name, views)}</figure>
${over}
${table(
  `${metric.name}: each arm against control`,
  [
    'arm',
    'control mean',
    'arm mean',
    'difference',
    'difference interval',
    'relative lift',
    'lift interval',
    'interval level',
    'p (adjusted)',
    'significant',
    'chance to beat control',
    'users needed per arm',
    'progress',
  ],
  comparisonRows(metric, views),
)}
${guardrailTable(report, metric)}
${table(
  `${metric.name}: per-arm means (descriptive ${levelText(1 - (report.alpha ?? 0.05))} intervals)`,
  ['arm', 'users', 'mean', 'interval'],
  metric.arms.map((a) => [
    esc(a.arm),
    esc(a.n ?? 'n/a'),
    esc(formatNumber(a.mean)),
    range(a.ci, (x) => formatNumber(x)),
  ]),
)}
</section>`;
}
