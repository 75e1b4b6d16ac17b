// Axis ticks from "nice numbers" (1, 2 or 5 × 10^k steps, after Heckbert's "Nice numbers for graph
// labels"): round values that cover a range with at most `maxTicks` labels, so labels never crowd.

export interface Axis {
  /** The axis' ends: the first and last tick, which cover the data range. */
  min: number;
  max: number;
  step: number;
  ticks: number[];
}

function niceStep(rough: number): number {
  const exponent = Math.floor(Math.log10(rough));
  const base = 10 ** exponent;
  const fraction = rough / base;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 2.5 ? 2.5 : fraction <= 5 ? 5 : 10;
  return nice * base;
}

/** Cleans float noise (0.1 + 0.2) so a tick is the round number it stands for. */
function clean(x: number, step: number): number {
  const digits = Math.max(0, -Math.floor(Math.log10(step)) + 2);
  const v = Number(x.toFixed(Math.min(digits, 15)));
  return Object.is(v, -0) ? 0 : v;
}

/**
 * Ticks covering [lo, hi] with at most `maxTicks` (≥ 2) of them, at a round step. A degenerate or
 * non-finite range gets a small range around its value.
 */
export function niceTicks(lo: number, hi: number, maxTicks = 6): Axis {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) [lo, hi] = [0, 0];
  if (lo > hi) [lo, hi] = [hi, lo];
  if (hi - lo < 1e-12) {
    const pad = Math.abs(lo) > 1e-12 ? Math.abs(lo) * 0.1 : 0.01;
    lo -= pad;
    hi += pad;
  }
  const intervals = Math.max(1, Math.floor(maxTicks) - 1);
  let step = niceStep((hi - lo) / intervals);
  // Rounding the ends outwards can need one interval more than planned: take the next step then.
  while (Math.ceil(hi / step - 1e-9) - Math.floor(lo / step + 1e-9) > intervals) step = niceStep(step * 1.01);
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const ticks: number[] = [];
  for (let i = first; i <= last; i++) ticks.push(clean(i * step, step));
  return { min: ticks[0]!, max: ticks[ticks.length - 1]!, step, ticks };
}

/**
 * Which of `n` evenly spaced category labels (days) to draw so that at most `maxLabels` show and
 * neighbours are at least `every` apart: every k-th one from the first, and the last one always
 * (it replaces the one before when they would be closer than k).
 */
export function spacedIndices(n: number, maxLabels: number): number[] {
  if (n <= 0) return [];
  const every = Math.max(1, Math.ceil((n - 1) / Math.max(1, maxLabels - 1)));
  const picked: number[] = [];
  for (let i = 0; i < n; i += every) picked.push(i);
  const last = n - 1;
  if (picked[picked.length - 1] !== last) {
    if (picked.length > 1 && last - picked[picked.length - 1]! < every) picked.pop();
    picked.push(last);
  }
  return picked;
}
