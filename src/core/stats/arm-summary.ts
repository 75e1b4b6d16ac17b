// Per-arm summary of one metric: mean, variance of the mean and interval, with data-quality warnings.
import { finiteIntervalOrNull, finiteOrNull } from './finite.js';
import { momentsOf, PRECISION_FLOOR, ratioMomentsOf } from './moments.js';
import { normalCriticalValue } from './normal.js';
import { studentTCriticalValue } from './student-t.js';
import type { AnalysisWarning, Interval, MetricType, MomentSums, RatioSums } from './types.js';
import { makeWarning } from './warnings.js';
import { wilsonInterval } from './wilson.js';

export interface ArmSummaryInput {
  metric: string;
  type: MetricType;
  arm: string;
  exposures: number;
  /** Missing means the arm had no events: all sums are 0. */
  stats: MomentSums | RatioSums | undefined;
  /** Two-sided level for the interval; null when alpha is unusable. */
  alpha: number | null;
  minUsers: number;
  minConversions: number;
}

export interface ArmSummary {
  arm: string;
  /** False when the sums are unusable (negative, non-finite, impossible). */
  valid: boolean;
  /** Exposed users. */
  n: number;
  /** Null when the arm is empty, invalid or (ratio) its denominator sums to 0. */
  mean: number | null;
  /** Per-user variance: p(1 − p), the sample variance (n − 1), or the ratio's linearized one. */
  unitVariance: number | null;
  /** Variance of `mean` (se²): unitVariance/n; null when undefined. */
  meanVariance: number | null;
  /** Welch degrees of freedom of this arm's variance (n − 1) for continuous metrics; null: use the normal. */
  df: number | null;
  ci: Interval | null;
  warnings: AnalysisWarning[];
}

/** The sums of an arm without any value (every user at 0). */
export const ZERO_MOMENTS: MomentSums = Object.freeze({ users: 0, shift: 0, sum: 0, sumSquares: 0 });
export const ZERO_RATIO: RatioSums = Object.freeze({
  users: 0,
  shiftN: 0,
  shiftD: 0,
  sumN: 0,
  sumD: 0,
  sumNN: 0,
  sumDD: 0,
  sumND: 0,
});

function isRatioSums(s: MomentSums | RatioSums): s is RatioSums {
  return 'sumND' in s;
}

/** Summarizes one arm of one metric. */
export function summarizeArm(input: ArmSummaryInput): ArmSummary {
  const { metric, type, arm, exposures: n } = input;
  const ctx = { metric, arm };
  const base: ArmSummary = {
    arm,
    valid: true,
    n,
    mean: null,
    unitVariance: null,
    meanVariance: null,
    df: null,
    ci: null,
    warnings: [],
  };
  const invalid = (detail?: string): ArmSummary => ({
    ...base,
    valid: false,
    warnings: [makeWarning('invalid_input', ctx, detail)],
  });
  const stats = input.stats ?? (type === 'ratio' ? ZERO_RATIO : ZERO_MOMENTS);
  if (!(Number.isFinite(n) && n >= 0)) return invalid(`exposures = ${n}.`);
  if (isRatioSums(stats) !== (type === 'ratio')) {
    return invalid(type === 'ratio' ? 'A ratio metric needs RatioSums.' : 'Expected MomentSums.');
  }
  if (n === 0) {
    if (stats.users !== 0) return invalid(`${stats.users} users with a value but no exposures.`);
    return { ...base, warnings: [makeWarning('empty_arm', ctx)] };
  }
  if (type === 'binomial') return binomialArm(input, stats as MomentSums, invalid);
  if (type === 'ratio') return ratioArm(input, stats as RatioSums, invalid);
  return continuousArm(input, stats as MomentSums, invalid);
}

type Invalid = (detail?: string) => ArmSummary;

function binomialArm(input: ArmSummaryInput, s: MomentSums, invalid: Invalid): ArmSummary {
  const { metric, arm, exposures: n, alpha } = input;
  const ctx = { metric, arm };
  // Converted users = Σx = Σ(x − K) + m·K (the store sends K = 0, so this is exact).
  const sum = s.sum + s.users * s.shift;
  const x = sum === 0 ? 0 : sum; // never −0
  const countsOk = Number.isInteger(s.users) && s.users >= 0 && s.users <= n;
  if (![s.shift, s.sum, s.sumSquares].every(Number.isFinite) || !countsOk || !(x >= 0 && x <= n)) {
    return invalid(`conversions = ${x}, exposures = ${n}.`);
  }
  const warnings: AnalysisWarning[] = [];
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
  const unit = p * (1 - p);
  const z = alpha === null ? null : normalCriticalValue(alpha);
  return {
    arm,
    valid: true,
    n,
    mean: p,
    unitVariance: unit,
    meanVariance: unit / n,
    df: null,
    ci: z === null ? null : wilsonInterval(x, n, z),
    warnings,
  };
}

function continuousArm(input: ArmSummaryInput, s: MomentSums, invalid: Invalid): ArmSummary {
  const { metric, arm, exposures: n, alpha } = input;
  const ctx = { metric, arm };
  const result = momentsOf(s, n);
  if (!result.ok) {
    if (result.error === 'invalid_input') return invalid();
    return { ...emptyValid(arm, n), warnings: [makeWarning('numeric_range', ctx)] };
  }
  const { mean, centered } = result.value;
  const warnings: AnalysisWarning[] = [];
  if (n < input.minUsers || n < 2) {
    warnings.push(
      makeWarning('insufficient_data', ctx, `n = ${n} (minimum ${Math.max(2, input.minUsers)} users).`),
    );
  }
  let unit: number | null = null;
  if (n >= 2) {
    if (centered === null) {
      warnings.push(
        makeWarning('precision_loss', ctx, `shift = ${s.shift}, Σ(x − shift)² = ${s.sumSquares}.`),
      );
    } else if (centered === 0) {
      unit = 0;
      warnings.push(makeWarning('zero_variance', ctx, 'Every user has the same value.'));
    } else {
      unit = inRange(centered / (n - 1), n);
      if (unit === null) warnings.push(makeWarning('numeric_range', ctx));
    }
  }
  const meanVariance = unit === null ? null : unit / n;
  let ci: Interval | null = null;
  if (meanVariance !== null && meanVariance > 0 && alpha !== null) {
    const half = studentTCriticalValue(alpha, n - 1) * Math.sqrt(meanVariance);
    ci = finiteIntervalOrNull(mean - half, mean + half);
  }
  return {
    arm,
    valid: true,
    n,
    mean,
    unitVariance: unit,
    meanVariance,
    df: n >= 2 ? n - 1 : null,
    ci,
    warnings,
  };
}

/**
 * Ratio metric R = Σn/Σd = m_n/m_d with the delta method over users (the unit of randomization):
 *   Var(R̂) = (s_nn − 2R·s_nd + R²·s_dd) / (N·m_d²)
 * with the per-user (co)variances s (n − 1 denominators), i.e. the variance of the linearized
 * per-user value (n − R·d)/m_d (Deng, Knoblich & Lu, "Applying the Delta Method in Metric
 * Analytics", KDD 2018). Divided by m_d step by step so large values do not overflow.
 */
function ratioArm(input: ArmSummaryInput, s: RatioSums, invalid: Invalid): ArmSummary {
  const { metric, arm, exposures: n, alpha } = input;
  const ctx = { metric, arm };
  const result = ratioMomentsOf(s, n);
  if (!result.ok) {
    if (result.error === 'invalid_input') return invalid();
    return { ...emptyValid(arm, n), warnings: [makeWarning('numeric_range', ctx)] };
  }
  const m = result.value;
  const warnings: AnalysisWarning[] = [];
  if (n < input.minUsers || n < 2) {
    warnings.push(
      makeWarning('insufficient_data', ctx, `n = ${n} (minimum ${Math.max(2, input.minUsers)} users).`),
    );
  }
  if (m.meanD === 0)
    return { ...emptyValid(arm, n), warnings: [...warnings, makeWarning('denominator_zero', ctx)] };
  const ratio = finiteOrNull(m.meanN / m.meanD);
  if (ratio === null)
    return { ...emptyValid(arm, n), warnings: [...warnings, makeWarning('numeric_range', ctx)] };
  let unit: number | null = null;
  if (n >= 2) {
    const linearized = m.nn - 2 * ratio * m.nd + ratio * ratio * m.dd;
    const noise = PRECISION_FLOOR * (Math.sqrt(m.rawNN) + Math.abs(ratio) * Math.sqrt(m.rawDD)) ** 2;
    if (m.nn === 0 && m.dd === 0) {
      unit = 0;
      warnings.push(makeWarning('zero_variance', ctx, 'Every user has the same numerator and denominator.'));
    } else if (!(linearized > noise)) {
      warnings.push(
        makeWarning('precision_loss', ctx, 'Numerator and denominator are (almost) proportional.'),
      );
    } else {
      unit = inRange(linearized / m.meanD / m.meanD / (n - 1), n);
      if (unit === null) warnings.push(makeWarning('numeric_range', ctx));
    }
  }
  const meanVariance = unit === null ? null : unit / n;
  let ci: Interval | null = null;
  if (meanVariance !== null && meanVariance > 0 && alpha !== null) {
    const half = normalCriticalValue(alpha) * Math.sqrt(meanVariance);
    ci = finiteIntervalOrNull(ratio - half, ratio + half);
  }
  return { arm, valid: true, n, mean: ratio, unitVariance: unit, meanVariance, df: null, ci, warnings };
}

/** A positive per-user variance whose mean's variance (÷ n) is a positive finite double, else null. */
function inRange(unit: number, n: number): number | null {
  const meanVariance = unit / n;
  return unit > 0 && Number.isFinite(unit) && meanVariance > 0 && Number.isFinite(meanVariance) ? unit : null;
}

function emptyValid(arm: string, n: number): ArmSummary {
  return {
    arm,
    valid: true,
    n,
    mean: null,
    unitVariance: null,
    meanVariance: null,
    df: null,
    ci: null,
    warnings: [],
  };
}
