// Benjamini–Hochberg step-up adjustment of a family of p-values (false discovery rate).
import { rankedFamily } from './ranked-family.js';

/**
 * BH-adjusted p-values ("q-values"), in input order. Null entries are not part of the family (m
 * counts only the non-null ones) and stay null. Sorted ascending, p_(i) becomes
 * min(1, min_{j ≥ i} m·p_(j)/j) (Benjamini & Hochberg 1995; what scipy's
 * `false_discovery_control(method='bh')` and R's p.adjust(method = "BH") return). Rejecting where
 * the adjusted value is < q controls the FDR at q for independent or positively dependent tests
 * (PRDS), which covers arms compared with a shared control.
 */
export function benjaminiHochbergAdjust(pValues: readonly (number | null)[]): (number | null)[] {
  const present = rankedFamily(pValues);
  const m = present.length;
  const adjusted: (number | null)[] = pValues.map(() => null);
  let running = 1;
  for (let rank = m - 1; rank >= 0; rank--) {
    const e = present[rank]!;
    // m·p/(rank + 1) ≥ p in exact arithmetic; the max keeps rounding from putting it below p.
    running = Math.min(running, Math.max(e.p, (m * e.p) / (rank + 1)));
    adjusted[e.index] = running;
  }
  return adjusted;
}
