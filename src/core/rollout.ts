// The automated canary's decision, pure: given where the rollout is, what the report says (guardrails
// at their sequential bound, SRM, users per arm), the experiment's status and the time, say what to do.
// The driver (src/control/rollout-driver.ts) reads the inputs and applies the answer.
import type { LifecycleStatus } from './lifecycle.js';

export interface RolloutPlan {
  /** Traffic steps in percent, strictly increasing. */
  readonly steps: readonly number[];
  readonly stepIntervalMs: number;
  readonly minUsersPerArm: number;
  readonly onSuccess: 'conclude' | 'hold';
}

export type RolloutPhase = 'waiting' | 'stepping' | 'holding' | 'concluded' | 'rolled_back';

/** Where a rollout is; shared by every gateway so that a new driver continues where the last stopped. */
export interface RolloutProgress {
  readonly state: RolloutPhase;
  /** 0-based index into steps of the step served now; -1 before the first. */
  readonly stepIndex: number;
  /** When the current step began (ms since the epoch); null before the first. */
  readonly stepStartedAt: number | null;
  /** The latest check. */
  readonly lastCheck: RolloutCheck | null;
}

export type RolloutVerdict = 'advance' | 'wait' | 'rollback' | 'done';

export interface RolloutCheck {
  readonly at: number;
  readonly verdict: RolloutVerdict;
  readonly reasons: readonly string[];
}

/** One guardrail limit of the treatment, as the report computed it. */
export interface GuardrailEvidence {
  readonly metric: string;
  /** e.g. "maxIncrease". */
  readonly kind: string;
  readonly limit: number;
  readonly estimate: number | null;
  readonly bound: number | null;
  readonly status: 'ok' | 'breach' | 'inconclusive';
}

export interface RolloutEvidence {
  readonly guardrails: readonly GuardrailEvidence[];
  /** True when the report sees a sample ratio mismatch; null when it cannot tell yet. */
  readonly srmMismatch: boolean | null;
  readonly srmPValue: number | null;
  /** Exposed users per arm name in the current phase. */
  readonly users: Readonly<Record<string, number>>;
}

export interface RolloutDecision {
  readonly verdict: RolloutVerdict;
  readonly reasons: readonly string[];
  /** The progress after the decision is applied. */
  readonly next: RolloutProgress;
  /** What the experiment must become: traffic for advance, the end status for rollback and done. */
  readonly change?:
    | { readonly traffic: number }
    | { readonly status: 'rolled_back' }
    | { readonly status: 'concluded'; readonly winner: string };
}

export const NOT_STARTED: RolloutProgress = Object.freeze({
  state: 'waiting',
  stepIndex: -1,
  stepStartedAt: null,
  lastCheck: null,
});

const fmt = (v: number | null): string => (v === null ? 'n/a' : Number(v.toPrecision(4)).toString());

/** "abgate_errors maxIncrease: estimate 0.05, one-sided bound 0.031 > limit 0.005". */
export function describeBreach(g: GuardrailEvidence): string {
  const beyond = g.limit >= 0 ? '>' : '<';
  return `guardrail ${g.metric} ${g.kind} breached: estimate ${fmt(g.estimate)}, sequential bound ${fmt(g.bound)} ${beyond} limit ${g.limit}`;
}

/** True once the rollout ended (concluded or rolled back): nothing left to drive. */
export function isFinished(progress: RolloutProgress): boolean {
  return progress.state === 'concluded' || progress.state === 'rolled_back';
}

/**
 * The progress to drive from: a rollout that ended starts again from its first step once someone sets
 * the experiment running again after it ended (e.g. a fixed treatment after a rollback).
 */
export function progressToDrive(
  stored: RolloutProgress | undefined,
  status: LifecycleStatus,
  statusSince: number | undefined,
): RolloutProgress {
  if (!stored) return NOT_STARTED;
  const endedAt = stored.lastCheck?.at ?? 0;
  if (isFinished(stored) && status === 'running' && statusSince !== undefined && statusSince > endedAt) {
    return NOT_STARTED;
  }
  return stored;
}

/**
 * The next move of a rollout of `treatment` against `control`:
 * - the experiment ended by someone else (concluded, rolled back, stopped): the rollout ends with it;
 * - not running (draft, paused): wait, nothing changes (guardrails are not judged on a paused canary);
 * - any guardrail breached at its sequential bound: roll back at once, whatever the step (the bounds
 *   are valid however often they are checked, so watching continuously costs no false alarms);
 * - before the first step: start it;
 * - the step's interval has not passed, or an arm has fewer than min_users_per_arm: wait;
 * - a sample ratio mismatch at the end of a step: roll back (the comparison cannot be trusted);
 * - else the next step, or after the last one conclude with the treatment as winner (or hold).
 * While holding, the guardrails are still watched.
 */
export function decideRollout(input: {
  readonly plan: RolloutPlan;
  readonly progress: RolloutProgress;
  readonly status: LifecycleStatus;
  readonly evidence: RolloutEvidence;
  readonly control: string;
  readonly treatment: string;
  readonly now: number;
}): RolloutDecision {
  const { plan, progress, status, evidence, control, treatment, now } = input;
  const decide = (
    verdict: RolloutVerdict,
    reasons: string[],
    next: Omit<RolloutProgress, 'lastCheck'>,
    change?: RolloutDecision['change'],
  ): RolloutDecision => ({
    verdict,
    reasons,
    next: { ...next, lastCheck: { at: now, verdict, reasons } },
    ...(change ? { change } : {}),
  });

  if (isFinished(progress))
    return decide('done', [`the rollout already ended (${progress.state})`], progress);
  if (status === 'concluded' || status === 'rolled_back' || status === 'stopped') {
    const state = status === 'concluded' ? 'concluded' : 'rolled_back';
    return decide('done', [`the experiment was set to ${status} outside the rollout`], {
      ...progress,
      state,
    });
  }
  if (status !== 'running') {
    return decide('wait', [`the experiment is ${status}; the rollout resumes when it runs`], progress);
  }

  const breaches = evidence.guardrails.filter((g) => g.status === 'breach');
  if (breaches.length > 0) {
    return decide(
      'rollback',
      breaches.map(describeBreach),
      { ...progress, state: 'rolled_back' },
      {
        status: 'rolled_back',
      },
    );
  }
  if (progress.state === 'holding') {
    return decide(
      'wait',
      ['holding at the last step for a person to conclude; guardrails still watched'],
      progress,
    );
  }
  if (progress.stepIndex < 0) {
    return decide(
      'advance',
      [`starting the canary at ${plan.steps[0]}% of users`],
      { state: 'stepping', stepIndex: 0, stepStartedAt: now },
      { traffic: plan.steps[0]! },
    );
  }

  const dueAt = (progress.stepStartedAt ?? now) + plan.stepIntervalMs;
  if (now < dueAt) {
    return decide(
      'wait',
      [`step ${progress.stepIndex + 1} runs until ${new Date(dueAt).toISOString()}`],
      progress,
    );
  }
  const short = [control, treatment]
    .map((arm) => ({ arm, users: evidence.users[arm] ?? 0 }))
    .filter((a) => a.users < plan.minUsersPerArm);
  if (short.length > 0) {
    return decide(
      'wait',
      short.map((a) => `${a.arm} has ${a.users} of the ${plan.minUsersPerArm} users a step needs`),
      progress,
    );
  }
  if (evidence.srmMismatch === true) {
    return decide(
      'rollback',
      [
        `sample ratio mismatch (p = ${fmt(evidence.srmPValue)}): the arms do not get the users their weights say`,
      ],
      { ...progress, state: 'rolled_back' },
      { status: 'rolled_back' },
    );
  }
  const okSummary = evidence.guardrails
    .map((g) => `${g.metric} ${g.kind} ${g.status} (bound ${fmt(g.bound)}, limit ${g.limit})`)
    .join('; ');
  const last = plan.steps.length - 1;
  if (progress.stepIndex < last) {
    const index = progress.stepIndex + 1;
    return decide(
      'advance',
      [`step ${index + 1} of ${plan.steps.length}: ${plan.steps[index]}% of users; ${okSummary}`],
      { state: 'stepping', stepIndex: index, stepStartedAt: now },
      { traffic: plan.steps[index]! },
    );
  }
  if (plan.onSuccess === 'hold') {
    return decide('done', [`every step passed; holding at ${plan.steps[last]}% for a person; ${okSummary}`], {
      ...progress,
      state: 'holding',
    });
  }
  return decide(
    'done',
    [`every step passed; concluding with ${treatment} as winner; ${okSummary}`],
    { ...progress, state: 'concluded' },
    { status: 'concluded', winner: treatment },
  );
}
