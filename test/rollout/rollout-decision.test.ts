// The canary's decision table, pure: every verdict from its inputs.
import { describe, expect, it } from 'vitest';
import {
  decideRollout,
  NOT_STARTED,
  progressToDrive,
  type GuardrailEvidence,
  type RolloutEvidence,
  type RolloutPlan,
  type RolloutProgress,
} from '../../src/core/rollout.js';
import type { LifecycleStatus } from '../../src/core/lifecycle.js';

const plan: RolloutPlan = {
  steps: [1, 5, 25],
  stepIntervalMs: 60_000,
  minUsersPerArm: 100,
  onSuccess: 'conclude',
};
const ok: GuardrailEvidence = {
  metric: 'abgate_errors',
  kind: 'maxIncrease',
  limit: 0.005,
  estimate: 0.001,
  bound: -0.002,
  status: 'inconclusive',
};
const healthy: RolloutEvidence = {
  guardrails: [ok],
  srmMismatch: false,
  srmPValue: 0.6,
  users: { control: 500, treatment: 480 },
};
const at = (stepIndex: number, stepStartedAt = 0): RolloutProgress => ({
  state: 'stepping',
  stepIndex,
  stepStartedAt,
  lastCheck: null,
});

function decide(
  progress: RolloutProgress,
  now: number,
  evidence: RolloutEvidence = healthy,
  status: LifecycleStatus = 'running',
  p: RolloutPlan = plan,
) {
  return decideRollout({
    plan: p,
    progress,
    status,
    evidence,
    control: 'control',
    treatment: 'treatment',
    now,
  });
}

describe('decideRollout', () => {
  it('starts at the first step without waiting for data', () => {
    const d = decide(NOT_STARTED, 5, { ...healthy, users: {} });
    expect(d.verdict).toBe('advance');
    expect(d.change).toEqual({ traffic: 1 });
    expect(d.next).toMatchObject({ state: 'stepping', stepIndex: 0, stepStartedAt: 5 });
    expect(d.next.lastCheck).toMatchObject({ at: 5, verdict: 'advance' });
  });

  it('waits for the step interval, then advances one step when every arm has its users', () => {
    expect(decide(at(0, 1000), 60_999).verdict).toBe('wait');
    const d = decide(at(0, 1000), 61_000);
    expect(d.verdict).toBe('advance');
    expect(d.change).toEqual({ traffic: 5 });
    expect(d.next).toMatchObject({ stepIndex: 1, stepStartedAt: 61_000 });
  });

  it('waits past the interval while an arm has fewer than min_users_per_arm, naming it', () => {
    const d = decide(at(1), 120_000, { ...healthy, users: { control: 400, treatment: 99 } });
    expect(d.verdict).toBe('wait');
    expect(d.change).toBeUndefined();
    expect(d.reasons).toEqual(['treatment has 99 of the 100 users a step needs']);
  });

  it('rolls back at once on a breach, mid-step and before the users are there, naming the figures', () => {
    const breach: GuardrailEvidence = { ...ok, estimate: 0.05, bound: 0.031, status: 'breach' };
    const d = decide(at(1, 1000), 2000, { ...healthy, guardrails: [ok, breach], users: { control: 3 } });
    expect(d.verdict).toBe('rollback');
    expect(d.change).toEqual({ status: 'rolled_back' });
    expect(d.next.state).toBe('rolled_back');
    expect(d.reasons).toEqual([
      'guardrail abgate_errors maxIncrease breached: estimate 0.05, sequential bound 0.031 > limit 0.005',
    ]);
  });

  it('rolls back on a sample ratio mismatch at the end of a step, not in its middle', () => {
    const srm = { ...healthy, srmMismatch: true, srmPValue: 0.00001 };
    expect(decide(at(0, 0), 1000, srm).verdict).toBe('wait');
    const d = decide(at(0, 0), 60_000, srm);
    expect(d.verdict).toBe('rollback');
    expect(d.reasons[0]).toMatch(/sample ratio mismatch \(p = 0\.00001\)/);
  });

  it('after the last step concludes with the treatment as winner, or holds and keeps watching', () => {
    const d = decide(at(2), 60_000);
    expect(d.verdict).toBe('done');
    expect(d.change).toEqual({ status: 'concluded', winner: 'treatment' });
    expect(d.next.state).toBe('concluded');
    const hold = decide(at(2), 60_000, healthy, 'running', { ...plan, onSuccess: 'hold' });
    expect(hold.change).toBeUndefined();
    expect(hold.next.state).toBe('holding');
    expect(decide(hold.next, 10_000_000).verdict).toBe('wait');
    const breach = decide(hold.next, 10_000_000, { ...healthy, guardrails: [{ ...ok, status: 'breach' }] });
    expect(breach.verdict).toBe('rollback');
  });

  it('waits while the experiment is paused or a draft, and ends with it when someone else ends it', () => {
    expect(decide(at(1), 1e9, healthy, 'paused').verdict).toBe('wait');
    expect(decide(NOT_STARTED, 1e9, healthy, 'draft').change).toBeUndefined();
    expect(decide(at(1), 0, healthy, 'rolled_back').next.state).toBe('rolled_back');
    expect(decide(at(1), 0, healthy, 'concluded').next.state).toBe('concluded');
    const ended = decide({ ...at(1), state: 'rolled_back' }, 1e9);
    expect(ended.verdict).toBe('done');
    expect(ended.change).toBeUndefined();
  });
});

describe('progressToDrive', () => {
  const ended: RolloutProgress = {
    state: 'rolled_back',
    stepIndex: 1,
    stepStartedAt: 0,
    lastCheck: { at: 5000, verdict: 'rollback', reasons: [] },
  };
  it('starts a rollout again from its first step when the experiment runs again after it ended', () => {
    expect(progressToDrive(undefined, 'running', 1)).toBe(NOT_STARTED);
    expect(progressToDrive(ended, 'rolled_back', 5001)).toBe(ended);
    expect(progressToDrive(ended, 'running', 4000)).toBe(ended);
    expect(progressToDrive(ended, 'running', 6000)).toBe(NOT_STARTED);
    expect(progressToDrive(at(1), 'running', 6000)).toEqual(at(1));
  });
});
