// Holm–Bonferroni step-down adjustment of a family of p-values.
import { rankedFamily } from './ranked-family.js';

/**
 * Holm-adjusted p-values, in input order. Null entries are not part of the family (m counts only
 * the non-null ones) and stay null. Sorted ascending, p_(i) becomes
 * min(1, max_{j ≤ i} (m − j + 1)·p_(j)), which is monotone and never below the raw p-value.
 */
export function holmAdjust(pValues: readonly (number | null)[]): (number | null)[] {
  const present = rankedFamily(pValues);
  const m = present.length;
  const adjusted: (number | null)[] = pValues.map(() => null);
  let running = 0;
  present.forEach((e, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * e.p));
    adjusted[e.index] = running;
  });
  return adjusted;
}
