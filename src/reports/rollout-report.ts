// What a report says about an experiment's automated canary (`rollout:` in its file). The
// control plane fills it in; the JSON, CSV, HTML page and CLI only show it.

export type RolloutState = 'waiting' | 'stepping' | 'holding' | 'concluded' | 'rolled_back';

export interface RolloutGuardrailStatus {
  metric: string;
  /** `ok`: within its limit at the sequential bound; `breached`: outside; `pending`: too few users yet. */
  status: 'ok' | 'breached' | 'pending';
  /** The limit in the metric's own words, e.g. "max_increase 0.005". */
  limit: string;
  /** The treatment − control difference (absolute or relative, as the limit is) and its always-valid bound. */
  observed: number | null;
  bound: number | null;
}

export interface RolloutReport {
  state: RolloutState;
  /** Traffic steps in percent, as configured. */
  steps: number[];
  /** 0-based index into `steps` of the step being served; -1 before the first step. */
  step_index: number;
  /** Traffic share being served now, in percent. */
  traffic: number;
  step_interval_s: number;
  min_users_per_arm: number;
  on_success: 'conclude' | 'hold';
  /** ISO time of the next check; null once the rollout ended. */
  next_check_at: string | null;
  /** The latest check, null before the first one. */
  last_check: { at: string; verdict: 'advance' | 'wait' | 'rollback' | 'done'; reasons: string[] } | null;
  guardrails: RolloutGuardrailStatus[];
  /** Label of the gateway that drives the rollout now (holds the lease), null when none does. */
  driver: string | null;
}
