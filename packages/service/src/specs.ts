/**
 * The environment variables every service reads, and the rules that depend on the environment
 * (development or production).
 */
import { EnvError, makeValidator } from 'envalid';
import {
  bool,
  byteSize,
  type ConfigSpecs,
  configError,
  type Env,
  int,
  type LoadedConfig,
  loadConfig,
  optionalInt,
  optionalUrl,
  str,
  urlList,
} from './config.js';
import { ServiceError } from './errors.js';

/** An optional fraction in (0, 1]; '' or unset is undefined. */
const optionalRatio = makeValidator<number | undefined>((input) => {
  if (input.trim() === '') return undefined;
  const value = Number(input);
  if (!(value > 0 && value <= 1)) throw new EnvError(`expected a number in (0, 1], got "${input}"`);
  return value;
});

const PG_PROTOCOLS = ['postgres:', 'postgresql:'];

/** HTTP, logs, memory guard, metrics and shutdown. */
export function commonSpecs(defaults: { port?: number | undefined } = {}) {
  return {
    PORT: int({
      desc: 'HTTP port (0 picks a free one).',
      default: defaults.port ?? 3000,
      min: 0,
      max: 65535,
    }),
    HOST: str({ desc: 'Interface to listen on (0.0.0.0 in containers).', default: '127.0.0.1' }),
    SERVICE_ENV: str({
      desc: 'Environment name in logs and metrics; "production" turns on the production rules (DATABASE_URL required, drain delay). Unset: NODE_ENV, else development.',
      default: '',
    }),
    LOG_LEVEL: str({
      desc: 'Lowest level logged.',
      choices: ['error', 'warn', 'info', 'http', 'verbose', 'debug'],
      default: 'info',
    }),
    LOG_FORMAT: str({
      desc: 'Console format: json (ECS lines) or pretty (one readable line per entry). Unset: pretty when not in production and stdout is a terminal, else json.',
      choices: ['', 'json', 'pretty'],
      default: '',
    }),
    ELASTICSEARCH_URL: optionalUrl(
      'Elasticsearch for logs (as well as the console); unset: console only (the client is not even loaded).',
      ['http:', 'https:'],
    ),
    BODY_LIMIT: byteSize({ desc: 'Largest JSON request body (e.g. 1mb, 512kb).', default: 1024 * 1024 }),
    MEMORY_GUARD_MAX_HEAP_RATIO: optionalRatio({
      desc: "Answer 503 to new requests while V8 heap used / V8's heap limit is above this (sampled every second). Unset: the memory guard's own default.",
      default: undefined,
    }),
    METRICS_TOKEN: str({ desc: 'Bearer token required on /metrics; empty: open.', default: '' }),
    SHUTDOWN_DRAIN_MS: optionalInt({
      desc: 'On SIGTERM, readiness answers 503 and the server keeps serving this long (with Connection: close) before it stops accepting, so the load balancer can take it out. Unset: 5000 in production, 0 elsewhere.',
      min: 0,
      max: 600_000,
    }),
    SHUTDOWN_TIMEOUT_MS: int({
      desc: 'Deadline for the whole shutdown on SIGTERM/SIGINT, drain included.',
      default: 10_000,
      min: 100,
      max: 900_000,
    }),
  };
}

/** The primary, replicas, pool, migrations and the embedded database of development. */
export function databaseSpecs(defaults: { replicasDesc?: string } = {}) {
  return {
    DATABASE_URL: optionalUrl(
      'Primary PostgreSQL. Required in production; unset elsewhere: an embedded PGlite database in a child process (development only).',
      PG_PROTOCOLS,
    ),
    DATABASE_REPLICA_URLS: urlList(
      defaults.replicasDesc ?? 'Comma-separated read replicas (reads go there while fresh).',
      PG_PROTOCOLS,
    ),
    EMBEDDED_PG_DATA_DIR: str({
      desc: 'Data directory of the embedded database; empty: in memory.',
      default: '',
    }),
    DB_POOL_MAX: int({
      desc: 'Most connections per PostgreSQL server (embedded: 1, PGlite serves one connection).',
      default: 10,
      min: 1,
      max: 100,
    }),
    MIGRATE_ON_START: bool({
      desc: 'Run pending migrations at start-up (else run the "migrate" command).',
      default: true,
    }),
  };
}

export type CommonSpecs = ReturnType<typeof commonSpecs>;
export type DatabaseSpecs = ReturnType<typeof databaseSpecs>;

/** Every variable a service with a database reads (the common ones and the database's). */
export function serviceSpecs(defaults: { port?: number | undefined; replicasDesc?: string } = {}) {
  return { ...commonSpecs(defaults), ...databaseSpecs(defaults) };
}

export type ServiceSpecs = ReturnType<typeof serviceSpecs>;

/**
 * What createService reads of the configuration. The database variables are there when the
 * service was created with a database.
 */
export type ServiceConfig = LoadedConfig<CommonSpecs> & Partial<LoadedConfig<DatabaseSpecs>>;

/** The environment: SERVICE_ENV when set, else NODE_ENV, else development. */
export function environmentOf(config: { SERVICE_ENV?: string | undefined }, env: Env = process.env): string {
  return config.SERVICE_ENV || env.NODE_ENV || 'development';
}

export const DEFAULT_PRODUCTION_DRAIN_MS = 5000;

/** SHUTDOWN_DRAIN_MS, or its default for the environment: no load balancer to wait for in development. */
export function drainMsOf(config: ServiceConfig, environment: string): number {
  return config.SHUTDOWN_DRAIN_MS ?? (environment === 'production' ? DEFAULT_PRODUCTION_DRAIN_MS : 0);
}

/**
 * The rules between variables and of the environment, after each variable is valid on its own:
 * the drain must leave time to close (ORG_SERVICE_CONFIG_INVALID), and a service with a database
 * needs DATABASE_URL in production (ORG_SERVICE_DATABASE_REQUIRED): the embedded database is for
 * development only, never a silent in-memory database in production.
 */
export function checkServiceConfig(config: ServiceConfig, environment: string, usesDatabase: boolean): void {
  const drainMs = drainMsOf(config, environment);
  if (drainMs >= config.SHUTDOWN_TIMEOUT_MS) {
    throw configError([
      {
        name: 'SHUTDOWN_DRAIN_MS',
        problem: `must be below SHUTDOWN_TIMEOUT_MS (${config.SHUTDOWN_TIMEOUT_MS}), got ${drainMs}${
          config.SHUTDOWN_DRAIN_MS === undefined ? ` (the ${environment} default)` : ''
        }`,
      },
    ]);
  }
  if (usesDatabase && environment === 'production' && !config.DATABASE_URL) {
    throw new ServiceError(
      'ORG_SERVICE_DATABASE_REQUIRED',
      'DATABASE_URL is not set, and the service runs in production: set DATABASE_URL=postgres://user:password@host:5432/database (and DATABASE_REPLICA_URLS for read replicas). The embedded database is for development only (SERVICE_ENV=development).',
      { details: { environment, variable: 'DATABASE_URL' } },
    );
  }
}

export type ServiceConfigOf<S extends ConfigSpecs> = ServiceConfig & LoadedConfig<S>;

/** What decides a service's variables: PORT's default, its own specs, and whether it has a database. */
export interface ServiceShape<S extends ConfigSpecs> {
  port?: number | undefined;
  specs?: S | undefined;
  database?: unknown;
}

/** The specs of a service: the common ones, the database's when it has one, its own. */
export function specsFor<S extends ConfigSpecs>(shape: ServiceShape<S>) {
  const base = shape.database ? serviceSpecs({ port: shape.port }) : commonSpecs({ port: shape.port });
  return { ...base, ...(shape.specs ?? ({} as S)) };
}

/**
 * Validates the environment for a service: every variable (all problems at once), then the rules
 * between them and of production. Throws ORG_SERVICE_CONFIG_INVALID or ORG_SERVICE_DATABASE_REQUIRED.
 */
export function loadServiceConfig<S extends ConfigSpecs>(
  shape: ServiceShape<S>,
  env: Env = process.env,
): ServiceConfigOf<S> {
  const config = loadConfig(specsFor(shape), env) as unknown as ServiceConfigOf<S>;
  checkServiceConfig(config, environmentOf(config, env), Boolean(shape.database));
  return config;
}
