// Types of env.js for TypeScript callers (the k6 scripts themselves are plain JavaScript).
type Env = Record<string, string | undefined>;
export declare function raw(env: Env, name: string): string | undefined;
export declare function str(env: Env, name: string, fallback: string): string;
export declare function num(env: Env, name: string, fallback: number, min?: number, max?: number): number;
export declare function int(env: Env, name: string, fallback: number, min?: number, max?: number): number;
export declare function bool(env: Env, name: string, fallback: boolean): boolean;
export declare function durationSeconds(text: string, name?: string): number;
export declare function secondsToDuration(seconds: number): string;
export declare function parseWeights(text: string, name?: string): { name: string; weight: number }[];
export declare function expectedShares(
  arms: readonly { name: string; weight: number }[],
  trafficPercent: number,
  controlName: string,
): number[];
export declare function metricName(prefix: string, armName: string): string;
export declare function header(
  res: { headers?: Record<string, string | string[]> },
  name: string,
): string | undefined;
export declare function joinUrl(base: string, path: string): string;
