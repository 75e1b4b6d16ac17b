// An accessible table: a caption, column headers with scope="col", the first cell of each row a
// row header (scope="row"), inside a container that scrolls on its own on narrow screens so the
// page itself never scrolls sideways. Cells are HTML already escaped by the caller.
import { esc } from '../escape.js';

export function table(
  caption: string,
  head: readonly string[],
  rows: readonly (readonly string[])[],
  cls = '',
): string {
  const header = head.map((h) => `<th scope="col">${esc(h)}</th>`).join('');
  const body = rows
    .map(
      (r) =>
        `<tr>${r.map((cell, i) => (i === 0 ? `<th scope="row">${cell}</th>` : `<td>${cell}</td>`)).join('')}</tr>`,
    )
    .join('\n');
  return `<div class="scroll"><table${cls ? ` class="${cls}"` : ''}><caption>${esc(caption)}</caption><thead><tr>${header}</tr></thead><tbody>
${body}
</tbody></table></div>`;
}

/** A label/value table (facts at a glance): row headers on the left. */
export function factTable(caption: string, facts: readonly (readonly [string, string])[], cls = ''): string {
  const body = facts.map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td>${v}</td></tr>`).join('\n');
  return `<div class="scroll"><table class="facts${cls ? ` ${cls}` : ''}"><caption>${esc(caption)}</caption><tbody>
${body}
</tbody></table></div>`;
}
