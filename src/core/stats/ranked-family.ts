// The family of a multiple-testing correction: the non-null p-values, sorted ascending.

export interface RankedP {
  readonly p: number;
  /** Position in the input. */
  readonly index: number;
}

/** The finite p-values of `pValues` with their input positions, smallest first (ties by position). */
export function rankedFamily(pValues: readonly (number | null)[]): RankedP[] {
  return pValues
    .map((p, index) => ({ p, index }))
    .filter((e): e is RankedP => e.p !== null && Number.isFinite(e.p))
    .sort((a, b) => a.p - b.p || a.index - b.index);
}
