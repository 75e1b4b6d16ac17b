// Types of presets.js for TypeScript callers (the k6 scripts themselves are plain JavaScript).
export interface Preset {
  route: string;
  control: string;
  /** "arm=weight,arm=weight" as accepted by WEIGHTS. */
  weights: string;
  traffic: number;
  metrics: Record<string, 'binomial' | 'continuous'>;
}
export declare const PRESETS: Record<string, Preset>;
export declare function predictionBody(experiment: string): { features: Record<string, number> };
export declare function logNormal(median: number, sigma: number): number;
export declare function userOutcomes(experiment: string): { metric: string; value: number }[];
export declare function presetForRoute(route: string): { name: string; preset: Preset } | undefined;
export declare function genericOutcomes(
  metrics: Record<string, 'binomial' | 'continuous'>,
): { metric: string; value: number }[];
