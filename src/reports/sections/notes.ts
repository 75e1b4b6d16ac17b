// Warnings, each code once with where it applies, and the one message of a report without data.
import type { Report } from '../build-report.js';
import { esc } from '../escape.js';
import { explainWarning } from '../verdict.js';
import { groupWarnings } from '../view.js';

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
