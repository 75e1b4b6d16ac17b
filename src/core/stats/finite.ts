// Guards that keep NaN and ±Infinity out of the analysis output by turning them into null.

/** The number itself when finite (−0 normalized to 0), otherwise null. */
export function finiteOrNull(x: number | null | undefined): number | null {
  if (typeof x !== 'number' || !Number.isFinite(x)) return null;
  return x === 0 ? 0 : x;
}

/** A [low, high] pair when both ends are finite, otherwise null. */
export function finiteIntervalOrNull(
  low: number | null | undefined,
  high: number | null | undefined,
): [number, number] | null {
  const lo = finiteOrNull(low);
  const hi = finiteOrNull(high);
  return lo === null || hi === null ? null : [lo, hi];
}
