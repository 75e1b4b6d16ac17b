// Guardrails: one-sided, always-valid checks of each arm's change in a metric against its limits.
import { comparable } from './analyze-metric.js';
import type { ArmSummary } from './arm-summary.js';
import { finiteIntervalOrNull, finiteOrNull } from './finite.js';
import { fiellerLift, relativeLift } from './relative-lift.js';
import { sequentialOneSidedMultiplier, sequentialRho } from './sequential.js';
import type {
  AnalysisWarning,
  GuardrailKind,
  GuardrailReport,
  GuardrailStatus,
  Interval,
  MetricInput,
} from './types.js';
import { makeWarning } from './warnings.js';

/** The order limits are checked and reported in. */
export const GUARDRAIL_KINDS: readonly GuardrailKind[] = [
  'maxIncrease',
  'maxRelativeIncrease',
  'maxDecrease',
  'maxRelativeDecrease',
];

export interface GuardrailContext {
  /** Null when alpha is unusable: nothing can be concluded. */
  alpha: number | null;
  /** Planned total users the sequences are tuned for. */
  tuning: number;
}

const isIncrease = (kind: GuardrailKind): boolean => kind === 'maxIncrease' || kind === 'maxRelativeIncrease';
const isRelative = (kind: GuardrailKind): boolean =>
  kind === 'maxRelativeIncrease' || kind === 'maxRelativeDecrease';

/**
 * Both one-sided bounds of the change at level 1 − α each, valid at every look: the one-sided
 * asymptotic confidence sequence (see sequential.ts; ρ tuned with 2α as GrowthBook does for
 * one-sided tests) around the difference, or Fieller's set at the same multiplier for the relative
 * lift (each of its ends is a one-sided statement about the contrast b − ρa, so the same
 * guarantee holds). Null when not computable.
 */
function oneSidedBounds(
  relative: boolean,
  c: ArmSummary,
  t: ArmSummary,
  ctx: GuardrailContext,
): { estimate: number | null; interval: Interval | null } {
  if (!comparable(c, t) || c.mean === null || t.mean === null) return { estimate: null, interval: null };
  const estimate = relative ? relativeLift(c.mean, t.mean) : finiteOrNull(t.mean - c.mean);
  if (estimate === null || ctx.alpha === null || c.meanVariance === null || t.meanVariance === null) {
    return { estimate, interval: null };
  }
  const se = Math.sqrt(c.meanVariance + t.meanVariance);
  if (!(se > 0 && Number.isFinite(se))) return { estimate, interval: null };
  const q = sequentialOneSidedMultiplier(ctx.alpha, c.n + t.n, sequentialRho(ctx.alpha, ctx.tuning, false));
  if (!Number.isFinite(q)) return { estimate, interval: null };
  if (!relative) return { estimate, interval: finiteIntervalOrNull(estimate - q * se, estimate + q * se) };
  const set = fiellerLift(
    { mean: c.mean, variance: c.meanVariance },
    { mean: t.mean, variance: t.meanVariance },
    q,
  );
  return { estimate, interval: set.kind === 'bounded' ? set.interval : null };
}

/**
 * The rule, for a limit L on the change (+maxIncrease / +maxRelativeIncrease, −maxDecrease /
 * −maxRelativeDecrease) and the one-sided sequential bounds [lower, upper]:
 *   increase limits: breach ⇔ lower > L;  ok ⇔ upper < L
 *   decrease limits: breach ⇔ upper < L;  ok ⇔ lower > L
 *   otherwise (or without bounds) inconclusive.
 * So a breach is declared only once the data show, at level 1 − α valid however often anyone
 * looks, that the change is beyond the limit; a small or noisy canary stays inconclusive.
 */
export function guardrailStatus(
  kind: GuardrailKind,
  limit: number,
  interval: Interval | null,
): GuardrailStatus {
  if (interval === null) return 'inconclusive';
  const [lower, upper] = interval;
  if (isIncrease(kind)) return lower > limit ? 'breach' : upper < limit ? 'ok' : 'inconclusive';
  return upper < limit ? 'breach' : lower > limit ? 'ok' : 'inconclusive';
}

/** Every limit of a guardrail metric, for every non-control arm. */
export function checkGuardrails(
  metric: MetricInput,
  control: ArmSummary | undefined,
  arms: readonly ArmSummary[],
  ctx: GuardrailContext,
): { reports: GuardrailReport[]; warnings: AnalysisWarning[] } {
  const reports: GuardrailReport[] = [];
  const warnings: AnalysisWarning[] = [];
  const limits = metric.guardrail;
  if (limits === undefined || control === undefined) return { reports, warnings };
  for (const kind of GUARDRAIL_KINDS) {
    const value = limits[kind];
    if (value === undefined) continue;
    if (!(Number.isFinite(value) && value >= 0)) {
      warnings.push(makeWarning('invalid_guardrail', { metric: metric.name }, `${kind} = ${value}.`));
      continue;
    }
    const limit = value === 0 ? 0 : isIncrease(kind) ? value : -value; // −0 (JSON has none) becomes 0
    for (const t of arms) {
      const { estimate, interval } = oneSidedBounds(isRelative(kind), control, t, ctx);
      const status = guardrailStatus(kind, limit, interval);
      const bound = interval === null ? null : isIncrease(kind) ? interval[0] : interval[1];
      reports.push({ metric: metric.name, arm: t.arm, kind, limit, estimate, bound, interval, status });
      if (status === 'breach') {
        warnings.push(
          makeWarning(
            'guardrail_breach',
            { metric: metric.name, arm: t.arm },
            `${kind}: estimate ${estimate?.toPrecision(4)}, one-sided bound ${bound?.toPrecision(4)}, limit ${limit}.`,
          ),
        );
      }
    }
  }
  return { reports, warnings };
}
