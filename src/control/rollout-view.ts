// The `rollout` part of a report: the canary's progress as stored, with the report's own guardrail
// figures for the treatment (so every gateway shows the same thing, whichever one drives).
import type { RolloutProgress } from '../core/rollout.js';
import type { Report } from '../reports/build-report.js';
import type { RolloutGuardrailStatus, RolloutReport } from '../reports/rollout-report.js';
import type { CompiledExperiment } from '../routing/compiled-experiment.js';
import { planOf, treatmentOf } from './rollout-driver.js';

const LIMIT_NAMES: Readonly<Record<string, string>> = {
  maxIncrease: 'max_increase',
  maxRelativeIncrease: 'max_relative_increase',
  maxDecrease: 'max_decrease',
  maxRelativeDecrease: 'max_relative_decrease',
};

const STATUS: Readonly<Record<string, RolloutGuardrailStatus['status']>> = {
  ok: 'ok',
  breach: 'breached',
  // Neither within nor beyond the limit at the sequential bound yet: more users needed.
  inconclusive: 'pending',
};

export function rolloutView(
  exp: CompiledExperiment,
  report: Pick<Report, 'guardrails'>,
  progress: RolloutProgress,
  driver: string | null,
): RolloutReport | undefined {
  const plan = planOf(exp);
  const r = exp.definition.rollout;
  if (!plan || !r) return undefined;
  const treatment = treatmentOf(exp);
  const finished = progress.state === 'concluded' || progress.state === 'rolled_back';
  const nextCheck =
    finished || progress.state !== 'stepping' || progress.stepStartedAt === null
      ? null
      : new Date(progress.stepStartedAt + plan.stepIntervalMs).toISOString();
  return {
    state: progress.state,
    steps: [...plan.steps],
    step_index: progress.stepIndex,
    traffic: exp.definition.traffic,
    step_interval_s: plan.stepIntervalMs / 1000,
    min_users_per_arm: plan.minUsersPerArm,
    on_success: plan.onSuccess,
    next_check_at: nextCheck,
    last_check: progress.lastCheck
      ? {
          at: new Date(progress.lastCheck.at).toISOString(),
          verdict: progress.lastCheck.verdict,
          reasons: [...progress.lastCheck.reasons],
        }
      : null,
    guardrails: report.guardrails
      .filter((g) => g.arm === treatment)
      .map((g) => ({
        metric: g.metric,
        status: STATUS[g.status] ?? 'pending',
        limit: `${LIMIT_NAMES[g.kind] ?? g.kind} ${Math.abs(g.limit)}`,
        observed: g.estimate,
        bound: g.bound,
      })),
    driver: finished ? null : driver,
  };
}
