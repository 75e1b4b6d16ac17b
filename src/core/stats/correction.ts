// The report's multiple-testing correction, and the per-comparison level its verdicts amount to.
import { benjaminiHochbergAdjust } from './benjamini-hochberg.js';
import { holmAdjust } from './holm.js';
import type { Correction } from './types.js';

export const CORRECTIONS: readonly Correction[] = ['holm', 'benjamini-hochberg', 'none'];

/** Adjusted p-values, in input order; nulls are outside the family and stay null. */
export function adjustPValues(
  correction: Correction,
  pValues: readonly (number | null)[],
): (number | null)[] {
  if (correction === 'holm') return holmAdjust(pValues);
  if (correction === 'benjamini-hochberg') return benjaminiHochbergAdjust(pValues);
  return pValues.map((p) => (p !== null && Number.isFinite(p) ? p : null));
}

/**
 * The error rate a* at which one comparison's interval must be drawn so that it excludes 0 exactly
 * when the corrected verdict is "significant":  a* = α · p / p_adj,  since p < a* ⇔ p_adj < α.
 * (For Bonferroni this is the familiar α/m; for Holm and BH, whose p_adj lies in [p, m·p], it lies
 * in [α/m, α]. GrowthBook likewise widens intervals whenever it adjusts p-values, growthbook#1740.)
 * Outside a corrected family (`corrected` false: guardrails, correction `none`) it is α itself; when
 * p_adj is 0 (p underflowed) the Bonferroni level α/m, which such a comparison passes as well.
 */
export function adjustedLevel(
  alpha: number,
  p: number,
  pAdjusted: number,
  familySize: number,
  corrected = true,
): number {
  if (!corrected) return alpha;
  if (!(pAdjusted > 0)) return alpha / Math.max(1, familySize);
  if (pAdjusted === p) return alpha;
  return alpha * (p / pAdjusted);
}
