// "At a glance": what analysts look for first, at the top of the page.
import type { Report } from '../build-report.js';
import { esc } from '../escape.js';
import { phaseLine, statusLine } from '../state-line.js';
import { formatNumber, percent, signedPercent } from '../verdict.js';
import { armShares, comparisonView, durationText, startOf, totalUsers } from '../view.js';
import { srmText } from './traffic.js';
import { factTable } from './table.js';

export function when(iso: string | null): string {
  return iso === null ? 'unknown' : iso.replace('T', ' ').replace(/(:\d\d)(\.\d+)?Z$/, '$1 UTC');
}

export function signedNumber(x: number | null | undefined): string {
  if (x === null || x === undefined) return 'n/a';
  return `${x > 0 ? '+' : ''}${formatNumber(x)}`;
}

export function glance(report: Report): string {
  const s = report.state;
  const facts: [string, string][] = [
    ['State', esc(statusLine(s))],
    ['Started', esc(when(startOf(report)))],
    ['Running for', esc(durationText(report) ?? 'unknown')],
    ['Traffic share', `${esc(s.traffic)}% of users enrolled`],
    ['Phase', esc(phaseLine(s))],
    ['Exposed users', esc(totalUsers(report))],
    [
      'Split, expected → observed',
      `${armShares(report)
        .map((a) => esc(`${a.arm} ${percent(a.expected)} → ${percent(a.observed)}`))
        .join(
          '<br>',
        )}<br><span class="srm-line${report.srm.mismatch ? ' bad' : ''}">SRM ${esc(srmText(report))}</span>`,
    ],
  ];
  const primary = report.metrics.find((m) => m.guardrail === null);
  if (primary) {
    for (const c of primary.comparisons) {
      const v = comparisonView(report, primary, c);
      facts.push([
        `${primary.name}: ${c.arm} vs control`,
        v.diff === null && v.lift === null
          ? 'no estimate yet'
          : `<span class="tone ${v.tone}">${esc(signedNumber(v.diff))} absolute, ${esc(signedPercent(v.lift))} relative</span>${
              v.liftInterval
                ? ` <span class="muted">(${esc(signedPercent(v.liftInterval[0]))} to ${esc(signedPercent(v.liftInterval[1]))}${v.significant ? ', significant' : ', not significant'})</span>`
                : ''
            }`,
      ]);
    }
  }
  return `<section class="glance" aria-labelledby="glance-h"><h2 id="glance-h">At a glance</h2>
${factTable('Where the experiment stands', facts)}</section>`;
}
