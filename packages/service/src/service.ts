// The service process: its parts started in order, listen(), the ordered shutdown, createService().
import type { RequestListener } from 'node:http';
import type { Database } from '@org/shared-database';
import {
  type Closeable,
  type CloseContext,
  defaultRedactor,
  type ErrorReporter,
  ShutdownCoordinator,
  type ShutdownResult,
} from '@org/shared-lifecycle';
import { createLogger, type Logger } from '@org/shared-logger';
import { createMetrics, type Metrics } from '@org/shared-metrics';
import { contextLogFields, type MemoryGuard, type RequestLoggerMiddleware } from '@org/shared-middleware';
import type { Express } from 'express';
import type { ConfigSpecs, Env } from './config.js';
import { EmbeddedPostgres } from './embedded-postgres.js';
import { ServiceError } from './errors.js';
import { HttpServer } from './http-server.js';
import {
  collectDatabaseStats,
  collectLoggerStats,
  startMemoryGuard,
  startRequestLogger,
} from './observability.js';
import { commonRoutes, expressApp, type FrontParts, nodeListener } from './service-http.js';
import { checkOptions, type ServiceDatabaseOptions, type ServiceOptions } from './service-options.js';
import {
  checkServiceConfig,
  drainMsOf,
  environmentOf,
  loadServiceConfig,
  type ServiceConfig,
  type ServiceConfigOf,
} from './specs.js';

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
    const listener = this.#app ?? nodeListener(handler, this.#front());
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
    if (form === 'express') this.#app = await expressApp(this.#front(), this.config.BODY_LIMIT);
  }

  /** The request logger, memory guard and common routes, once started. */
  #front(): FrontParts {
    return {
      requests: this.#requests as RequestLoggerMiddleware,
      guard: this.#guard as MemoryGuard,
      routes: () =>
        commonRoutes({
          database: this.#database,
          logger: this.logger,
          metrics: this.metrics,
          metricsToken: this.config.METRICS_TOKEN,
          embedded: this.#embedded,
          draining: () => this.#http?.draining ?? false,
          details: () => this.details(),
        }),
      onError: this.reportError,
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
