// Benjamini–Hochberg adjustment, the correction switch, and the level adjusted intervals are drawn at.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { benjaminiHochbergAdjust } from '../../../src/core/stats/benjamini-hochberg.js';
import { adjustedLevel, adjustPValues } from '../../../src/core/stats/correction.js';

/** From the definition: adj_(i) = min(1, min_{j ≥ i} m·p_(j)/j). */
function bruteForce(ps: number[]): number[] {
  const m = ps.length;
  const order = ps.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p || a.i - b.i);
  const out = new Array<number>(m).fill(0);
  order.forEach((e, rank) => {
    let best = 1;
    for (let j = rank; j < m; j++) best = Math.min(best, (m * order[j]!.p) / (j + 1));
    out[e.i] = best;
  });
  return out;
}

describe('benjaminiHochbergAdjust', () => {
  it('matches scipy.stats.false_discovery_control(method="bh")', () => {
    // scipy 1.17: [0.01, 0.02, 0.04, 0.5] → [0.04, 0.04, 0.05333333, 0.5]
    const adjusted = benjaminiHochbergAdjust([0.01, 0.02, 0.04, 0.5]) as number[];
    [0.04, 0.04, 0.16 / 3, 0.5].forEach((e, i) => expect(adjusted[i]).toBeCloseTo(e, 15));
  });

  it('leaves nulls out of the family', () => {
    expect(benjaminiHochbergAdjust([null, 0.01, null, 0.04])).toEqual([null, 0.02, null, 0.04]);
    expect(benjaminiHochbergAdjust([])).toEqual([]);
  });

  it('matches the definition, never lowers p, never exceeds Holm, keeps the order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 10 }),
        (ps) => {
          const bh = benjaminiHochbergAdjust(ps) as number[];
          const holm = adjustPValues('holm', ps) as number[];
          const expected = bruteForce(ps);
          bh.forEach((a, i) => {
            expect(a).toBeCloseTo(expected[i]!, 14);
            expect(a).toBeGreaterThanOrEqual(ps[i]!);
            expect(a).toBeLessThanOrEqual(holm[i]! + 1e-15);
            ps.forEach((q, j) => {
              if (ps[i]! <= q) expect(a).toBeLessThanOrEqual(bh[j]!);
            });
          });
        },
      ),
    );
  });
});

describe('adjustPValues and adjustedLevel', () => {
  it('none passes p-values through (non-finite ones become null)', () => {
    expect(adjustPValues('none', [0.01, null, Number.NaN])).toEqual([0.01, null, null]);
  });

  it('the adjusted level makes p < level exactly when p_adj < alpha', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 1e-12, max: 1, noNaN: true }), { minLength: 1, maxLength: 12 }),
        fc.constantFrom('holm' as const, 'benjamini-hochberg' as const, 'none' as const),
        fc.double({ min: 1e-4, max: 0.3, noNaN: true }),
        (ps, correction, alpha) => {
          const adjusted = adjustPValues(correction, ps) as number[];
          ps.forEach((p, i) => {
            const level = adjustedLevel(alpha, p, adjusted[i]!, ps.length, correction !== 'none');
            expect(level).toBeGreaterThanOrEqual((alpha / ps.length) * (1 - 1e-15));
            expect(level).toBeLessThanOrEqual(alpha);
            if (Math.abs(adjusted[i]! - alpha) > 1e-12 * alpha) expect(p < level).toBe(adjusted[i]! < alpha);
          });
        },
      ),
    );
  });

  it('Bonferroni’s α/m for a lone minimum under Holm or an underflowed p; α outside a family', () => {
    expect(adjustedLevel(0.05, 0.001, 0.004, 4)).toBeCloseTo(0.0125, 17);
    expect(adjustedLevel(0.05, 0.3, 0.3, 4)).toBe(0.05);
    expect(adjustedLevel(0.05, 0, 0, 4)).toBe(0.0125);
    expect(adjustedLevel(0.05, 0, 0, 4, false)).toBe(0.05);
  });
});
