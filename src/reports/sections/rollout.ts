// The automated canary's progress: step, traffic, state, next check, last verdict, guardrails.
import type { RolloutReport } from '../rollout-report.js';
import { esc } from '../escape.js';
import { guardrailValue, rolloutFacts } from '../rollout-text.js';
import { factTable, table } from './table.js';

export function rolloutSection(r: RolloutReport): string {
  const guardrails = r.guardrails.map((g) => [
    esc(g.metric),
    `<span class="status ${esc(g.status)}">${esc(g.status)}</span>`,
    esc(g.limit),
    esc(guardrailValue(g, g.observed)),
    esc(guardrailValue(g, g.bound)),
  ]);
  return `<section class="rollout" aria-labelledby="rollout-h"><h2 id="rollout-h">Canary rollout</h2>
${factTable(
  'Rollout progress',
  rolloutFacts(r).map(([k, v]) => [k, esc(v)] as const),
)}
${
  guardrails.length === 0
    ? '<p>No guardrails configured for this rollout.</p>'
    : table(
        'Guardrails checked before each step',
        ['metric', 'status', 'limit', 'observed', 'sequential bound'],
        guardrails,
      )
}</section>`;
}
