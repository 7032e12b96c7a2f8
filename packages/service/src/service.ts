import type { RequestListener } from 'node:http';
import type { Database, DatabaseOptions } from '@org/shared-database';
import {
  type Closeable,
  type CloseContext,
  defaultRedactor,
  type ErrorReporter,
  optionChecks,
  report,
  ShutdownCoordinator,
  type ShutdownResult,
} from '@org/shared-lifecycle';
import { createLogger, type Logger } from '@org/shared-logger';
import { createMetrics, type Metrics } from '@org/shared-metrics';
import {
  contextLogFields,
  type MemoryGuard,
  memoryReport,
  type RequestLoggerMiddleware,
} from '@org/shared-middleware';
import type { Express } from 'express';
import type { Knex } from 'knex';
import type { ConfigSpecs, Env, LoadedConfig } from './config.js';
import { EmbeddedPostgres } from './embedded-postgres.js';
import { ServiceError } from './errors.js';
import { healthRoute, type RouteHandler, sendJson } from './health.js';
import { HttpServer } from './http-server.js';
import {
  collectDatabaseStats,
  collectLoggerStats,
  startMemoryGuard,
  startRequestLogger,
} from './observability.js';
import {
  checkServiceConfig,
  drainMsOf,
  environmentOf,
  loadServiceConfig,
  type ServiceConfig,
  type ServiceConfigOf,
} from './specs.js';

/** What createService needs of a service's migrations (codeMigrations() returns one). */
export interface Migrations {
  migrate(knex: Knex): Promise<string[]>;
}

/** The database of a service: createDatabase's options that are not read from the environment, and the migrations. */
export interface ServiceDatabaseOptions
  extends Omit<DatabaseOptions, 'primary' | 'replicas' | 'pool' | 'applicationName' | 'onError'> {
  /** Run on the primary at start when MIGRATE_ON_START (default true); `migrate` runs them on its own. */
  migrations?: Migrations;
}

export interface ServiceOptions<S extends ConfigSpecs = Record<never, never>> {
  name: string;
  version: string;
  /** Default of PORT. Default 3000. */
  port?: number;
  /** The service's own environment variables, validated with the common ones (every problem at once). */
  specs?: S;
  /** A configuration already loaded (by runService, or a test); default: read from `env`. */
  config?: ServiceConfig & LoadedConfig<S>;
  /** Default process.env. */
  env?: Env;
  /** A PostgreSQL primary (DATABASE_URL), replicas, pool and migrations. Default: no database. */
  database?: boolean | ServiceDatabaseOptions;
  /** 'express' (default): service.app is an Express 5 app; 'node': listen(handler) takes a node:http handler. */
  http?: 'express' | 'node';
  /** Install SIGTERM/SIGINT handlers at listen(). Default true; in-process tests pass false. */
  signals?: boolean;
  /** What a signal-started shutdown calls at its end (and at the deadline). Default process.exit. */
  exit?: (code: number) => void;
  /** Console log lines go here instead of stdout (tests). */
  logStream?: NodeJS.WritableStream;
}

const check = optionChecks(
  (message, details) => new ServiceError('ORG_SERVICE_INVALID_OPTION', message, { details }),
);

function checkOptions(options: ServiceOptions<ConfigSpecs>): void {
  if (options === null || typeof options !== 'object')
    throw new ServiceError('ORG_SERVICE_INVALID_OPTION', 'options must be an object', {
      details: { option: 'options' },
    });
  const name = check.string('name', options.name);
  if (!/^[a-z0-9][a-z0-9._-]*$/i.test(name))
    throw new ServiceError(
      'ORG_SERVICE_INVALID_OPTION',
      `name must be a service name ([A-Za-z0-9._-]), got "${name}"`,
      {
        details: { option: 'name', value: name },
      },
    );
  check.string('version', options.version);
  check.oneOf('http', options.http, ['express', 'node'] as const, 'express');
  if (options.port !== undefined) check.number('port', options.port, { min: 0, max: 65535, integer: true });
  check.boolean('signals', options.signals, true);
  if (options.exit !== undefined) check.fn('exit', options.exit);
}

/**
 * A service process, wired in start order: logger → shutdown coordinator → database (an embedded
 * PGlite in a child process when DATABASE_URL is unset, development only) and migrations → metrics
 * with the logger's and the database's stats → memory guard and request logger → the app with
 * /health, /health/live, /metrics, /memory, the memory guard and a JSON body parser. Routes go on
 * `service.app` (or a node:http handler to `listen()`); `listen()` starts serving and installs the
 * signal handlers. The shutdown closes in reverse order: drain (readiness 503, still serving) →
 * HTTP (stop accepting, finish in-flight requests) → the service's own parts (register()) → memory
 * guard → metrics → database → embedded database, and the logger last.
 */
export class Service<C extends ServiceConfig = ServiceConfig> {
  readonly name: string;
  readonly version: string;
  readonly config: C;
  /** SERVICE_ENV, else NODE_ENV, else development. */
  readonly environment: string;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** The one error channel: logged at error level with its context. */
  readonly reportError: ErrorReporter;
  readonly #coordinator: ShutdownCoordinator;
  readonly #signals: boolean;
  readonly #drainMs: number;
  #embedded: EmbeddedPostgres | null = null;
  #database: Database | null = null;
  #guard: MemoryGuard | null = null;
  #requests: RequestLoggerMiddleware | null = null;
  #app: Express | null = null;
  #http: HttpServer | null = null;
  #listening = false;

  /** Use createService(). */
  private constructor(options: ServiceOptions<ConfigSpecs>, config: C, env: Env) {
    this.name = options.name;
    this.version = options.version;
    this.config = config;
    this.environment = environmentOf(config, env);
    this.#signals = options.signals ?? true;
    this.#drainMs = drainMsOf(config, this.environment);
    this.logger = createLogger({
      service: { name: options.name, version: options.version, environment: this.environment },
      level: config.LOG_LEVEL,
      format: logFormatOf(config.LOG_FORMAT, this.environment, options.logStream),
      env,
      // Every line written while serving a request carries its trace.id, span.id, transaction.id and
      // http.request.id (the request logger's AsyncLocalStorage).
      context: contextLogFields,
      ...(config.ELASTICSEARCH_URL ? { elasticsearch: { node: config.ELASTICSEARCH_URL } } : {}),
      ...(options.logStream ? { console: { stream: options.logStream } } : {}),
    });
    const logger = this.logger;
    this.reportError = (error, context) =>
      logger.error(error instanceof Error ? error.message : String(error), { err: error, ...context });
    this.#coordinator = new ShutdownCoordinator({
      timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
      totalTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
      log: (message, fields) => logger.info(message, fields),
      onError: this.reportError,
      // The logger closes last (flushing Elasticsearch), after the shutdown's own lines, within what is left.
      finally: (_result, ctx) => logger.shutdown(ctx),
      ...(options.exit ? { exit: options.exit } : {}),
    });
    this.metrics = createMetrics({ defaultLabels: { service: options.name }, onError: this.reportError });
    this.#coordinator.register('metrics', this.metrics);
    collectLoggerStats(this.metrics, logger);
  }

  /** See createService(). */
  static async create<S extends ConfigSpecs>(
    options: ServiceOptions<S>,
  ): Promise<Service<ServiceConfigOf<S>>> {
    checkOptions(options as ServiceOptions<ConfigSpecs>);
    const env = options.env ?? process.env;
    const config = options.config ?? loadServiceConfig(options, env);
    if (options.config) checkServiceConfig(config, environmentOf(config, env), Boolean(options.database));
    const service = new Service<ServiceConfigOf<S>>(options as ServiceOptions<ConfigSpecs>, config, env);
    try {
      if (options.database) await service.#startDatabase(options.database === true ? {} : options.database);
      await service.#startHttpParts(options.http ?? 'express');
      return service;
    } catch (error) {
      await service.#coordinator.shutdown('start-up failed');
      throw error;
    }
  }

  /** The database (throws ORG_SERVICE_NOT_AVAILABLE when the service was created without one). */
  get database(): Database {
    if (!this.#database)
      throw new ServiceError('ORG_SERVICE_NOT_AVAILABLE', `${this.name} was created without a database`);
    return this.#database;
  }

  /** True when no DATABASE_URL was given and an embedded PGlite (development only) serves the database. */
  get embedded(): boolean {
    return this.#embedded !== null;
  }

  /**
   * The Express app with the request logger, /health, /health/live, /metrics, /memory, the memory
   * guard and `express.json({ limit: BODY_LIMIT })` mounted: add the service's routes after them.
   */
  get app(): Express {
    if (!this.#app)
      throw new ServiceError(
        'ORG_SERVICE_NOT_AVAILABLE',
        `${this.name} was created with http: 'node' (no Express app)`,
      );
    return this.#app;
  }

  /** The URL it serves on, once listen() resolved. */
  get url(): string | undefined {
    return this.#http?.url;
  }

  /** True from the first shutdown signal (or close()): readiness answers 503. */
  get shuttingDown(): boolean {
    return this.#coordinator.shuttingDown;
  }

  /**
   * Registers one of the service's own parts (anything with close(), or a function). Parts close
   * in reverse order of registration, after HTTP has drained and before the memory guard, metrics
   * and database. Returns a function that unregisters it.
   */
  register(
    name: string,
    part: Closeable | ((ctx: CloseContext) => Promise<void> | void),
    options?: { timeoutMs?: number },
  ) {
    return this.#coordinator.register(name, part, options);
  }

  /**
   * Starts serving: the Express app, or (http: 'node') `handler` behind the same request logger,
   * common routes and memory guard. Installs the signal handlers (unless signals: false). Resolves
   * with the URL.
   */
  async listen(handler?: RequestListener): Promise<string> {
    if (this.#listening) throw new ServiceError('ORG_SERVICE_NOT_AVAILABLE', 'listen() was called twice');
    if (this.#coordinator.shuttingDown)
      throw new ServiceError('ORG_SERVICE_NOT_AVAILABLE', 'listen() after close()');
    this.#listening = true;
    const listener = this.#app ?? this.#nodeListener(handler);
    const config = this.config;
    const http = await HttpServer.listen(listener, {
      port: config.PORT,
      host: config.HOST,
      closeTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
      onError: this.reportError,
    });
    this.#http = http;
    this.metrics.collectStats('http_server', () => http.stats(), { counters: ['requests'] });
    // Closed first (registered last): drain (readiness fails, still serving), then stop accepting and
    // finish what is in flight with half of the time left; the other half is for the parts after it.
    this.#coordinator.register('http', (ctx: CloseContext) => http.close(ctx.share(0.5)));
    const drainMs = this.#drainMs;
    this.#coordinator.register('drain', (ctx: CloseContext) => {
      this.logger.info('draining: readiness fails, still serving', { drainMs });
      return http.drain(drainMs, ctx.signal);
    });
    if (this.#signals) this.#coordinator.install();
    this.logger.info(`${this.name} listening on ${http.url}`, {
      url: { full: http.url },
      environment: this.environment,
      embeddedDatabase: this.embedded,
    });
    return http.url;
  }

  /** The ordered shutdown, as on SIGTERM (drain included). Idempotent; never rejects. */
  close(): Promise<ShutdownResult> {
    return this.#coordinator.shutdown('close');
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close().then(() => undefined);
  }

  /** Non-fatal facts for /health: where logs go and whether they get there, the memory guard, the database mode. */
  details(): Record<string, unknown> {
    const es = this.logger.stats().elasticsearch;
    const guard = this.#guard?.stats();
    return {
      logs: es
        ? {
            elasticsearch: {
              reachable: es.reachable,
              buffered: es.buffered,
              sent: es.sent,
              dropped: Object.values(es.dropped).reduce((a, b) => a + b, 0),
              unconfirmed: es.unconfirmed,
            },
          }
        : { elasticsearch: 'off' },
      memoryGuard: { underPressure: guard?.underPressure ?? false, reason: guard?.reason ?? null },
      ...(this.#database ? { database: { embedded: this.embedded } } : {}),
      shuttingDown: this.#http?.draining ?? false,
    };
  }

  async #startDatabase(options: ServiceDatabaseOptions): Promise<void> {
    const config = this.config;
    const { migrations, ...databaseOptions } = options;
    let primary = config.DATABASE_URL;
    let poolMax = config.DB_POOL_MAX ?? 10;
    if (!primary) {
      const embedded = await EmbeddedPostgres.start({
        dataDir: config.EMBEDDED_PG_DATA_DIR || undefined,
        onError: this.reportError,
      });
      this.#embedded = embedded;
      this.#coordinator.register('embedded-postgres', embedded);
      primary = embedded.url;
      // PGlite has one connection: statements of two wire connections would interleave.
      poolMax = 1;
      this.logger.info('no DATABASE_URL: started embedded PostgreSQL (PGlite) in a child process', {
        db: { url: embedded.url, dataDir: config.EMBEDDED_PG_DATA_DIR || 'memory', pid: embedded.pid },
      });
      this.metrics.collectStats('embedded_pg', () => embedded.stats());
    }
    const replicas = this.#embedded ? [] : (config.DATABASE_REPLICA_URLS ?? []);
    // Loaded only by a service with a database (knex and pg are about 13 MB of RSS).
    const { createDatabase } = await import('@org/shared-database');
    const database = createDatabase({
      ...databaseOptions,
      primary,
      replicas,
      pool: { max: poolMax },
      applicationName: this.name,
      onError: this.reportError,
    });
    this.#database = database;
    this.#coordinator.register('database', database);
    collectDatabaseStats(this.metrics, database);
    this.logger.info('database', {
      db: { primary: defaultRedactor.url(primary), replicas: replicas.length, poolMax },
    });
    if ((config.MIGRATE_ON_START ?? true) && migrations) {
      this.logger.info('migrations', { applied: await migrations.migrate(database.primary) });
    }
  }

  async #startHttpParts(form: 'express' | 'node'): Promise<void> {
    const { metrics, logger, reportError: onError } = this;
    const guard = await startMemoryGuard({
      metrics,
      logger,
      onError,
      maxHeapRatio: this.config.MEMORY_GUARD_MAX_HEAP_RATIO,
    });
    this.#guard = guard;
    // A middleware with close(): the coordinator closes it (it does not call it).
    this.#coordinator.register('memory-guard', guard);
    this.#requests = startRequestLogger({ metrics, logger, onError });
    if (form === 'express') this.#app = await this.#expressApp();
  }

  /** /health, /health/live, /metrics and /memory, by path. */
  #commonRoutes(): Record<string, RouteHandler> {
    const health = healthRoute({
      database: this.#database,
      logger: this.logger,
      draining: () => this.#http?.draining ?? false,
      details: () => this.details(),
    });
    const token = this.config.METRICS_TOKEN;
    const embedded = this.#embedded;
    return {
      '/health': health,
      '/health/live': health,
      '/metrics': this.metrics.handler(token ? { bearerToken: token } : {}) as RouteHandler,
      '/memory': (req, res) =>
        sendJson(req, res, 200, {
          ...memoryReport(),
          ...(embedded ? { embeddedPostgres: embedded.stats() } : {}),
        }),
    };
  }

  async #expressApp(): Promise<Express> {
    const { default: express } = await import('express');
    const app = express();
    app.disable('x-powered-by');
    app.use(this.#requests as RequestLoggerMiddleware);
    // One route each: distinct route labels in logs and metrics.
    for (const [path, route] of Object.entries(this.#commonRoutes())) app.get(path, route);
    app.use(this.#guard as MemoryGuard);
    app.use(express.json({ limit: this.config.BODY_LIMIT }));
    return app;
  }

  #nodeListener(handler: RequestListener | undefined): RequestListener {
    if (typeof handler !== 'function') {
      throw new ServiceError(
        'ORG_SERVICE_INVALID_OPTION',
        "listen(handler): a node:http handler is required with http: 'node'",
        {
          details: { option: 'handler' },
        },
      );
    }
    const routes = this.#commonRoutes();
    const requests = this.#requests as RequestLoggerMiddleware;
    const guard = this.#guard as MemoryGuard;
    const onError = this.reportError;
    const fail =
      (req: Parameters<RequestListener>[0], res: Parameters<RequestListener>[1]) => (error: unknown) => {
        report(onError, error, { source: 'http', method: req.method, path: req.url });
        if (!res.headersSent)
          sendJson(req, res, 500, { error: { code: 'ORG_SERVICE_INTERNAL', message: 'internal error' } });
        else res.destroy();
      };
    return (req, res) => {
      requests(req, res, () => {
        const route = routes[(req.url ?? '/').split('?')[0] ?? '/'];
        if (route && (req.method === 'GET' || req.method === 'HEAD')) return route(req, res, fail(req, res));
        guard(req, res, () => {
          try {
            Promise.resolve(handler(req, res)).catch(fail(req, res));
          } catch (error) {
            fail(req, res)(error);
          }
        });
      });
    };
  }
}

/**
 * LOG_FORMAT when set; otherwise pretty for a person at a terminal (not production, stdout a TTY, no
 * logStream of the caller's), JSON for everything that collects logs.
 */
export function logFormatOf(
  configured: string,
  environment: string,
  logStream: NodeJS.WritableStream | undefined,
): 'json' | 'pretty' {
  if (configured === 'json' || configured === 'pretty') return configured;
  return environment !== 'production' && logStream === undefined && process.stdout.isTTY === true
    ? 'pretty'
    : 'json';
}

/**
 * Creates a service (see Service): reads and checks the configuration, starts the logger, the
 * database, metrics and the common HTTP parts. Add routes to `service.app`, then `await service.listen()`.
 * A failure half-way closes what started and rethrows.
 */
export function createService<S extends ConfigSpecs = Record<never, never>>(
  options: ServiceOptions<S>,
): Promise<Service<ServiceConfigOf<S>>> {
  return Service.create(options);
}
