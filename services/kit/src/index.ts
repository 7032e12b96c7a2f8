export { CLI_EXIT, type CliCommand, type CliOptions, runCli, usage } from './cli.js';
export {
  bool,
  byteSize,
  type ConfigSpecs,
  helpText,
  int,
  type LoadedConfig,
  loadConfig,
  num,
  optionalUrl,
  port,
  ratio,
  redact,
  str,
  url,
  urlList,
} from './config.js';
export { consoleLog, type LogFn, type LogLevel } from './console-log.js';
export { EmbeddedPostgres, type EmbeddedPostgresOptions } from './embedded-postgres.js';
export { SERVICE_ERROR_CODES, ServiceError, type ServiceErrorCode } from './errors.js';
export { HttpServer, type HttpServerOptions, type HttpServerStats } from './http-server.js';
export { type KnexPoolOptions, openKnex } from './knex-database.js';
export { memoryGuard, type Observability, observability } from './observability.js';
export { ServiceRuntime, type ServiceRuntimeOptions } from './runtime.js';
