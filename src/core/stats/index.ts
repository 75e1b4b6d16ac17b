// Public surface of the significance engine (src/core/stats).
export { analyzeExperiment, DEFAULT_MIN_CONVERSIONS, DEFAULT_MIN_USERS } from './analyze.js';
export type {
  Analysis,
  AnalysisInput,
  AnalysisOptions,
  AnalysisWarning,
  ArmInput,
  ArmReport,
  ComparisonReport,
  Interval,
  MetricArmInput,
  MetricArmReport,
  MetricDirection,
  MetricInput,
  MetricReport,
  MetricType,
  SrmReport,
  WarningCode,
} from './types.js';
