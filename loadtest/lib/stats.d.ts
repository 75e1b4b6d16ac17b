// Types of stats.js for TypeScript callers (the k6 scripts themselves are plain JavaScript).
export declare function lnGamma(x: number): number;
export declare function gammaQ(a: number, x: number): number;
export declare function chiSquareSurvival(x: number, df: number): number;
export declare function normalQuantile(p: number): number;
export declare function erfc(x: number): number;
export declare function designEffect(n: number, users: number): number;
export interface SrmTestResult {
  n: number;
  df: number;
  chiSquare: number;
  chiSquareAdjusted: number;
  designEffect: number;
  pValue: number;
}
export declare function srmTest(observed: number[], expected: number[], users: number): SrmTestResult;
export interface SrmBand {
  lower: number;
  upper: number;
  halfWidth: number;
  z: number;
}
export declare function srmBands(expected: number[], n: number, users: number, alpha: number): SrmBand[];
