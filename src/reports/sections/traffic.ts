// Traffic: expected vs observed shares per arm and the sample ratio check that compares them.
import type { Report } from '../build-report.js';
import { esc } from '../escape.js';
import { formatNumber, percent, pValue } from '../verdict.js';
import { armShares } from '../view.js';
import { table } from './table.js';

export function srmText(report: Report): string {
  const { chi2, p_value: p, mismatch } = report.srm;
  if (p === null || chi2 === null) return 'not computed yet (no exposed users)';
  const verdict = mismatch ? 'MISMATCH: do not trust the results' : 'shares as configured';
  return `χ² = ${formatNumber(chi2)}, p ${p < 0.001 ? '' : '= '}${pValue(p)}: ${verdict}`;
}

export function trafficSection(report: Report): string {
  const rows = armShares(report).map((a) => [
    `${esc(a.arm)}${a.control ? ' (control)' : ''}`,
    esc(percent(a.expected)),
    esc(percent(a.observed)),
    esc(a.exposures),
  ]);
  const multiple = report.multiple_arm_users
    ? ` · ${esc(report.multiple_arm_users)} users seen in more than one arm (counted in their first arm)`
    : '';
  return `<section aria-labelledby="traffic-h"><h2 id="traffic-h">Traffic and sample ratio</h2>
${table('Expected and observed share of exposed users per arm', ['arm', 'expected share', 'observed share', 'exposed users'], rows)}
<p class="srm-line ${report.srm.mismatch ? 'bad' : ''}">Sample ratio check: ${esc(srmText(report))}${multiple}</p></section>`;
}
