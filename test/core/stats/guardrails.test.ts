// Guardrails: the breach rule, one-sided sequential bounds valid at every look, outside the family.
import { describe, expect, it } from 'vitest';
import {
  analyzeExperiment,
  evaluateGuardrails,
  guardrailStatus,
  type AnalysisInput,
  type GuardrailLimits,
  type MetricInput,
  type MomentSums,
} from '../../../src/core/stats/index.js';
import { mulberry32 } from '../../../src/core/seeded-random.js';
import { binomial, binomialAcceptanceRegion, binomialSums, normalSums } from './simulate.js';

function canary(
  n: number,
  errors: Record<string, MomentSums>,
  limits: GuardrailLimits = { maxIncrease: 0.005 },
  extra: MetricInput[] = [],
): AnalysisInput {
  return {
    alpha: 0.05,
    arms: [
      { name: 'control', weight: 1, control: true, exposures: n },
      { name: 'canary', weight: 1, control: false, exposures: n },
    ],
    metrics: [
      ...extra,
      {
        name: 'abgate_errors',
        type: 'binomial',
        direction: 'decrease',
        mde: 0.5,
        guardrail: limits,
        arms: errors,
      },
    ],
  };
}

describe('guardrailStatus: the rule', () => {
  it('increase limits: breach when the lower bound is above, ok when the upper bound is below', () => {
    expect(guardrailStatus('maxIncrease', 0.005, [0.006, 0.02])).toBe('breach');
    expect(guardrailStatus('maxIncrease', 0.005, [-0.001, 0.004])).toBe('ok');
    expect(guardrailStatus('maxIncrease', 0.005, [0.001, 0.009])).toBe('inconclusive');
    expect(guardrailStatus('maxRelativeIncrease', 0.1, [0.12, 0.3])).toBe('breach');
  });

  it('decrease limits (signed, negative): breach when the upper bound is below', () => {
    expect(guardrailStatus('maxDecrease', -2, [-5, -3])).toBe('breach');
    expect(guardrailStatus('maxDecrease', -2, [-1, 1])).toBe('ok');
    expect(guardrailStatus('maxRelativeDecrease', -0.1, [-0.2, 0.05])).toBe('inconclusive');
    expect(guardrailStatus('maxRelativeDecrease', -0.1, null)).toBe('inconclusive');
  });
});

describe('evaluateGuardrails', () => {
  it('a canary with 5% errors against a limit of +0.5 points breaches at 1,000 users per arm', () => {
    const errors = { control: binomialSums(2), canary: binomialSums(50) };
    const [g] = evaluateGuardrails(canary(1000, errors));
    expect(g).toMatchObject({
      metric: 'abgate_errors',
      arm: 'canary',
      kind: 'maxIncrease',
      limit: 0.005,
      status: 'breach',
    });
    expect(g!.estimate).toBeCloseTo(0.048, 15);
    expect(g!.bound).toBe(g!.interval![0]);
    expect(g!.bound!).toBeGreaterThan(0.005);
  });

  it('a healthy canary is inconclusive early and ok once the data show it is within the limit', () => {
    const early = evaluateGuardrails(canary(200, { control: binomialSums(1), canary: binomialSums(1) }))[0]!;
    expect(early.status).toBe('inconclusive');
    const later = evaluateGuardrails(
      canary(20_000, { control: binomialSums(40), canary: binomialSums(42) }),
    )[0]!;
    expect(later.status).toBe('ok');
    expect(later.interval![1]).toBeLessThan(0.005);
  });

  it('relative limits use the one-sided Fieller bounds; decrease limits the upper bound', () => {
    const rng = mulberry32(11);
    const input: AnalysisInput = {
      alpha: 0.05,
      arms: [
        { name: 'control', weight: 1, control: true, exposures: 5000 },
        { name: 'slow', weight: 1, control: false, exposures: 5000 },
      ],
      metrics: [
        {
          name: 'abgate_latency_ms',
          type: 'continuous',
          direction: 'decrease',
          mde: 0.05,
          guardrail: { maxRelativeIncrease: 0.1, maxRelativeDecrease: 0.5 },
          arms: { control: normalSums(rng, 5000, 120, 20), slow: normalSums(rng, 5000, 150, 20) },
        },
      ],
    };
    const [up, down] = evaluateGuardrails(input);
    expect(up).toMatchObject({ kind: 'maxRelativeIncrease', limit: 0.1, status: 'breach' });
    expect(up!.bound!).toBeGreaterThan(0.2);
    expect(down).toMatchObject({ kind: 'maxRelativeDecrease', limit: -0.5, status: 'ok' });
    expect(down!.bound).toBe(down!.interval![1]);
  });

  it('is what analyzeExperiment reports, with a named warning for a breach and a bad limit', () => {
    const input = canary(
      1000,
      { control: binomialSums(2), canary: binomialSums(50) },
      {
        maxIncrease: 0.005,
        maxDecrease: -1,
      },
    );
    const a = analyzeExperiment(input);
    expect(a.guardrails).toEqual(evaluateGuardrails(input));
    expect(a.warnings.map((w) => w.code)).toEqual(
      expect.arrayContaining(['guardrail_breach', 'invalid_guardrail']),
    );
    expect(a.metrics[0]!.guardrail).toEqual({ maxIncrease: 0.005, maxDecrease: -1 });
  });

  it('guardrail metrics stay outside the correction family', () => {
    const goal = (c: number, t: number): MetricInput => ({
      name: 'conversion',
      type: 'binomial',
      direction: 'increase',
      mde: 0.05,
      arms: { control: binomialSums(c), canary: binomialSums(t) },
    });
    const a = analyzeExperiment({
      ...canary(10_000, { control: binomialSums(20), canary: binomialSums(90) }, { maxIncrease: 0.005 }, [
        goal(1000, 1100),
      ]),
      analysis: 'fixed',
    });
    const [conversion, errors] = a.metrics;
    // Holm over a family of one: nothing to adjust, though two metrics are compared.
    expect(conversion!.comparisons[0]!.p_value_adjusted).toBe(conversion!.comparisons[0]!.p_value);
    expect(errors!.comparisons[0]!.p_value_adjusted).toBe(errors!.comparisons[0]!.p_value);
    expect(errors!.comparisons[0]!.ci_level_adjusted).toBe(0.95);
  });

  it('A/A canaries checked at 30 looks breach a limit of 0 at most alpha of the time (one-sided, sequential)', () => {
    // Deterministic (fixed seed); the bound is the upper end of the exact 99.9% binomial band of
    // Binomial(1000, 0.05): a valid one-sided sequence would pass for almost any seed.
    const EXPERIMENTS = 1000;
    const [, hi] = binomialAcceptanceRegion(EXPERIMENTS, 0.05, 0.0005);
    const rng = mulberry32(0xca7a);
    let breached = 0;
    for (let e = 0; e < EXPERIMENTS; e++) {
      let c = 0;
      let t = 0;
      for (let look = 1; look <= 30; look++) {
        c += binomial(rng, 200, 0.02);
        t += binomial(rng, 200, 0.02);
        const [g] = evaluateGuardrails(
          canary(200 * look, { control: binomialSums(c), canary: binomialSums(t) }, { maxIncrease: 0 }),
        );
        if (g!.status === 'breach') {
          breached++;
          break;
        }
      }
    }
    expect(breached).toBeLessThanOrEqual(hi);
  });
});
