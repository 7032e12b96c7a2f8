export { type Check, judgeMemory, type MemoryOptions, type MemoryVerdicts, runChecks } from './checks.js';
export type {
  BoundsSpec,
  CapSpec,
  ConfigContext,
  ConfigInput,
  EnduranceConfig,
  FaultSpec,
  LoadRequest,
  LoadSpec,
  LoadTarget,
  LostDataSpec,
  ServiceSpec,
} from './config.js';
export { defineConfig } from './config.js';
export { checkConfig, DEFAULT_CONFIG_FILES, importConfig } from './config-check.js';
export { formatDuration, parseDuration } from './duration.js';
export { ENDURANCE_ERROR_CODES, EnduranceError, type EnduranceErrorCode } from './errors.js';
export {
  commandFault,
  type ElasticsearchFaultController,
  elasticsearchFaults,
  postgresFaults,
  runCommand,
  runSql,
  sqlFault,
  type Window,
} from './faults.js';
export { appendHistory, readHistory, type Trend, type TrendRow, trend } from './history.js';
export { httpCount, sqlCount } from './lost-data.js';
export {
  BYTECODE_OLD_AGE,
  type CheckStatus,
  defaultHeapSlopeLimit,
  defaultRssSlopeLimit,
  defaultWarmUpS,
  heapVerdict,
  minMajorGcs,
  postGcPoints,
  rssVerdict,
  type SlopeOptions,
  type SlopeVerdict,
  settledFromS,
} from './memory-verdict.js';
export { readReport, renderPage, samplesCsv, writeReport } from './report/write.js';
export { type RunOptions, resolveConfig, runEndurance } from './run.js';
export {
  type ColumnSpec,
  NODE_COLUMNS,
  ORG_SHARED_COLUMNS,
  parsePrometheus,
  readColumns,
} from './sampler.js';
export { coarsen, type RecordedSeries, SeriesStore, type ServiceSeries } from './series.js';
export { linearRegression, type Point, type TheilSen, theilSen, windowMinima } from './stats.js';
export { type HistoryEntry, historyEntry, type RunSummary } from './summary.js';
