export { createLogger } from './create-logger.js';
export { ECS_VERSION, type ServiceInfo } from './ecs-options.js';
export { LOGGER_ERROR_CODES, LoggerError, type LoggerErrorCode } from './errors.js';
export {
  ElasticsearchTransport,
  type ElasticsearchTransportOptions,
  type ElasticsearchTransportStats,
} from './es-transport.js';
export { LEVELS, type Level, LOG_FORMATS, type LogFormat, resolveFormat, resolveLevel } from './level.js';
export type { FileOptions, Logger, LoggerOptions, LoggerStats } from './logger-types.js';
export { DEFAULT_REDACT_KEYS, REDACTED } from './sanitize.js';
