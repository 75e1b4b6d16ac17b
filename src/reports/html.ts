// The analyst's HTML report: verdicts in words, a lift chart with intervals, exposures, warnings.
// Self-contained (inline CSS and SVG, no scripts or fonts) so it renders on an offline machine.
import type { ComparisonReport, MetricReport } from '../core/stats/index.js';
import type { Report } from './build-report.js';
import { stateLine } from './state-line.js';
import {
  explainWarning,
  formatNumber,
  isImprovement,
  percent,
  pValue,
  signedPercent,
  verdict,
} from './verdict.js';

function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** A forest plot of each arm's relative lift and its CI (at the corrected level), zero line marked. */
function liftChart(metric: MetricReport): string {
  const rows = metric.comparisons;
  const width = 640;
  const label = 140;
  const rowH = 34;
  const height = rows.length * rowH + 40;
  const values = rows
    .flatMap((c) => (c.relative_lift_ci_adjusted ? c.relative_lift_ci_adjusted : []))
    .concat([0]);
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (hi - lo < 1e-9) {
    lo -= 0.05;
    hi += 0.05;
  }
  const pad = (hi - lo) * 0.1;
  lo -= pad;
  hi += pad;
  const x = (v: number) => label + ((v - lo) / (hi - lo)) * (width - label - 20);
  const parts: string[] = [
    `<svg class="chart" role="img" aria-label="Relative lift of each arm over control for ${esc(metric.name)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">`,
    `<line x1="${x(0)}" x2="${x(0)}" y1="10" y2="${height - 25}" stroke="#888" stroke-dasharray="4 3"/>`,
    `<text x="${x(0)}" y="${height - 8}" font-size="11" text-anchor="middle" fill="#555">0% (control)</text>`,
    `<text x="${label}" y="${height - 8}" font-size="10" fill="#888">${esc(signedPercent(lo, 0))}</text>`,
    `<text x="${width - 20}" y="${height - 8}" font-size="10" text-anchor="end" fill="#888">${esc(signedPercent(hi, 0))}</text>`,
  ];
  rows.forEach((c, i) => {
    const y = 25 + i * rowH;
    parts.push(`<text x="8" y="${y + 4}" font-size="13" fill="#222">${esc(c.arm)}</text>`);
    if (c.relative_lift === null || c.relative_lift_ci_adjusted === null) {
      parts.push(`<text x="${label}" y="${y + 4}" font-size="12" fill="#999">no estimate</text>`);
      return;
    }
    const color = c.significant ? (isImprovement(metric, c) ? '#1a7f37' : '#cf222e') : '#57606a';
    const [l, h] = c.relative_lift_ci_adjusted;
    parts.push(
      `<line class="ci" x1="${x(l)}" x2="${x(h)}" y1="${y}" y2="${y}" stroke="${color}" stroke-width="3"/>`,
      `<line x1="${x(l)}" x2="${x(l)}" y1="${y - 6}" y2="${y + 6}" stroke="${color}" stroke-width="2"/>`,
      `<line x1="${x(h)}" x2="${x(h)}" y1="${y - 6}" y2="${y + 6}" stroke="${color}" stroke-width="2"/>`,
      `<circle class="point" cx="${x(c.relative_lift)}" cy="${y}" r="5" fill="${color}"/>`,
      `<text x="${Math.min(x(h) + 8, width - 60)}" y="${y - 8}" font-size="11" fill="#444">${esc(signedPercent(c.relative_lift))}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}

function comparisonRow(c: ComparisonReport): string {
  return `<tr><td>${esc(c.arm)}</td><td>${formatNumber(c.baseline)}</td><td>${formatNumber(c.test)}</td><td>${esc(signedPercent(c.relative_lift))}</td><td>${
    c.relative_lift_ci_adjusted
      ? `${esc(percent(c.relative_lift_ci_adjusted[0]))} to ${esc(percent(c.relative_lift_ci_adjusted[1]))}`
      : 'n/a'
  }</td><td>${esc(pValue(c.p_value))}</td><td>${esc(pValue(c.p_value_adjusted))}</td><td>${esc(percent(c.chance_to_beat_control))}</td><td>${
    c.sample_size_needed ?? 'n/a'
  }</td><td>${esc(percent(c.progress === null ? null : Math.min(c.progress, 1), 0))}</td></tr>`;
}

function analysisText(report: Report): string {
  const analysis =
    report.analysis === 'sequential'
      ? 'sequential analysis (always-valid intervals and p-values: safe to look every day)'
      : 'fixed-horizon analysis (valid for one look at the planned sample size)';
  const correction =
    report.correction === 'none'
      ? 'no multiple-testing correction'
      : `${report.correction === 'holm' ? 'Holm' : 'Benjamini–Hochberg'} correction across all metrics and arms`;
  return `${analysis} · ${correction}`;
}

export function reportToHtml(report: Report): string {
  const alpha = report.alpha ?? 0.05;
  const srmBanner = report.srm.mismatch
    ? `<div class="banner srm" role="alert"><strong>Do not trust these results (SRM check p ${esc(pValue(report.srm.p_value))}).</strong> ${esc(
        explainWarning({ code: 'srm_mismatch', message: '' }),
      )}</div>`
    : '';
  const metrics = report.metrics
    .map(
      (m) => `<section class="metric">
<h2>${esc(m.name)} <small>${esc(m.type)}, higher is ${m.direction === 'increase' ? 'better' : 'worse'}</small></h2>
<ul class="verdicts">${m.comparisons.map((c) => `<li class="verdict ${c.significant ? 'sig' : ''}">${esc(verdict(m, c, alpha, report.srm.mismatch === true))}</li>`).join('')}</ul>
${liftChart(m)}
<table><thead><tr><th>arm</th><th>n</th><th>mean</th><th>${esc(Math.round((1 - alpha) * 100))}% CI</th></tr></thead><tbody>
${m.arms.map((a) => `<tr><td>${esc(a.arm)}</td><td>${a.n ?? 'n/a'}</td><td>${formatNumber(a.mean)}</td><td>${a.ci ? `${formatNumber(a.ci[0])} to ${formatNumber(a.ci[1])}` : 'n/a'}</td></tr>`).join('')}
</tbody></table>
<table><thead><tr><th>arm</th><th>control mean</th><th>arm mean</th><th>lift</th><th>lift CI (at the corrected level)</th><th>p</th><th>p (adjusted)</th><th>chance to beat control</th><th>users needed per arm</th><th>progress</th></tr></thead><tbody>
${m.comparisons.map(comparisonRow).join('')}
</tbody></table>
</section>`,
    )
    .join('\n');
  const warnings = report.warnings.length
    ? `<section><h2>Warnings</h2><ul class="warnings">${report.warnings
        .map(
          (w) =>
            `<li><code>${esc(w.code)}</code>${w.metric ? ` (${esc(w.metric)}${w.arm ? `, ${esc(w.arm)}` : ''})` : ''}: ${esc(explainWarning(w))}</li>`,
        )
        .join('')}</ul></section>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>abgate report: ${esc(report.experiment)}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:960px;color:#1f2328;padding:0 1rem}
h1 small,h2 small{font-weight:normal;color:#57606a;font-size:.8em}
table{border-collapse:collapse;margin:.8rem 0;font-size:.9rem}th,td{border:1px solid #d0d7de;padding:.3rem .6rem;text-align:right}
th:first-child,td:first-child{text-align:left}.banner{padding:1rem;border-radius:6px;margin:1rem 0}
.srm{background:#ffebe9;border:2px solid #cf222e;font-size:1.1rem}.verdict{margin:.3rem 0}.verdict.sig{font-weight:600}
.metric{border-top:1px solid #d0d7de;margin-top:1.5rem}.meta{color:#57606a}
</style></head><body>
<h1>${esc(report.experiment)} <small>${esc(report.status)}</small></h1>
<p class="state">State: ${esc(stateLine(report.state))}</p>
<p class="meta">${esc(report.description)}<br>Generated ${esc(report.generated_at)} · two-sided α = ${esc(alpha)} · ${esc(analysisText(report))}</p>
${srmBanner}
<section><h2>Exposures</h2><table><thead><tr><th>arm</th><th>weight</th><th>exposed users</th></tr></thead><tbody>
${report.arms.map((a) => `<tr><td>${esc(a.name)}${a.control ? ' (control)' : ''}</td><td>${a.weight ?? ''}</td><td>${a.exposures ?? 0}</td></tr>`).join('')}
</tbody></table>
<p class="meta">Sample ratio check: χ² = ${esc(formatNumber(report.srm.chi2))}, p ${esc(pValue(report.srm.p_value))}${
    report.multiple_arm_users ? ` · ${esc(report.multiple_arm_users)} users seen in more than one arm` : ''
  }</p></section>
${metrics || '<p>This experiment tracks no metrics.</p>'}
${warnings}
</body></html>`;
}
