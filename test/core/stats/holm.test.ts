// Holm step-down adjustment: worked example, null handling and properties.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { holmAdjust } from '../../../src/core/stats/holm.js';

/** Straight from the definition: adj_(i) = min(1, max_{j ≤ i} (m − j + 1)·p_(j)). */
function bruteForce(ps: number[]): number[] {
  const m = ps.length;
  const order = ps.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p || a.i - b.i);
  const out = new Array<number>(m).fill(0);
  order.forEach((e, rank) => {
    let best = 0;
    for (let j = 0; j <= rank; j++) best = Math.max(best, (m - j) * order[j]!.p);
    out[e.i] = Math.min(1, best);
  });
  return out;
}

describe('holmAdjust', () => {
  it('worked example, in input order', () => {
    const adjusted = holmAdjust([0.01, 0.04, 0.03, 0.005]);
    const expected = [0.03, 0.06, 0.06, 0.02];
    adjusted.forEach((a, i) => expect(a).toBeCloseTo(expected[i]!, 15));
  });

  it('is monotone step-down: a larger raw p never gets a smaller adjusted p', () => {
    // 0.04 alone would become 1·0.04, but must not fall below the 0.06 before it.
    expect(holmAdjust([0.04, 0.03])).toEqual([0.06, 0.06]);
  });

  it('caps at 1 and leaves a single comparison unchanged', () => {
    expect(holmAdjust([0.6, 0.7])).toEqual([1, 1]);
    expect(holmAdjust([0.0123])).toEqual([0.0123]);
    expect(holmAdjust([])).toEqual([]);
  });

  it('leaves null p-values null and out of the family size', () => {
    expect(holmAdjust([null, 0.02, null, 0.01])).toEqual([null, 0.02, null, 0.02]);
  });

  it('matches the definition, never lowers p, stays ≤ 1 and keeps the order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 8 }),
        (ps) => {
          const adjusted = holmAdjust(ps) as number[];
          const expected = bruteForce(ps);
          adjusted.forEach((a, i) => {
            expect(a).toBeCloseTo(expected[i]!, 14);
            expect(a).toBeGreaterThanOrEqual(ps[i]!);
            expect(a).toBeLessThanOrEqual(1);
            ps.forEach((q, j) => {
              if (ps[i]! <= q) expect(a).toBeLessThanOrEqual(adjusted[j]!);
            });
          });
        },
      ),
    );
  });
});
