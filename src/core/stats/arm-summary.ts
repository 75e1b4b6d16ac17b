// Per-arm summary of one metric: n, mean, variance and confidence interval, with data-quality warnings.
import { finiteIntervalOrNull, finiteOrNull } from './finite.js';
import { normalCriticalValue } from './normal.js';
import { studentTQuantile } from './student-t.js';
import type { AnalysisWarning, Interval, MetricArmInput, MetricType } from './types.js';
import { makeWarning } from './warnings.js';
import { wilsonInterval } from './wilson.js';

/**
 * A centered second moment below this fraction of the raw one (Σx²) is floating-point noise from
 * Σx² − (Σx)²/n, not information: it is treated as exactly 0. (It corresponds to a coefficient of
 * variation of ~1e-5, and the cancellation cannot resolve anything finer.)
 */
export const VARIANCE_NOISE = 1e-10;

export interface ArmSummaryInput {
  metric: string;
  type: MetricType;
  arm: string;
  exposures: number;
  /** Missing means the arm had no events: all sums are 0. */
  stats: MetricArmInput | undefined;
  /** Two-sided level for the interval; null when alpha is unusable. */
  alpha: number | null;
  minUsers: number;
  minConversions: number;
}

export interface ArmSummary {
  arm: string;
  /** False when the counts are unusable (negative, non-finite, conversions > exposures). */
  valid: boolean;
  n: number;
  /** Binomial: converted users. Continuous: the sum. */
  successes: number;
  /** Null when the arm is empty or invalid. */
  mean: number | null;
  /** Binomial p(1 − p); continuous sample variance (n − 1); null when undefined. */
  variance: number | null;
  ci: Interval | null;
  warnings: AnalysisWarning[];
}

const ZERO: MetricArmInput = { sum: 0, sumSquares: 0, converted: 0 };

function isValid(type: MetricType, n: number, s: MetricArmInput): boolean {
  if (!(Number.isFinite(n) && n >= 0)) return false;
  if (![s.sum, s.sumSquares, s.converted].every(Number.isFinite)) return false;
  if (type === 'binomial') return s.converted >= 0 && s.converted <= n;
  return s.sumSquares >= 0;
}

/** Sample variance from sums, with rounding noise (including tiny negatives) clamped to 0. */
export function sampleVariance(n: number, sum: number, sumSquares: number): number | null {
  if (!(n >= 2)) return null;
  const centered = sumSquares - (sum * sum) / n;
  if (!(centered > VARIANCE_NOISE * sumSquares)) return 0;
  return finiteOrNull(centered / (n - 1));
}

/** Summarizes one arm of one metric. */
export function summarizeArm(input: ArmSummaryInput): ArmSummary {
  const { metric, type, arm, exposures: n, alpha } = input;
  const stats = input.stats ?? ZERO;
  const ctx = { metric, arm };
  const empty: ArmSummary = {
    arm,
    valid: true,
    n,
    successes: 0,
    mean: null,
    variance: null,
    ci: null,
    warnings: [],
  };
  if (!isValid(type, n, stats))
    return { ...empty, valid: false, warnings: [makeWarning('invalid_input', ctx)] };
  if (n === 0) return { ...empty, warnings: [makeWarning('empty_arm', ctx)] };

  const warnings: AnalysisWarning[] = [];
  if (type === 'binomial') {
    const x = stats.converted;
    const p = x / n;
    if (n < input.minUsers || x < input.minConversions || n - x < input.minConversions) {
      warnings.push(
        makeWarning(
          'insufficient_data',
          ctx,
          `n = ${n}, conversions = ${x} (minimums ${input.minUsers} users and ${input.minConversions} conversions and non-conversions).`,
        ),
      );
    }
    if (p === 0 || p === 1)
      warnings.push(makeWarning('zero_variance', ctx, `Every user has the same outcome (rate ${p}).`));
    const z = alpha === null ? null : normalCriticalValue(alpha);
    return {
      arm,
      valid: true,
      n,
      successes: x,
      mean: finiteOrNull(p),
      variance: finiteOrNull(p * (1 - p)),
      ci: z === null ? null : wilsonInterval(x, n, z),
      warnings,
    };
  }

  const mean = finiteOrNull(stats.sum / n);
  const variance = sampleVariance(n, stats.sum, stats.sumSquares);
  if (n < input.minUsers || n < 2) {
    warnings.push(
      makeWarning('insufficient_data', ctx, `n = ${n} (minimum ${Math.max(2, input.minUsers)} users).`),
    );
  }
  if (variance === 0) warnings.push(makeWarning('zero_variance', ctx, 'Every user has the same value.'));
  let ci: Interval | null = null;
  if (mean !== null && variance !== null && variance > 0 && alpha !== null) {
    const half = studentTQuantile(1 - alpha / 2, n - 1) * Math.sqrt(variance / n);
    ci = finiteIntervalOrNull(mean - half, mean + half);
  }
  return { arm, valid: true, n, successes: stats.sum, mean, variance, ci, warnings };
}
