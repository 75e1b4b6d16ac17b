// Public surface of the significance engine (src/core/stats).
export {
  analyzeExperiment,
  DEFAULT_ANALYSIS,
  DEFAULT_CORRECTION,
  DEFAULT_MIN_CONVERSIONS,
  DEFAULT_MIN_USERS,
  evaluateGuardrails,
} from './analyze.js';
export { guardrailStatus, GUARDRAIL_KINDS } from './guardrails.js';
export { DEFAULT_SEQUENTIAL_TUNING } from './sequential.js';
export { sampleRatioMismatch, SRM_P_THRESHOLD } from './srm.js';
export { ZERO_MOMENTS, ZERO_RATIO } from './arm-summary.js';
export {
  addMomentSums,
  addRatioSums,
  cumulativeTimeSeries,
  seriesFromTotals,
  type DailyArmDelta,
  type DayDelta,
  type DayTotals,
  type SeriesPoint,
  type TimeSeries,
  type TimeSeriesInput,
} from './time-series.js';
export type {
  Analysis,
  AnalysisInput,
  AnalysisMode,
  AnalysisOptions,
  AnalysisWarning,
  ArmInput,
  ArmReport,
  ComparisonReport,
  Correction,
  GuardrailKind,
  GuardrailLimits,
  GuardrailLimitsReport,
  GuardrailReport,
  GuardrailStatus,
  Interval,
  MetricArmReport,
  MetricDirection,
  MetricInput,
  MetricReport,
  MetricType,
  MomentSums,
  RatioSums,
  SrmReport,
  WarningCode,
} from './types.js';
