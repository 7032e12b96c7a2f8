export { type BodyLog, type BodySkipReason, defaultIsTextual } from './body-capture.js';
export {
  CaptureBudget,
  type CaptureBudgetOptions,
  type CaptureBudgetStats,
  globalCaptureBudget,
} from './capture-budget.js';
export type { TrustProxy } from './client-address.js';
export { MIDDLEWARE_ERROR_CODES, MiddlewareError, type MiddlewareErrorCode } from './errors.js';
export {
  type CheckResult,
  type HealthCheck,
  type HealthCheckSpec,
  type HealthHandlerOptions,
  type HealthReport,
  healthHandler,
} from './health.js';
export {
  type MemoryGuard,
  type MemoryGuardOptions,
  type MemoryGuardStats,
  type MemorySample,
  type MemoryUsageLike,
  memoryGuard,
  type PressureReason,
} from './memory-guard.js';
export { type EndpointHandler, type MemoryReport, memoryHandler, memoryReport } from './memory-handler.js';
export { DEFAULT_REDACT_BODY_KEYS, DEFAULT_REDACT_HEADERS, REDACTED, redactBody } from './redact.js';
export {
  getRequestId,
  type HistogramConfig,
  type HistogramLike,
  type LoggedHandler,
  type LogSink,
  type MetricsLike,
  type Middleware,
  type NodeHandler,
  type RequestLogEntry,
  type RequestLoggerMiddleware,
  type RequestLoggerOptions,
  type RequestLoggerStats,
  requestLogger,
  withRequestLogging,
} from './request-logger.js';
export { normalizePath, UNMATCHED_ROUTE } from './route.js';
