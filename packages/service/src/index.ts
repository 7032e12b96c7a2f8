export {
  CLI_EXIT,
  type CliCommand,
  type CliOptions,
  runCli,
  runServiceCli,
  type ServiceCliOptions,
  usage,
} from './cli.js';
export {
  bool,
  byteSize,
  type ConfigProblem,
  type ConfigSpecs,
  configError,
  type Env,
  helpText,
  int,
  type LoadedConfig,
  loadConfig,
  num,
  optionalInt,
  optionalUrl,
  port,
  ratio,
  str,
  url,
  urlList,
} from './config.js';
export {
  EmbeddedPostgres,
  type EmbeddedPostgresOptions,
  type EmbeddedPostgresStats,
} from './embedded-postgres.js';
export { SERVICE_ERROR_CODES, ServiceError, type ServiceErrorCode } from './errors.js';
export { HttpServer, type HttpServerOptions, type HttpServerStats } from './http-server.js';
export { type CodeMigrations, codeMigrations, type Migration } from './migrations.js';
export { createService, Service } from './service.js';
export type { Migrations, ServiceDatabaseOptions, ServiceOptions } from './service-options.js';
export {
  type CommonSpecs,
  commonSpecs,
  type DatabaseSpecs,
  DEFAULT_PRODUCTION_DRAIN_MS,
  databaseSpecs,
  environmentOf,
  loadServiceConfig,
  type ServiceConfig,
  type ServiceConfigOf,
  type ServiceShape,
  type ServiceSpecs,
  serviceSpecs,
  specsFor,
} from './specs.js';
export { packageVersion } from './version.js';
