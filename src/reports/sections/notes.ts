// Warnings, each code once with where it applies; outcomes left out of the results (unattributed,
// or held for an exposure); and the one message of a report without data.
import type { Report } from '../build-report.js';
import { esc } from '../escape.js';
import { explainWarning } from '../verdict.js';
import { attributionNotes, groupWarnings } from '../view.js';

export const NO_DATA_MESSAGE =
  'No data yet: no user has been exposed to this experiment (in this phase), so there is nothing to compare. Check that traffic reaches its route and that the experiment is running.';

export function warningsSection(report: Report): string {
  const groups = groupWarnings(report);
  if (groups.length === 0) return '';
  const items = groups.map(
    (g) =>
      `<li><code>${esc(g.code)}</code>${g.where.length > 0 ? ` (${esc(g.where.join(', '))})` : ''}: ${esc(
        explainWarning({ code: g.code, message: g.message }),
      )}</li>`,
  );
  return `<section aria-labelledby="warnings-h"><h2 id="warnings-h">Warnings</h2><ul class="warnings">${items.join('')}</ul></section>`;
}

/** Outcomes the results leave out: unattributed per metric, and users still waiting for an exposure. */
export function attributionSection(report: Report): string {
  const notes = attributionNotes(report);
  if (notes.length === 0) return '';
  return `<section aria-labelledby="attribution-h"><h2 id="attribution-h">Outcomes not in the results</h2><ul class="notes attribution">${notes
    .map((n) => `<li>${esc(n)}</li>`)
    .join('')}</ul></section>`;
}
