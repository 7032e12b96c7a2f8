import { readFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import {
  createDatabase,
  type Database,
  type DatabaseOptions,
  type DatabaseStats,
  redactUrl,
} from '@org/shared-database';
import { type ErrorReporter, ShutdownCoordinator, type ShutdownResult } from '@org/shared-lifecycle';
import { createLogger, type Logger, type LoggerStats } from '@org/shared-logger';
import { createMetrics, type Metrics, type StatsPath } from '@org/shared-metrics';
import {
  healthHandler,
  type MemoryGuard,
  memoryGuard,
  memoryHandler,
  type RequestLoggerMiddleware,
  requestLogger,
} from '@org/shared-middleware';
import express, { type Express, type RequestHandler } from 'express';
import type { Knex } from 'knex';
import type { ServiceConfig } from './config.js';
import { EmbeddedPostgres } from './embedded-postgres.js';
import { HttpServer } from './http-server.js';

export interface ServiceHostOptions {
  name: string;
  version: string;
  config: ServiceConfig;
  /** More options for createDatabase (lag thresholds, monitor, read-your-writes). */
  database?: Omit<DatabaseOptions, 'primary' | 'replicas' | 'pool' | 'applicationName' | 'onError'>;
  /** Runs the pending migrations on the primary when MIGRATE_ON_START; returns the names applied. */
  migrate?: (knex: Knex) => Promise<string[]>;
  /** Console log lines go here instead of stdout (tests). */
  logStream?: NodeJS.WritableStream;
  /** Install SIGTERM/SIGINT handlers (`coordinator.install()`; the CLI does, in-process tests do not). */
  installSignals?: boolean;
  /** What a signal-started shutdown calls at its end, and at the overall deadline. Default process.exit. */
  exit?: (code: number) => void;
}

/** What a service's start function takes: logStream (tests), installSignals (the CLI), exit. */
export type StartOptions = Pick<ServiceHostOptions, 'logStream' | 'installSignals' | 'exit'>;

/** The version in the package.json next to a module's folder (src/ or dist/): `packageVersion(import.meta.url)`. */
export function packageVersion(moduleUrl: string): string {
  return (JSON.parse(readFileSync(new URL('../package.json', moduleUrl), 'utf8')) as { version: string })
    .version;
}

/** What a started service hands back: its URL and the ordered shutdown. */
export interface RunningService {
  readonly url: string;
  readonly host: ServiceHost;
  /** The ordered shutdown, as on SIGTERM. */
  close(): Promise<ShutdownResult>;
}

/** Histogram/counter names the alert rules of @org/shared-metrics expect (`logger_*`, `db_*`). */
const LOGGER_COUNTERS: readonly StatsPath<LoggerStats>[] = [
  'logged',
  'formatErrors',
  'droppedAfterShutdown',
  'elasticsearch.logged',
  'elasticsearch.sent',
  'elasticsearch.dropped',
  'elasticsearch.retries',
  'elasticsearch.requests',
  'elasticsearch.failedRequests',
];
const DB_COUNTERS: readonly StatsPath<DatabaseStats>[] = [
  'monitor.polls',
  'monitor.pollErrors',
  'routing',
  'writers.written',
  'writers.batches',
  'writers.retried',
  'writers.flushes',
  'writers.dropped',
];

/**
 * Wires the packages into one service process, in start order: logger (@org/shared-logger; console,
 * and Elasticsearch when ELASTICSEARCH_URL is set) → shutdown coordinator (@org/shared-lifecycle) →
 * embedded PostgreSQL when DATABASE_URL is unset → database (@org/shared-database) and migrations →
 * metrics (@org/shared-metrics, with the logger's and database's stats()) → memory guard
 * (@org/shared-middleware) → the service's own parts → HTTP. Each piece is registered as it starts,
 * so a failure half-way closes what already started, and a shutdown closes in reverse order:
 * HTTP (drain) → the service's parts → memory guard → metrics → database → embedded PostgreSQL,
 * and the logger last of all (after the "shutdown finished" line).
 */
export class ServiceHost {
  readonly name: string;
  readonly config: ServiceConfig;
  readonly logger: Logger;
  /**
   * Closes what was registered in reverse order, each step and (when a signal started it) the whole
   * shutdown within SHUTDOWN_TIMEOUT_MS; a repeated Ctrl-C within 1 s is the same stop; the logger
   * is shut down in its `finally`, after the "shutdown finished" line. The service registers its own
   * parts here.
   */
  readonly coordinator: ShutdownCoordinator;
  readonly reportError: ErrorReporter;
  #embedded: EmbeddedPostgres | null = null;
  #database: Database | null = null;
  #metrics: Metrics | null = null;
  #guard: MemoryGuard | null = null;
  #requests: RequestLoggerMiddleware | null = null;
  #http: HttpServer | null = null;

  private constructor(options: ServiceHostOptions) {
    this.name = options.name;
    this.config = options.config;
    const config = options.config;
    this.logger = createLogger({
      service: { name: options.name, version: options.version, environment: config.SERVICE_ENV },
      level: config.LOG_LEVEL,
      ...(config.ELASTICSEARCH_URL ? { elasticsearch: { node: config.ELASTICSEARCH_URL } } : {}),
      ...(options.logStream ? { console: { stream: options.logStream } } : {}),
      shutdownTimeoutMs: Math.max(100, config.SHUTDOWN_TIMEOUT_MS - 500),
    });
    this.reportError = (error, context) =>
      this.logger.error(error instanceof Error ? error.message : String(error), { err: error, ...context });
    this.coordinator = new ShutdownCoordinator({
      timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
      totalTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
      log: (message, fields) => this.logger.info(message, fields),
      onError: this.reportError,
      // The logger closes last (flushing Elasticsearch), after the shutdown's own lines.
      finally: () => this.logger.shutdown(),
      ...(options.exit ? { exit: options.exit } : {}),
    });
  }

  /**
   * Starts the common parts, then `build` (the service's own parts and routes on host.app()), then
   * listens. On any failure what started is closed and the error is thrown.
   */
  static async start<T extends { app: Express }>(
    options: ServiceHostOptions,
    build: (host: ServiceHost) => Promise<T> | T,
  ): Promise<Omit<T, 'app'> & RunningService> {
    const host = new ServiceHost(options);
    try {
      await host.#startDatabase(options);
      await host.#startObservability();
      const { app, ...rest } = await build(host);
      const url = await host.#listen(app, options.installSignals === true);
      return { ...rest, url, host, close: () => host.coordinator.shutdown('close') };
    } catch (error) {
      await host.coordinator.shutdown('start-up failed');
      throw error;
    }
  }

  get database(): Database {
    if (!this.#database) throw new Error('database not started');
    return this.#database;
  }

  get metrics(): Metrics {
    if (!this.#metrics) throw new Error('metrics not started');
    return this.#metrics;
  }

  /** True when no DATABASE_URL was given and PGlite serves the database. */
  get embedded(): boolean {
    return this.#embedded !== null;
  }

  get url(): string | undefined {
    return this.#http?.url;
  }

  async #startDatabase(options: ServiceHostOptions): Promise<void> {
    const config = this.config;
    let primary = config.DATABASE_URL;
    let poolMax = config.DB_POOL_MAX;
    if (!primary) {
      const embedded = await EmbeddedPostgres.start({ dataDir: config.EMBEDDED_PG_DATA_DIR || undefined });
      this.#embedded = embedded;
      this.coordinator.register('embedded-postgres', embedded);
      primary = embedded.url;
      poolMax = Math.min(poolMax, embedded.maxConnections);
      this.logger.info('no DATABASE_URL: started embedded PostgreSQL (PGlite)', {
        db: { url: embedded.url, dataDir: config.EMBEDDED_PG_DATA_DIR || 'memory' },
      });
    }
    const replicas = this.#embedded ? [] : config.DATABASE_REPLICA_URLS;
    const database = createDatabase({
      ...options.database,
      primary,
      replicas,
      pool: { max: poolMax },
      applicationName: this.name,
      onError: this.reportError,
    });
    this.#database = database;
    this.coordinator.register('database', database);
    this.logger.info('database', { db: { primary: redactUrl(primary), replicas: replicas.length } });
    if (config.MIGRATE_ON_START && options.migrate) {
      this.logger.info('migrations', { applied: await options.migrate(database.primary) });
    }
  }

  async #startObservability(): Promise<void> {
    const metrics = createMetrics({ defaultLabels: { service: this.name }, onError: this.reportError });
    this.#metrics = metrics;
    this.coordinator.register('metrics', metrics);
    const logger = this.logger;
    metrics.collectStats('logger', () => logger.stats(), {
      labels: { 'elasticsearch.dropped': 'reason' },
      counters: LOGGER_COUNTERS,
    });
    const database = this.database;
    metrics.collectStats('db', () => database.stats(), {
      labels: { pools: 'pool', replicas: 'replica', writers: 'writer', routing: 'target' },
      counters: DB_COUNTERS,
    });
    const embedded = this.#embedded;
    if (embedded) metrics.collectStats('embedded_pg', () => embedded.stats());

    const heapLimit = getHeapStatistics().heap_size_limit;
    const guard = memoryGuard({
      maxHeapUsedBytes: Math.max(1, Math.floor(this.config.MEMORY_GUARD_MAX_HEAP_RATIO * heapLimit)),
      logger,
      onError: this.reportError,
    });
    this.#guard = guard;
    // A middleware with close(): the coordinator closes it (it does not call it).
    this.coordinator.register('memory-guard', guard);
    // Armed from the first request: one sample now, then every second on the guard's own timer.
    await guard.sample();
    // The whole stats(): lastSample.heapTotal becomes memory_guard_last_sample_heap_total_value.
    metrics.collectStats('memory_guard', () => guard.stats(), {
      counters: ['episodes', 'rejected', 'samples'],
    });
    const requests = requestLogger({ logger, metrics, onError: this.reportError });
    this.#requests = requests;
    metrics.collectStats('request_logger', () => requests.stats(), {
      counters: ['requests', 'logged', 'aborted', 'truncatedBodies', 'logErrors', 'metricErrors'],
    });
  }

  /**
   * An Express app with what every service has: the request logger on every request, `/health`
   * (readiness: the database; `/health/live`: the process), `/metrics`, `/memory`, then the memory
   * guard (those three stay reachable under pressure) and a JSON body parser limited to BODY_LIMIT.
   */
  app(): Express {
    const guard = this.#guard;
    const requests = this.#requests;
    if (!guard || !requests) throw new Error('observability not started');
    const app = express();
    app.disable('x-powered-by');
    app.use(requests as RequestHandler);
    app.get(['/health', '/health/live'], this.#healthRoute());
    const token = this.config.METRICS_TOKEN;
    app.get('/metrics', this.metrics.handler(token ? { bearerToken: token } : {}));
    app.get('/memory', memoryHandler());
    app.use(guard as RequestHandler);
    app.use(express.json({ limit: this.config.BODY_LIMIT }));
    return app;
  }

  /**
   * healthHandler's report plus non-fatal details. Elasticsearch is a non-critical check: logs are
   * buffered (bounded) while it is down, so it makes the answer "degraded", never unready.
   */
  #healthRoute(): RequestHandler {
    const database = this.database;
    const logger = this.logger;
    const health = healthHandler({
      checks: {
        database: async () => {
          const result = await database.health();
          if (!result.ok) throw new Error(result.primary.error ?? 'primary unreachable');
        },
        ...(logger.elasticsearch
          ? {
              elasticsearch: {
                critical: false,
                check: () => {
                  const es = logger.stats().elasticsearch;
                  if (es && !es.reachable)
                    throw new Error(es.lastError?.message ?? 'Elasticsearch unreachable');
                },
              },
            }
          : {}),
      },
      timeoutMs: 3000,
    });
    return (req, res, next) => {
      const probe = req.path.endsWith('/live') ? 'liveness' : 'readiness';
      health.run(probe).then((report) => {
        res.status(report.status === 'fail' ? 503 : 200).json({ ...report, details: this.details() });
      }, next);
    };
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
            },
          }
        : { elasticsearch: 'off' },
      memoryGuard: { underPressure: guard?.underPressure ?? false, reason: guard?.reason ?? null },
      database: { embedded: this.embedded },
    };
  }

  async #listen(app: Express, installSignals: boolean): Promise<string> {
    const http = await HttpServer.listen(app, {
      port: this.config.PORT,
      host: this.config.HOST,
      closeTimeoutMs: this.config.SHUTDOWN_TIMEOUT_MS,
    });
    this.#http = http;
    this.coordinator.register('http', http);
    this.metrics.collectStats('http_server', () => http.stats(), { counters: ['requests'] });
    if (installSignals) this.coordinator.install();
    this.logger.info(`${this.name} listening on ${http.url}`, {
      url: { full: http.url },
      embedded: this.embedded,
    });
    return http.url;
  }
}
