export { type CounterChild, GuardedCounter } from './counter.js';
export {
  DEFAULT_METRIC_NAMES,
  type DefaultMetricsOptions,
  PROM_CLIENT_TOTAL_GAUGES,
} from './default-metrics.js';
export { METRICS_ERROR_CODES, MetricsError, type MetricsErrorCode } from './errors.js';
export {
  type ExpositionContentType,
  negotiateContentType,
  OPENMETRICS_CONTENT_TYPE,
  PROMETHEUS_CONTENT_TYPE,
} from './exposition.js';
export { type GaugeChild, GuardedGauge } from './gauge.js';
export type { GuardStats, Labels } from './guard.js';
export type { HandlerOptions, MetricsHandler } from './handler.js';
export { DEFAULT_BUCKETS, GuardedHistogram, type HistogramChild } from './histogram.js';
export {
  createMetrics,
  type HistogramConfig,
  type MetricConfig,
  Metrics,
  type MetricsStats,
} from './metrics.js';
export { OVERFLOW_LABEL } from './names.js';
export { DEFAULTS as METRICS_DEFAULTS, type MetricsOptions } from './options.js';
export type {
  CollectStatsOptions,
  StatsCollector,
  StatsPath,
  StatsSnapshot,
  StatsValue,
} from './stats-collector.js';
