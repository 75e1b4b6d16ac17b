// Sample ratio mismatch: chi-square goodness of fit of exposures against configured weights.
import { chiSquareSf } from './chi-square.js';
import { finiteOrNull } from './finite.js';
import type { AnalysisWarning, SrmReport } from './types.js';
import { makeWarning } from './warnings.js';

/** p-value below which the split is declared broken (deliberately strict: SRM checks run often). */
export const SRM_P_THRESHOLD = 0.001;

export interface SrmArm {
  name: string;
  weight: number;
  exposures: number;
}

export interface SrmResult {
  srm: SrmReport;
  warnings: AnalysisWarning[];
}

const NO_SRM: SrmReport = { chi2: null, p_value: null, mismatch: null };

/**
 * χ² = Σ (observed − expected)² / expected with expected = total · weight / Σ weight, df = arms − 1.
 * All fields null (no test) when there are no exposures at all or the weights/counts are unusable.
 */
export function sampleRatioMismatch(arms: readonly SrmArm[]): SrmResult {
  const weightsOk = arms.length >= 2 && arms.every((a) => Number.isFinite(a.weight) && a.weight > 0);
  if (!weightsOk) return { srm: { ...NO_SRM }, warnings: [makeWarning('invalid_weights')] };
  if (!arms.every((a) => Number.isFinite(a.exposures) && a.exposures >= 0)) {
    return { srm: { ...NO_SRM }, warnings: [] };
  }
  const total = arms.reduce((s, a) => s + a.exposures, 0);
  const totalWeight = arms.reduce((s, a) => s + a.weight, 0);
  if (!(total > 0)) return { srm: { ...NO_SRM }, warnings: [] };
  let chi2 = 0;
  for (const a of arms) {
    const expected = (total * a.weight) / totalWeight;
    chi2 += ((a.exposures - expected) * (a.exposures - expected)) / expected;
  }
  const pValue = finiteOrNull(chiSquareSf(chi2, arms.length - 1));
  const mismatch = pValue === null ? null : pValue < SRM_P_THRESHOLD;
  const warnings = mismatch
    ? [makeWarning('srm_mismatch', {}, `chi2 = ${chi2.toPrecision(6)}, p = ${pValue?.toExponential(2)}.`)]
    : [];
  return { srm: { chi2: finiteOrNull(chi2), p_value: pValue, mismatch }, warnings };
}
