// The automated canary's progress in words, shared by the page, the CSV and the CLI table.
import type { RolloutGuardrailStatus, RolloutReport } from './rollout-report.js';
import { day } from './state-line.js';
import { formatNumber, signedPercent } from './verdict.js';

const STATE_WORDS: Record<RolloutReport['state'], string> = {
  waiting: 'waiting for the first step',
  stepping: 'stepping',
  holding: 'holding for a person to conclude',
  concluded: 'concluded',
  rolled_back: 'rolled back (everyone on control)',
};

/** "2 of 4 (1% → 5% → 25% → 50%)", or "not started (0 of 4 …)". */
export function stepText(r: RolloutReport): string {
  const plan = r.steps.map((s) => `${s}%`).join(' → ');
  const n = r.steps.length;
  return r.step_index < 0 ? `not started (0 of ${n}: ${plan})` : `${r.step_index + 1} of ${n} (${plan})`;
}

export function lastCheckText(r: RolloutReport): string {
  if (r.last_check === null) return 'none yet';
  const reasons = r.last_check.reasons.length > 0 ? `: ${r.last_check.reasons.join('; ')}` : '';
  return `${r.last_check.verdict} at ${day(r.last_check.at)}${reasons}`;
}

/** The facts about a rollout as label/value pairs, in the order an operator reads them. */
export function rolloutFacts(r: RolloutReport): [string, string][] {
  return [
    ['state', STATE_WORDS[r.state]],
    ['step', stepText(r)],
    ['traffic', `${r.traffic}%`],
    ['next check', r.next_check_at === null ? 'none (the rollout ended)' : day(r.next_check_at)],
    ['last check', lastCheckText(r)],
    ['check every', `${r.step_interval_s} s, with at least ${r.min_users_per_arm} users per arm`],
    [
      'on success',
      r.on_success === 'conclude' ? 'conclude with the treatment as winner' : 'hold for a person',
    ],
    ['driver', r.driver ?? 'none'],
  ];
}

/** Relative limits are shown as percentages, absolute ones as numbers. */
export function guardrailValue(g: RolloutGuardrailStatus, x: number | null): string {
  if (x === null) return 'n/a';
  return /relative/.test(g.limit) ? signedPercent(x, 2) : `${x > 0 ? '+' : ''}${formatNumber(x)}`;
}
