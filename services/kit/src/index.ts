export {
  CLI_EXIT,
  type CliCommand,
  type CliOptions,
  runCli,
  runServiceCli,
  usage,
} from './cli.js';
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
  type ServiceConfig,
  serviceSpecs,
  str,
  url,
  urlList,
} from './config.js';
export { EmbeddedPostgres, type EmbeddedPostgresOptions } from './embedded-postgres.js';
export { SERVICE_ERROR_CODES, ServiceError, type ServiceErrorCode } from './errors.js';
export {
  packageVersion,
  type RunningService,
  ServiceHost,
  type ServiceHostOptions,
  type StartOptions,
} from './host.js';
export { HttpServer, type HttpServerOptions, type HttpServerStats } from './http-server.js';
export { type CodeMigrations, codeMigrations, type Migration } from './migrations.js';
