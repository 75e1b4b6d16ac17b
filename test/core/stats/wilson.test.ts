// Wilson score interval: textbook values, edges and bounds.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { wilsonInterval } from '../../../src/core/stats/wilson.js';

const Z95 = 1.959963984540054;

describe('wilsonInterval', () => {
  it('matches the textbook 10/100 interval', () => {
    const ci = wilsonInterval(10, 100, Z95);
    expect(ci?.[0]).toBeCloseTo(0.05522914, 7);
    expect(ci?.[1]).toBeCloseTo(0.17436566, 7);
  });

  it('is exactly 0 / 1 at the edges and still has width there', () => {
    const none = wilsonInterval(0, 50, Z95);
    expect(none?.[0]).toBe(0);
    expect(none?.[1]).toBeCloseTo(Z95 ** 2 / (50 + Z95 ** 2), 12);
    const all = wilsonInterval(50, 50, Z95);
    expect(all?.[1]).toBe(1);
    expect(all?.[0]).toBeCloseTo(50 / (50 + Z95 ** 2), 12);
  });

  it('is null without users', () => {
    expect(wilsonInterval(0, 0, Z95)).toBeNull();
    expect(wilsonInterval(1, Number.NaN, Z95)).toBeNull();
  });

  it('always lies within [0, 1] and contains the observed rate', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1e9 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 1e-3, max: 6, noNaN: true }),
        (n, share, z) => {
          const x = Math.floor(share * n);
          const ci = wilsonInterval(x, n, z);
          expect(ci).not.toBeNull();
          const [lo, hi] = ci!;
          expect(lo).toBeGreaterThanOrEqual(0);
          expect(hi).toBeLessThanOrEqual(1);
          expect(lo).toBeLessThanOrEqual(x / n + 1e-15);
          expect(hi).toBeGreaterThanOrEqual(x / n - 1e-15);
        },
      ),
    );
  });
});
