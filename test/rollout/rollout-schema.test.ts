// What a `rollout:` block must say: validated with the experiment, each problem named.
import { describe, expect, it } from 'vitest';
import { experimentSchema, parseDuration } from '../../src/config/experiment-schema.js';
import { twoArmExperiment } from '../helpers/experiments.js';

const guardrails = [{ metric: 'abgate_errors', max_increase: 0.01 }];
const doc = (rollout: unknown, overrides: Record<string, unknown> = {}) =>
  twoArmExperiment('exp', undefined, { traffic: 0, guardrails, rollout, ...overrides });

function problems(d: unknown): string[] {
  const r = experimentSchema.safeParse(d);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('rollout schema', () => {
  it('accepts a canary and fills the defaults', () => {
    const d = experimentSchema.parse(doc({ steps: [1, 5, 25, 50], step_interval: '10m' }));
    expect(d.rollout).toEqual({
      steps: [1, 5, 25, 50],
      step_interval: '10m',
      step_interval_ms: 600_000,
      min_users_per_arm: 100,
      on_success: 'conclude',
    });
  });

  it('reads durations', () => {
    expect([parseDuration('500ms'), parseDuration('30s'), parseDuration('10m'), parseDuration('1h')]).toEqual(
      [500, 30_000, 600_000, 3_600_000],
    );
    expect(parseDuration('10')).toBeUndefined();
    expect(parseDuration('ten minutes')).toBeUndefined();
  });

  it.each([
    [{ steps: [5, 1], step_interval: '1m' }, /rollout\.steps: must increase strictly/],
    [{ steps: [0, 5], step_interval: '1m' }, /rollout\.steps\.0: must be above 0/],
    [{ steps: [50, 101], step_interval: '1m' }, /rollout\.steps\.1: must be at most 100/],
    [{ steps: [], step_interval: '1m' }, /rollout\.steps: needs at least one step/],
    [{ steps: [1], step_interval: '500ms' }, /rollout\.step_interval: must be at least 1s/],
    [{ steps: [1], step_interval: '10 minutes' }, /rollout\.step_interval: must be a duration/],
    [{ steps: [1], step_interval: '1m', on_success: 'ship' }, /rollout\.on_success/],
  ])('refuses %j', (rollout, message) => {
    expect(problems(doc(rollout)).join('\n')).toMatch(message);
  });

  it('needs a guardrail, exactly one arm next to control, and traffic at most the first step', () => {
    const r = { steps: [5, 50], step_interval: '1m' };
    expect(problems(doc(r, { guardrails: [] })).join('\n')).toMatch(
      /rollout: a canary needs at least one guardrail/,
    );
    expect(problems(doc(r, { traffic: 10 })).join('\n')).toMatch(
      /traffic: must be at most the canary's first step \(5\)/,
    );
    const three = doc(r, {
      arms: [
        { name: 'control', upstream: 'http://127.0.0.1:9/a' },
        { name: 'b', upstream: 'http://127.0.0.1:9/b' },
        { name: 'c', upstream: 'http://127.0.0.1:9/c' },
      ],
    });
    expect(problems(three).join('\n')).toMatch(
      /rollout: a canary rolls out exactly one arm next to control; this experiment has 2 \(b, c\)/,
    );
    expect(problems(doc(r))).toEqual([]);
  });
});
