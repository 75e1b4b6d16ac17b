// Sample ratio mismatch check.
import { describe, expect, it } from 'vitest';
import { sampleRatioMismatch } from '../../../src/core/stats/srm.js';

describe('sampleRatioMismatch', () => {
  it('accepts a split that matches the weights', () => {
    const { srm, warnings } = sampleRatioMismatch([
      { name: 'a', weight: 1, exposures: 5020 },
      { name: 'b', weight: 1, exposures: 4980 },
    ]);
    expect(srm.chi2).toBeCloseTo(0.16, 12);
    expect(srm.p_value).toBeCloseTo(0.6891565167793516, 9);
    expect(srm.mismatch).toBe(false);
    expect(warnings).toEqual([]);
  });

  it('flags a broken split loudly', () => {
    const { srm, warnings } = sampleRatioMismatch([
      { name: 'a', weight: 90, exposures: 8700 },
      { name: 'b', weight: 10, exposures: 1300 },
    ]);
    expect(srm.mismatch).toBe(true);
    expect(srm.p_value).toBeLessThan(0.001);
    expect(warnings.map((w) => w.code)).toEqual(['srm_mismatch']);
    expect(warnings[0]?.message).toMatch(/SAMPLE RATIO MISMATCH/);
  });

  it('uses weight ratios over any number of arms (df = arms − 1)', () => {
    const { srm } = sampleRatioMismatch([
      { name: 'a', weight: 2, exposures: 2000 },
      { name: 'b', weight: 1, exposures: 1000 },
      { name: 'c', weight: 1, exposures: 1000 },
    ]);
    expect(srm.chi2).toBe(0);
    expect(srm.p_value).toBe(1);
  });

  it('has no test without exposures or with unusable weights', () => {
    const empty = sampleRatioMismatch([
      { name: 'a', weight: 1, exposures: 0 },
      { name: 'b', weight: 1, exposures: 0 },
    ]);
    expect(empty.srm).toEqual({ chi2: null, p_value: null, mismatch: null });
    expect(empty.warnings).toEqual([]);
    const zeroWeight = sampleRatioMismatch([
      { name: 'a', weight: 1, exposures: 10 },
      { name: 'b', weight: 0, exposures: 10 },
    ]);
    expect(zeroWeight.srm).toEqual({ chi2: null, p_value: null, mismatch: null });
    expect(zeroWeight.warnings.map((w) => w.code)).toEqual(['invalid_weights']);
    expect(sampleRatioMismatch([{ name: 'a', weight: 1, exposures: 10 }]).srm.p_value).toBeNull();
  });
});
