// The analyst's HTML report. Self-contained (inline CSS and SVG, no scripts or fonts) so it renders
// on an offline machine; readable from a phone (390 px) to a desktop. Sections live in ./sections.
import type { Report } from './build-report.js';
import { esc } from './escape.js';
import { stateLine } from './state-line.js';
import { metricSection } from './sections/metric.js';
import { glance, when } from './sections/glance.js';
import { attributionSection, NO_DATA_MESSAGE, warningsSection } from './sections/notes.js';
import { rolloutSection } from './sections/rollout.js';
import { trafficSection } from './sections/traffic.js';
import { explainWarning, pValue } from './verdict.js';
import { hasNoData, methodText } from './view.js';

export interface PageOptions {
  /** Show a "log out" button (the page was opened with the login cookie). */
  logout?: boolean;
}

/** Shared by every report page: the report, the list and the login form. Text contrast ≥ 4.5:1. */
export const PAGE_CSS = `
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:960px;color:#1f2328;background:#fff;padding:.75rem;line-height:1.4}
h1{font-size:1.5rem;margin:.5rem 0;overflow-wrap:anywhere}h2{font-size:1.25rem;margin:1.5rem 0 .5rem}h3{font-size:1.1rem;overflow-wrap:anywhere}
h1 small,h2 small,h3 small{font-weight:normal;color:#57606a;font-size:.8em}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}
th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:right;vertical-align:top}
th[scope=row],thead th:first-child{text-align:left}thead th{background:#f6f8fa}
caption{text-align:left;font-weight:600;padding:.2rem 0;color:#1f2328}
td{white-space:nowrap}table.facts td{text-align:left;white-space:normal}table.wrap td{white-space:normal}
.banner{padding:.8rem 1rem;border-radius:6px;margin:1rem 0}
.srm{background:#ffebe9;border:2px solid #cf222e;font-size:1.05rem}
.nodata{background:#fff8c5;border:1px solid #9a6700}
.verdicts{padding-left:1.2rem}.verdict{margin:.3rem 0}
.verdict.sig{font-weight:600}.verdict.untrustworthy{font-weight:normal;color:#57606a}
.tone.improvement,.verdict.improvement{color:#1a7f37}.tone.regression,.verdict.regression{color:#cf222e}
.tone.untrustworthy,.tone.neutral{color:#57606a}
.status.breached,.status.breach{color:#cf222e;font-weight:600}.status.ok{color:#1a7f37}
.srm-line.bad{color:#cf222e;font-weight:600}
figure{margin:.75rem 0}figcaption{font-size:.9rem;color:#57606a}
svg.chart{display:block;width:100%;max-width:640px;height:auto}
.metric{border-top:1px solid #d0d7de;margin-top:1.5rem}.meta,.muted{color:#57606a}
form.logout{display:inline}button,input{font:inherit}
a{color:#0969da}
`;

export function pageShell(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${PAGE_CSS}</style></head><body>
<main>
${body}
</main>
</body></html>`;
}

export function logoutForm(): string {
  return '<form class="logout" method="post" action="/reports/_logout"><button type="submit">Log out</button></form>';
}

export function reportToHtml(report: Report, options: PageOptions = {}): string {
  const alpha = report.alpha ?? 0.05;
  const srmBanner = report.srm.mismatch
    ? `<div class="banner srm" role="alert"><strong>Do not trust these results: sample ratio mismatch (p ${esc(pValue(report.srm.p_value))}).</strong> ${esc(
        explainWarning({ code: 'srm_mismatch', message: '' }),
      )} The verdicts below are greyed out until the cause is found.</div>`
    : '';
  const noData = hasNoData(report);
  const own = report.metrics.filter((m) => m.guardrail === null);
  const guardrails = report.metrics.filter((m) => m.guardrail !== null);
  const metrics = noData
    ? `<p>Tracked metrics: ${own.map((m) => esc(m.name)).join(', ') || 'none'}; guardrails: ${guardrails.map((m) => esc(m.name)).join(', ') || 'none'}.</p>`
    : `<h2>Metrics</h2>
${own.map((m) => metricSection(report, m)).join('\n') || '<p>This experiment tracks no metrics of its own.</p>'}
${guardrails.length > 0 ? `<h2>Guardrails</h2>\n${guardrails.map((m) => metricSection(report, m)).join('\n')}` : ''}
${warningsSection(report)}`;
  const body = `<header>
<nav class="meta"><a href="/reports/">All experiments</a>${options.logout ? ` · ${logoutForm()}` : ''}</nav>
<h1>${esc(report.experiment)} <small>${esc(report.state.status)}</small></h1>
<p class="state">State: ${esc(stateLine(report.state))}</p>
${report.description ? `<p>${esc(report.description)}</p>` : ''}
<p class="meta method">${esc(methodText(report))} · two-sided α = ${esc(alpha)} · generated ${esc(when(report.generated_at))}</p>
</header>
${srmBanner}
${noData ? `<div class="banner nodata" role="status">${esc(NO_DATA_MESSAGE)}</div>` : ''}
${glance(report)}
${report.rollout ? rolloutSection(report.rollout) : ''}
${trafficSection(report)}
${metrics}
${attributionSection(report)}`;
  return pageShell(`abgate report: ${report.experiment}`, body);
}
