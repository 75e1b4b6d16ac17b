// Normal, Student t and chi-square helpers against high-precision values (mpmath, 30 digits).
import jstatPkg from 'jstat';
import { describe, expect, it } from 'vitest';
import { chiSquareSf } from '../../../src/core/stats/chi-square.js';
import { logGammaHalfRatio } from '../../../src/core/stats/log-gamma-ratio.js';
import {
  normalCdf,
  normalCriticalValue,
  normalQuantile,
  normalTwoSidedP,
} from '../../../src/core/stats/normal.js';
import {
  studentTCdf,
  studentTPdf,
  studentTQuantile,
  studentTTwoSidedP,
} from '../../../src/core/stats/student-t.js';

const { jStat } = jstatPkg;

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

describe('chi-square upper tail', () => {
  it.each([
    [3.0, 1, 0.0832645166635504],
    [10.0, 3, 0.018566135463043233],
    [50.0, 4, 3.610865404890645e-10],
    [0.5, 2, 0.7788007830714049],
  ])('P(χ² ≥ %d) with df = %d', (x, df, expected) => {
    // jstat's incomplete gamma: ~1e-10 absolute, plenty for a p < 0.001 decision.
    expect(Math.abs(chiSquareSf(x, df) - expected)).toBeLessThan(1e-9);
  });

  it('edges', () => {
    expect(chiSquareSf(0, 3)).toBe(1);
    expect(chiSquareSf(Number.POSITIVE_INFINITY, 3)).toBe(0);
    expect(chiSquareSf(1e6, 3)).toBe(0);
  });
});
