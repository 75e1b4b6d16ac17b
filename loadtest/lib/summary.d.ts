// Types of summary.js for TypeScript callers (the k6 scripts themselves are plain JavaScript).
export interface SummaryMetric {
  type: string;
  contains?: string;
  values: Record<string, number>;
  thresholds?: Record<string, { ok: boolean | undefined }>;
}
export interface Summary {
  metrics: Record<string, SummaryMetric>;
  root_group: { checks: { name: string; passes: number; fails: number }[]; groups: unknown[] };
  format: 'classic' | 'machine-readable';
}
export declare function evaluateThreshold(
  expression: string,
  values: Record<string, number>,
): boolean | undefined;
export declare function normalizeSummary(
  data: unknown,
  thresholds: Record<string, (string | { threshold: string })[]>,
): Summary;
export declare function countOf(data: Summary, metric: string): number;
export declare function hasNoSamples(metric: SummaryMetric | undefined): boolean;
export declare function thresholdSection(
  data: Summary,
  indent: string,
  unchecked?: Record<string, string>,
): string[];
