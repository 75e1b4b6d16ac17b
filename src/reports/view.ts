// What the page, the CSV and the CLI show, derived once from a report so they tell one story:
// the verdict word, the interval drawn and printed, and the colour all come from the same
// adjusted (and, when the analysis is sequential, always-valid) quantities. The engine guarantees
// that `significant` ⇔ p_adjusted < α ⇔ the adjusted intervals exclude 0 (src/core/stats/README.md).
import type { AnalysisWarning, ComparisonReport, Interval, MetricReport } from '../core/stats/index.js';
import type { Report } from './build-report.js';
import { isImprovement, verdict } from './verdict.js';

/** How a comparison is coloured: green, red, grey (not significant, or untrustworthy), none (no estimate). */
export type Tone = 'improvement' | 'regression' | 'neutral' | 'untrustworthy' | 'none';

export interface ComparisonView {
  arm: string;
  tone: Tone;
  /** The same flag the engine decided on (p_adjusted < α); false when there is no estimate. */
  significant: boolean;
  /** Relative lift and its interval at `level` (the adjusted one), or null when not estimable. */
  lift: number | null;
  liftInterval: Interval | null;
  diff: number | null;
  diffInterval: Interval | null;
  /** The level of the intervals shown, e.g. 0.983 after a Holm adjustment. */
  level: number | null;
  verdict: string;
}

export function comparisonView(report: Report, metric: MetricReport, c: ComparisonReport): ComparisonView {
  const alpha = report.alpha ?? 0.05;
  const srm = report.srm.mismatch === true;
  const estimable = c.relative_lift !== null && c.relative_lift_ci_adjusted !== null;
  const significant = c.significant === true;
  const tone: Tone = !estimable
    ? 'none'
    : srm
      ? 'untrustworthy'
      : !significant
        ? 'neutral'
        : isImprovement(metric, c)
          ? 'improvement'
          : 'regression';
  return {
    arm: c.arm,
    tone,
    significant,
    lift: c.relative_lift,
    liftInterval: c.relative_lift_ci_adjusted,
    diff: c.diff,
    diffInterval: c.diff_ci_adjusted,
    level: c.ci_level_adjusted ?? c.ci_level,
    verdict: verdict(metric, c, alpha, srm),
  };
}

/** The sentence that says which analysis and correction the intervals and verdicts use. */
export function methodText(report: Report): string {
  const analysis =
    report.analysis === 'sequential'
      ? 'always-valid (sequential) intervals and p-values: safe to look every day'
      : 'fixed-horizon intervals and p-values: valid for one look at the planned sample size';
  const family = report.metrics.filter((m) => m.guardrail === null);
  const tests = family.reduce((n, m) => n + m.comparisons.length, 0);
  const correction =
    report.correction === 'none'
      ? 'no multiple-testing correction'
      : `${report.correction === 'holm' ? 'Holm' : 'Benjamini–Hochberg'}-adjusted across ${family.length} ${
          family.length === 1 ? 'metric' : 'metrics'
        }${tests > family.length ? ` (${tests} comparisons)` : ''}`;
  return `${analysis}, ${correction}; guardrails are tested one-sided, outside the correction`;
}

export interface ArmShare {
  arm: string;
  control: boolean;
  /** Configured weight over all weights. */
  expected: number | null;
  /** Exposed users over all exposed users; null before any exposure. */
  observed: number | null;
  exposures: number;
}

/** Expected vs observed traffic shares: what the sample ratio check compares. */
export function armShares(report: Report): ArmShare[] {
  const weights = report.arms.reduce((s, a) => s + (a.weight ?? 0), 0);
  const users = report.arms.reduce((s, a) => s + (a.exposures ?? 0), 0);
  return report.arms.map((a) => ({
    arm: a.name,
    control: a.control,
    expected: weights > 0 && a.weight !== null ? a.weight / weights : null,
    observed: users > 0 ? (a.exposures ?? 0) / users : null,
    exposures: a.exposures ?? 0,
  }));
}

export function totalUsers(report: Report): number {
  return report.arms.reduce((s, a) => s + (a.exposures ?? 0), 0);
}

/** When the data starts: the phase's start, else the first day with data, else unknown. */
export function startOf(report: Report): string | null {
  if (report.state.phase_started_at !== null) return report.state.phase_started_at;
  const first = report.time_series?.days[0];
  return first === undefined ? null : `${first}T00:00:00.000Z`;
}

/** "3 d 4 h", "5 h 12 min", "40 min": from `from` to the report's end (phase end or generation). */
export function durationText(report: Report): string | null {
  const start = startOf(report);
  if (start === null) return null;
  const end = report.state.phase_ended_at ?? report.generated_at;
  const minutes = Math.max(0, Math.floor((Date.parse(end) - Date.parse(start)) / 60_000));
  if (!Number.isFinite(minutes)) return null;
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  if (days > 0) return `${days} d ${hours} h`;
  if (hours > 0) return `${hours} h ${minutes % 60} min`;
  return `${minutes} min`;
}

/** One warning code with every place it applies: shown once, not once per metric and arm. */
export interface WarningGroup {
  code: AnalysisWarning['code'];
  message: string;
  where: string[];
}

export function groupWarnings(report: Report): WarningGroup[] {
  const groups = new Map<string, WarningGroup>();
  for (const w of report.warnings) {
    const g = groups.get(w.code) ?? { code: w.code, message: w.message, where: [] };
    const where = w.metric ? `${w.metric}${w.arm ? `/${w.arm}` : ''}` : w.arm;
    if (where && !g.where.includes(where)) g.where.push(where);
    groups.set(w.code, g);
  }
  return [...groups.values()];
}

/** No exposed user at all: the page and the CLI say so once instead of a warning per metric and arm. */
export function hasNoData(report: Report): boolean {
  return totalUsers(report) === 0;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Outcomes that found no exposed user after the grace period, per metric with any (report order). */
export function unattributedCounts(report: Report): { metric: string; count: number }[] {
  const known = report.metrics.map((m) => m.name);
  const extra = Object.keys(report.unattributed).filter((m) => !known.includes(m));
  return [...known, ...extra]
    .map((metric) => ({ metric, count: report.unattributed[metric] ?? 0 }))
    .filter((x) => x.count > 0);
}

/**
 * What the counts around attribution mean for the analyst, one line per metric with unattributed
 * outcomes and one for users still waiting: the results leave both out, so they must be visible.
 */
export function attributionNotes(report: Report): string[] {
  const lines = unattributedCounts(report).map(
    ({ metric, count }) =>
      `${metric}: ${plural(count, 'outcome', 'outcomes')} found no exposed user in this phase after the attribution grace period and ${count === 1 ? 'counts' : 'count'} in no arm. The results leave them out; many of them mean outcomes are sent for users this experiment did not expose (another user id, or exposures lost), which can bias the comparison.`,
  );
  if (report.held_users > 0) {
    lines.push(
      `${plural(report.held_users, 'user has', 'users have')} outcomes waiting for their exposure (within the attribution grace period): not in the results yet, they count in their arm once the exposure arrives, or as unattributed after the grace period.`,
    );
  }
  return lines;
}
