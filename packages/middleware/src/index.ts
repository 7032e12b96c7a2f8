// Request logging and context
export { type BodyLog, type BodySkipReason, defaultIsTextual } from './body-capture.js';
export {
  CaptureBudget,
  type CaptureBudgetOptions,
  type CaptureBudgetStats,
  globalCaptureBudget,
} from './capture-budget.js';
export type { TrustProxy } from './client-address.js';
export { DEFAULT_PROBE_PATHS, type RequestLoggerOptions } from './config.js';
export {
  type ContextLogFields,
  contextLogFields,
  type RequestContext,
  requestContext,
  runWithContext,
} from './context.js';
export {
  type ErrorHandlerOptions,
  type ErrorMiddleware,
  errorHandler,
  handleError,
  recordError,
} from './error-handler.js';
export { MIDDLEWARE_ERROR_CODES, MiddlewareError, type MiddlewareErrorCode } from './errors.js';
// Health, memory guard and /memory
export {
  type CheckResult,
  type HealthCheck,
  type HealthCheckSpec,
  type HealthHandlerOptions,
  type HealthReport,
  healthHandler,
} from './health.js';
export { type MetricsConvention, OTEL_DURATION_BUCKETS } from './http-metrics.js';
export {
  defaultThresholds,
  MEMORY_GUARD_DEFAULTS,
  MEMORY_GUARD_STATS_METRICS,
  type MemoryGuard,
  type MemoryGuardOptions,
  type MemoryGuardStats,
  type MemorySample,
  type MemoryThresholds,
  type MemoryUsageLike,
  memoryGuard,
  type PressureReason,
} from './memory-guard.js';
export {
  type MemoryHandlerOptions,
  type MemoryReport,
  memoryHandler,
  memoryReport,
} from './memory-handler.js';
export {
  type ContainerLimitSource,
  type MemoryLimits,
  type MemoryLimitsSources,
  memoryLimits,
  type OldGenerationSource,
} from './memory-limits.js';
export {
  getRequestId,
  type LoggedHandler,
  REQUEST_LOGGER_STATS_METRICS,
  type RequestLoggerMiddleware,
  requestLogger,
  withRequestLogging,
} from './request-logger.js';
export { sendJson } from './respond.js';
export { normalizePath, UNMATCHED_ROUTE } from './route.js';
export type { RequestLoggerStats } from './state.js';
export {
  formatTraceparent,
  type ParsedTraceparent,
  parseTraceparent,
  parseTracestate,
} from './trace-context.js';
export type {
  EndpointHandler,
  HistogramLike,
  HistogramSpec,
  LogSink,
  MetricsLike,
  Middleware,
  NodeHandler,
  RequestLogEntry,
} from './types.js';
