export {
  DEFAULT_CONFIG_FILES,
  defineLeakcheckConfig,
  type LeakcheckConfig,
  loadConfig,
  type PrepareContext,
  scenarioFiles,
} from './config.js';
export { LEAKCHECK_ERROR_CODES, LeakcheckError, type LeakcheckErrorCode } from './errors.js';
export {
  analyzeHeapSnapshots,
  type ClassGrowth,
  type HeapAnalysis,
  type HeapAnalysisOptions,
  type ObjectGrowth,
} from './heap-analysis.js';
export type { Checkpoint, Measurements } from './measurements.js';
export { formatElapsed, ProgressLine, type ProgressOptions, type ProgressStream } from './progress.js';
export { formatReport, jsonLine } from './report.js';
export {
  type HandlesResult,
  type HeapResult,
  type InstancesResult,
  type RunOptions,
  runScenario,
  type ScenarioProgress,
  type ScenarioReport,
} from './runner.js';
export {
  type Constructor,
  checkScenario,
  defineScenario,
  type LeakScenario,
  type Needs,
  SIGNALS,
  type Signal,
} from './scenario.js';
