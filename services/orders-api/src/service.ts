import { readFileSync } from 'node:fs';
import {
  consoleLog,
  EmbeddedPostgres,
  HttpServer,
  type LoadedConfig,
  type LogFn,
  observability,
  redact,
  ServiceRuntime,
} from '@org/service-kit';
import { createDatabase } from '@org/shared-database';
import type { ShutdownResult } from '@org/shared-lifecycle';
import { createApp } from './app.js';
import type { ordersApiSpecs } from './config.js';
import { migrate } from './migrations.js';
import { seedOrders } from './orders.js';

export type OrdersApiConfig = LoadedConfig<typeof ordersApiSpecs>;

export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export interface StartOptions {
  /** Where log lines go; default stdout. */
  write?: (line: string) => void;
  /** Install SIGTERM/SIGINT handlers (the CLI does; in-process tests do not). */
  installSignals?: boolean;
  exit?: (code: number) => void;
}

export interface RunningOrdersApi {
  url: string;
  embedded: boolean;
  seeded: number;
  runtime: ServiceRuntime;
  log: LogFn;
  /** The ordered shutdown, as on SIGTERM. */
  close(): Promise<ShutdownResult>;
}

/**
 * Starts orders-api: (embedded PostgreSQL) → database → migrations and seed → metrics → HTTP.
 * Each piece is registered with the runtime as it starts, so a failure half-way closes what
 * already started, and a shutdown closes in reverse order: HTTP (drain) → metrics → database →
 * embedded PostgreSQL → logger.
 */
export async function startOrdersApi(
  config: OrdersApiConfig,
  options: StartOptions = {},
): Promise<RunningOrdersApi> {
  const log = consoleLog('orders-api', config.LOG_LEVEL as 'info', options.write);
  const reportError = (error: unknown, context: Record<string, unknown>) =>
    log('error', error instanceof Error ? error.message : String(error), {
      ...context,
      'error.code': (error as { code?: unknown } | null)?.code,
    });
  const runtime = new ServiceRuntime({
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    log: (message, fields) => log('info', message, fields),
    onError: (error, context) =>
      log('error', error instanceof Error ? error.message : String(error), {
        ...context,
        'error.code': (error as { code?: unknown })?.code,
      }),
    ...(options.exit ? { exit: options.exit } : {}),
  });
  runtime.register('logger', () => {});
  try {
    let primaryUrl = config.DATABASE_URL;
    let embedded: EmbeddedPostgres | null = null;
    let poolMax = config.DB_POOL_MAX;
    if (!primaryUrl) {
      embedded = await EmbeddedPostgres.start({ dataDir: config.EMBEDDED_PG_DATA_DIR || undefined });
      runtime.register('embedded-postgres', embedded);
      primaryUrl = embedded.url;
      poolMax = Math.min(poolMax, embedded.maxConnections);
      log('info', 'no DATABASE_URL: started embedded PostgreSQL (PGlite)', {
        'db.url': embedded.url,
        dataDir: config.EMBEDDED_PG_DATA_DIR || 'memory',
      });
    }
    const replicas = embedded ? [] : config.DATABASE_REPLICA_URLS;
    const database = createDatabase({
      primary: primaryUrl,
      replicas,
      pool: { max: poolMax },
      applicationName: 'orders-api',
      lag: { maxSeconds: config.REPLICA_MAX_LAG_SECONDS },
      monitor: { intervalMs: config.REPLICA_POLL_INTERVAL_MS },
      readYourWritesMs: config.READ_YOUR_WRITES_MS,
      onError: (error, context) => reportError(error, context),
    });
    runtime.register('database', database);
    log('info', 'database', { primary: redact(primaryUrl), replicas: replicas.length });

    if (config.MIGRATE_ON_START) {
      const applied = await migrate(database.primary);
      log('info', 'migrations', { applied });
    }
    let seeded = 0;
    if (config.SEED === 'always' || (config.SEED === 'auto' && embedded)) {
      seeded = await seedOrders({
        write: (work) => database.transaction(work),
        read: async (work) => ({ result: await work(database.primary), node: 'primary' }),
      });
      if (seeded > 0) log('info', 'seeded demo orders', { count: seeded });
    }

    const obs = observability({
      prefix: 'orders_api_',
      log: (level, message, fields) => log(level, message, fields),
      metricsToken: config.METRICS_TOKEN,
      unauthorizedCode: 'ORG_ORDERS_UNAUTHORIZED',
      stats: {
        ...(embedded ? { embedded_pg: () => embedded.stats() } : {}),
        db_routing: () => ({ ...database.stats().routing }),
        db_pool_primary: () => ({ ...(database.stats().pools.primary ?? {}) }),
      },
    });
    runtime.register('metrics', () => obs.close());

    const app = createApp({
      database,
      bodyLimit: config.BODY_LIMIT,
      pageSizeDefault: config.PAGE_SIZE_DEFAULT,
      pageSizeMax: config.PAGE_SIZE_MAX,
      maxHeapRatio: config.MEMORY_GUARD_MAX_HEAP_RATIO,
      before: obs.before,
      metrics: obs.metrics,
      memory: obs.memory,
      health: obs.health({
        database: async () => {
          const health = await database.health();
          if (!health.ok) throw new Error(health.primary.error ?? 'primary unreachable');
        },
      }),
      onError: (error, fields) =>
        log('error', error instanceof Error ? error.message : String(error), {
          ...fields,
          'error.code': (error as { code?: unknown })?.code,
          'error.stack_trace': error instanceof Error ? error.stack : undefined,
        }),
    });
    const http = await HttpServer.listen(app, {
      port: config.PORT,
      host: config.HOST,
      closeTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    });
    runtime.register('http', http);
    if (options.installSignals) runtime.start();
    log('info', `orders-api listening on ${http.url}`, { 'url.full': http.url, embedded: embedded !== null });
    return {
      url: http.url,
      embedded: embedded !== null,
      seeded,
      runtime,
      log,
      close: () => runtime.shutdown('close'),
    };
  } catch (error) {
    await runtime.shutdown('start-up failed');
    throw error;
  }
}
