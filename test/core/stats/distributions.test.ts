// Normal, Student t, chi-square and gamma helpers against high-precision values (mpmath): the
// tables come from scripts/stats_reference.py (40 digits), the rest are mpmath values inline.
import { readFileSync } from 'node:fs';
import jstatPkg from 'jstat';
import { describe, expect, it } from 'vitest';
import { chiSquareSf } from '../../../src/core/stats/chi-square.js';
import { logGamma, regularizedGammaQ } from '../../../src/core/stats/gamma.js';
import { logGammaHalfRatio } from '../../../src/core/stats/log-gamma-ratio.js';
import {
  normalCdf,
  normalCriticalValue,
  normalQuantile,
  normalTwoSidedP,
  normalUpperQuantile,
} from '../../../src/core/stats/normal.js';
import {
  studentTCdf,
  studentTCriticalValue,
  studentTPdf,
  studentTQuantile,
  studentTTwoSidedP,
  studentTUpperQuantile,
} from '../../../src/core/stats/student-t.js';

const { jStat } = jstatPkg;

interface Tables {
  normal_upper_quantile: [number, number][];
  t_upper_quantile: [number, number, number][];
  chi2_sf: [number, number, number][];
  log_gamma: [number, number][];
}
const tables = (
  JSON.parse(readFileSync(new URL('../../fixtures/stats-reference.json', import.meta.url), 'utf8')) as {
    distributions: Tables;
  }
).distributions;

function expectRel(actual: number, expected: number, tol: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(tol * Math.abs(expected));
}

describe('normal', () => {
  it.each([
    [0, 0.5],
    [-1, 0.15865525393145705],
    [-3.5, 0.00023262907903552504],
    [-8, 6.220960574271784e-16],
    [-20, 2.7536241186062337e-89],
    [-37, 5.725571222524577e-300],
  ])('Φ(%d) keeps full relative precision in the tail', (z, expected) => {
    expectRel(normalCdf(z), expected, 1e-13);
  });

  it('two-sided p-values stay accurate (and positive) for huge statistics', () => {
    expectRel(normalTwoSidedP(20), 2 * 2.7536241186062337e-89, 1e-13);
    expectRel(normalTwoSidedP(-8), 2 * 6.220960574271784e-16, 1e-13);
    expect(normalTwoSidedP(0)).toBe(1);
    expect(normalTwoSidedP(60)).toBe(0);
  });

  it.each(tables.normal_upper_quantile)('upper quantile at q = %d (mpmath)', (q, z) => {
    // Tails down to 1e-300, where 1 − q rounds to 1 and jstat's inverse is off by 1% (1e-20).
    expect(Math.abs(normalUpperQuantile(q) - z)).toBeLessThanOrEqual(2e-15 * Math.max(1, z));
    if (q < 0.5) expect(Math.abs(normalQuantile(q) + z)).toBeLessThanOrEqual(2e-15 * Math.max(1, z));
  });

  it('jstat is the start, not the answer, in the tails', () => {
    const z = 9.262340089798407; // upper 1e-20 quantile (mpmath)
    expect(Math.abs(-jStat.normal.inv(1e-20, 0, 1) - z)).toBeGreaterThan(0.1);
    expect(normalCriticalValue(2e-20)).toBeCloseTo(z, 13);
  });

  it('quantile inverts the CDF; the critical value is z_{1−α/2}', () => {
    expectRel(normalCriticalValue(0.05), 1.959963984540054, 1e-12);
    for (const p of [0.001, 0.2, 0.8, 0.975]) expectRel(normalCdf(normalQuantile(p)), p, 1e-12);
    expect(normalQuantile(0)).toBeNaN();
    expect(normalQuantile(1)).toBeNaN();
  });
});

describe('Student t', () => {
  it.each([
    [2.5, 1, 0.2422378831816868],
    [2.0, 4, 0.11611652351681559],
    [1.3, 19.5, 0.20875830383195257],
    [3.0, 250, 0.002972662091177655],
    [2.0, 1e6, 0.045500533851319205],
    [6.0, 2e7, 1.9732090114734e-9],
    [0.7, 3e8, 0.4839273049889475],
    [40, 30, 1.3726045194406403e-27],
  ])('P(|T| ≥ %d) with df = %d', (t, df, expected) => {
    expectRel(studentTTwoSidedP(t, df), expected, 1e-9);
    expectRel(studentTTwoSidedP(-t, df), expected, 1e-9);
  });

  it('fixes jstat at large df, where its t CDF drifts by ~1e-3', () => {
    const exact = 0.7641771587399401; // P(|T| ≥ 0.3), df = 2e7 (mpmath)
    const viaJstat = 2 * jStat.studentt.cdf(-0.3, 2e7);
    expect(Math.abs(viaJstat - exact)).toBeGreaterThan(1e-3);
    expectRel(studentTTwoSidedP(0.3, 2e7), exact, 1e-12);
  });

  it('agrees with jstat where jstat is accurate (moderate df)', () => {
    for (const df of [3, 12, 60]) {
      for (const t of [-2.5, -0.4, 0, 1.1, 3]) expectRel(studentTCdf(t, df), jStat.studentt.cdf(t, df), 1e-7);
    }
  });

  it.each([
    [0.975, 1, 12.706204736174692],
    [0.975, 5, 2.5705818356363146],
    [0.995, 30, 2.749995653567225],
    [0.975, 1e4, 1.960201239890626],
    [0.9, 2e7, 1.2815516078738405],
  ])('quantile %d with df = %d', (p, df, expected) => {
    expectRel(studentTQuantile(p, df), expected, 1e-10);
    expectRel(studentTQuantile(1 - p, df), -expected, 1e-10);
  });

  it.each(tables.t_upper_quantile)('upper quantile at q = %d, df = %d (mpmath)', (q, df, t) => {
    // Iterated to convergence, so only the CDF's own accuracy is left: ~1e-14 up to df = 1e4, a few
    // 1e-12 near df = 1e6 where the continued fraction's rounding grows, 1e-13 beyond 1e7 (the exact
    // inverse of the Abramowitz & Stegun transform used there).
    const tol = df < 1e4 ? 1e-13 : 1e-11;
    expectRel(studentTUpperQuantile(q, df), t, tol);
    expectRel(studentTCriticalValue(2 * q, df), t, tol);
  });

  it('the issue 9 case: df = 5e8, p = 1 − 1e-8 (jstat plus 4 Newton steps was 15% off)', () => {
    // The double nearest 1 − 1e-8 leaves an upper tail of 1.0000000050247593e-8 exactly; mpmath
    // (40 digits) puts that quantile at 5.612001334485256.
    const exact = 5.612001334485256;
    expect(Math.abs(jStat.studentt.inv(1 - 1e-8, 5e8) - exact) / exact).toBeGreaterThan(0.1);
    expectRel(studentTQuantile(1 - 1e-8, 5e8), exact, 1e-14);
  });

  it('quantiles beyond 1e154 (df = 1, q = 1e-300) and beyond the double range', () => {
    expectRel(studentTUpperQuantile(1e-300, 1), 3.1830988618379066e299, 1e-12);
    expect(studentTUpperQuantile(1e-320, 1)).toBe(Number.POSITIVE_INFINITY);
    expect(studentTTwoSidedP(1e200, 1)).toBeGreaterThan(0);
    expect(studentTQuantile(0, 5)).toBeNaN();
    expect(studentTQuantile(0.5, 5)).toBe(0);
  });

  it('density integrates the CDF (finite difference)', () => {
    const h = 1e-5;
    for (const df of [2, 30, 5e7]) {
      const numeric = (studentTCdf(1 + h, df) - studentTCdf(1 - h, df)) / (2 * h);
      expectRel(studentTPdf(1, df), numeric, 1e-6);
    }
  });

  it('ln Γ(a+½) − ln Γ(a) matches closed forms', () => {
    // It feeds exp(), so its absolute error is the relative error of the probabilities.
    expect(Math.abs(logGammaHalfRatio(0.5) + 0.5 * Math.log(Math.PI))).toBeLessThan(1e-14); // Γ(1)/Γ(½)
    expect(Math.abs(logGammaHalfRatio(1) - Math.log(Math.sqrt(Math.PI) / 2))).toBeLessThan(1e-14); // Γ(3/2)/Γ(1)
    expect(Math.abs(logGammaHalfRatio(5.5) - Math.log(120 / 52.34277778455352))).toBeLessThan(1e-14); // Γ(6)/Γ(5.5)
    expect(Math.abs(logGammaHalfRatio(1e8) - (0.5 * Math.log(1e8) - 1 / 8e8))).toBeLessThan(1e-14);
    expect(logGammaHalfRatio(0)).toBeNaN();
  });
});

describe('chi-square upper tail and the gamma function', () => {
  it.each([
    [3.0, 1, 0.0832645166635504],
    [10.0, 3, 0.018566135463043233],
    [50.0, 4, 3.610865404890645e-10],
    [0.5, 2, 0.7788007830714049],
  ])('P(χ² ≥ %d) with df = %d', (x, df, expected) => {
    expectRel(chiSquareSf(x, df), expected, 1e-13);
  });

  it.each(tables.chi2_sf)(
    'P(χ² ≥ %d) with df = %d is %d, relative to the last digits (mpmath)',
    (x, df, p) => {
      // The upper incomplete gamma is computed on the tail itself: an SRM p of 1e-300 keeps its digits
      // (1 − cdf read 0 below ~1e-16 and was 1e-5 off near 1e-12).
      expectRel(chiSquareSf(x, df), p, 1e-12);
    },
  );

  it('jstat 1 − cdf loses the small tails', () => {
    expect(1 - jStat.chisquare.cdf(132.79989270501423, 1)).toBe(0); // true value 1e-30
    expect(chiSquareSf(132.79989270501423, 1)).toBeGreaterThan(0);
  });

  it.each(tables.log_gamma)('ln Γ(%d) (mpmath)', (x, expected) => {
    expect(Math.abs(logGamma(x) - expected)).toBeLessThanOrEqual(1e-14 * Math.max(1, Math.abs(expected)));
  });

  it('edges', () => {
    expect(chiSquareSf(0, 3)).toBe(1);
    expect(chiSquareSf(Number.POSITIVE_INFINITY, 3)).toBe(0);
    expect(chiSquareSf(1e6, 3)).toBe(0);
    expect(chiSquareSf(Number.NaN, 3)).toBeNaN();
    expect(regularizedGammaQ(0, 1)).toBeNaN();
    expect(logGamma(0)).toBeNaN();
  });
});
