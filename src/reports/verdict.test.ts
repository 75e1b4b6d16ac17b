import { describe, expect, it } from 'vitest';
import type { ComparisonReport, MetricReport } from '../core/stats/index.js';
import { chance, directionWords, pValue, verdict } from './verdict.js';

const metric = (direction: 'increase' | 'decrease'): MetricReport => ({
  name: 'profit',
  type: 'continuous',
  direction,
  guardrail: null,
  arms: [],
  comparisons: [],
});

function comparison(over: Partial<ComparisonReport>): ComparisonReport {
  return {
    arm: 'treatment',
    baseline: 10,
    test: 11,
    statistic: 3,
    p_value: 0.003,
    p_value_adjusted: 0.003,
    significant: true,
    diff: 1,
    diff_ci: [0.4, 1.6],
    relative_lift: 0.1,
    relative_lift_ci: [0.04, 0.16],
    ci_level: 0.95,
    diff_ci_adjusted: [0.4, 1.6],
    relative_lift_ci_adjusted: [0.04, 0.16],
    ci_level_adjusted: 0.95,
    chance_to_beat_control: 0.99,
    sample_size_needed: 100,
    progress: 1,
    warnings: [],
    ...over,
  };
}

describe('verdict', () => {
  it('says what moved, by how much, with the interval and significance', () => {
    expect(verdict(metric('increase'), comparison({}), 0.05)).toBe(
      'treatment raises profit by 10.0% (95% CI 4.0% to 16.0%), significant: an improvement',
    );
    expect(verdict(metric('decrease'), comparison({}), 0.05)).toContain('significant: a regression');
    expect(
      verdict(
        metric('increase'),
        comparison({ significant: false, p_value_adjusted: 0.2, ci_level_adjusted: 0.9 }),
        0.1,
      ),
    ).toBe('treatment raises profit by 10.0% (90% CI 4.0% to 16.0%), not significant, adjusted p = 0.20');
  });

  it('reads direction from the difference when the control mean is negative', () => {
    // control −10, treatment −5: the arm raised profit, though diff / control = −50%.
    const c = comparison({
      baseline: -10,
      test: -5,
      diff: 5,
      relative_lift: -0.5,
      relative_lift_ci: [-0.6, -0.4],
      relative_lift_ci_adjusted: [-0.6, -0.4],
    });
    expect(verdict(metric('increase'), c, 0.05)).toMatch(
      /^treatment raises profit by 50\.0% .*an improvement$/,
    );
  });

  it('gives no verdict without an estimate, and flags an SRM', () => {
    const none = comparison({
      relative_lift: null,
      relative_lift_ci: null,
      relative_lift_ci_adjusted: null,
      warnings: [{ code: 'empty_arm', message: 'arm is empty' }],
    });
    expect(verdict(metric('increase'), none, 0.05)).toBe(
      'treatment vs control on profit: no verdict yet (arm is empty)',
    );
    expect(verdict(metric('increase'), comparison({}), 0.05, true)).toMatch(
      /^Untrustworthy \(sample ratio mismatch\): treatment /,
    );
    expect(pValue(1e-20)).toBe('< 0.001');
  });
});

describe('chance and direction words', () => {
  it('never shows a certainty', () => {
    expect(chance(0.99996)).toBe('>99.9%');
    expect(chance(1)).toBe('>99.9%');
    expect(chance(0.00001)).toBe('<0.1%');
    expect(chance(0.5)).toBe('50.0%');
    expect(chance(null)).toBe('n/a');
  });

  it('words direction the same way everywhere', () => {
    expect(directionWords('increase')).toBe('higher is better');
    expect(directionWords('decrease')).toBe('lower is better');
  });
});
