// Nice-number ticks: round steps, the data range covered, never more labels than room for.
import { describe, expect, it } from 'vitest';
import { niceTicks, spacedIndices } from '../../src/reports/charts/axis.js';

describe('niceTicks', () => {
  it('picks round steps that cover the range', () => {
    expect(niceTicks(-0.052, 0.21, 6)).toEqual({
      min: -0.1,
      max: 0.3,
      step: 0.1,
      ticks: [-0.1, 0, 0.1, 0.2, 0.3],
    });
    expect(niceTicks(0, 97, 6).ticks).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(-3, 3, 4).ticks).toEqual([-5, 0, 5]);
  });

  it.each([
    [-0.052, 0.21, 4],
    [-0.3, -0.01, 5],
    [0.001, 0.0013, 6],
    [-1234, 98765, 7],
    [-0.0499, 0.0501, 3],
    [2, 2, 5],
  ])('[%f, %f] with at most %i ticks: covered, evenly spaced, no more ticks than allowed', (lo, hi, max) => {
    const axis = niceTicks(lo, hi, max);
    expect(axis.ticks.length).toBeLessThanOrEqual(max);
    expect(axis.ticks.length).toBeGreaterThanOrEqual(2);
    expect(axis.min).toBeLessThanOrEqual(Math.min(lo, hi));
    expect(axis.max).toBeGreaterThanOrEqual(Math.max(lo, hi));
    for (let i = 1; i < axis.ticks.length; i++) {
      expect(axis.ticks[i]! - axis.ticks[i - 1]!).toBeCloseTo(axis.step, 9);
    }
    const mantissa = axis.step / 10 ** Math.floor(Math.log10(axis.step));
    expect([1, 2, 2.5, 5, 10].some((m) => Math.abs(m - mantissa) < 1e-9)).toBe(true);
  });

  it('survives a non-finite range', () => {
    expect(niceTicks(Number.NaN, 1).ticks.length).toBeGreaterThanOrEqual(2);
  });
});

describe('spacedIndices', () => {
  it.each([
    [1, 5],
    [7, 8],
    [30, 7],
    [31, 7],
    [100, 2],
    [12, 5],
  ])('%i days, room for %i labels: first and last shown, never crowded', (n, max) => {
    const picked = spacedIndices(n, max);
    expect(picked[0]).toBe(0);
    expect(picked[picked.length - 1]).toBe(n - 1);
    expect(picked.length).toBeLessThanOrEqual(Math.max(max, 1));
    const every = Math.ceil((n - 1) / Math.max(1, max - 1));
    for (let i = 1; i < picked.length; i++) expect(picked[i]! - picked[i - 1]!).toBeGreaterThanOrEqual(every);
  });

  it('labels every day when there is room', () => {
    expect(spacedIndices(7, 8)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });
});
