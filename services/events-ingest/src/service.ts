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
import { StaleSessionCleanup } from './cleanup.js';
import type { eventsIngestSpecs } from './config.js';
import { EVENT_COLUMNS, type EventRow, Ingestor } from './ingest.js';
import { migrate } from './migrations.js';

export type EventsIngestConfig = LoadedConfig<typeof eventsIngestSpecs>;

export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export interface StartOptions {
  write?: (line: string) => void;
  installSignals?: boolean;
  exit?: (code: number) => void;
}

export interface RunningEventsIngest {
  url: string;
  embedded: boolean;
  runtime: ServiceRuntime;
  log: LogFn;
  cleanup: StaleSessionCleanup;
  ingestor: Ingestor;
  close(): Promise<ShutdownResult>;
}

/**
 * Starts events-ingest. Shutdown order (reverse of start): HTTP (stop accepting, drain in-flight
 * batches) → cleanup job → batch writer (final flush) → metrics → database → embedded PG → logger.
 */
export async function startEventsIngest(
  config: EventsIngestConfig,
  options: StartOptions = {},
): Promise<RunningEventsIngest> {
  const log = consoleLog('events-ingest', config.LOG_LEVEL as 'info', options.write);
  const reportError = (error: unknown, context: Record<string, unknown>) =>
    log('error', error instanceof Error ? error.message : String(error), {
      ...context,
      'error.code': (error as { code?: unknown } | null)?.code,
      'error.cause': error instanceof Error && error.cause instanceof Error ? error.cause.message : undefined,
    });
  const runtime = new ServiceRuntime({
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    log: (message, fields) => log('info', message, fields),
    onError: reportError,
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
      log('info', 'no DATABASE_URL: started embedded PostgreSQL (PGlite)', { 'db.url': embedded.url });
    }
    const replicas = embedded ? [] : config.DATABASE_REPLICA_URLS;
    const database = createDatabase({
      primary: primaryUrl,
      replicas,
      pool: { max: poolMax },
      applicationName: 'events-ingest',
      onError: reportError,
    });
    runtime.register('database', database);
    log('info', 'database', { primary: redact(primaryUrl), replicas: replicas.length });
    if (config.MIGRATE_ON_START) log('info', 'migrations', { applied: await migrate(database.primary) });

    const obs = observability({
      prefix: 'events_ingest_',
      log: (level, message, fields) => log(level === 'info' ? 'debug' : level, message, fields),
      metricsToken: config.METRICS_TOKEN,
      unauthorizedCode: 'ORG_INGEST_UNAUTHORIZED',
      stats: {
        ingest: () => ({ ...ingestor.stats() }),
        writer: () => {
          const s = writer.stats();
          return {
            queued: s.queue.size,
            written: s.written,
            batches: s.batches,
            retried: s.retried,
            dropped_overflow: s.dropped.overflow,
            dropped_rejected: s.dropped.rejected,
            dropped_closed: s.dropped.closed,
          };
        },
        cleanup: () => {
          const s = cleanup.stats();
          return {
            runs: s.runs,
            errors: s.errors,
            closed_sessions: s.closedSessions,
            last_run_closed: s.lastRunClosed,
          };
        },
      },
    });
    runtime.register('metrics', () => obs.close());

    const writer = database.createBatchWriter<EventRow>({
      name: 'events',
      table: 'ingest_events',
      columns: EVENT_COLUMNS,
      mode: 'copy',
      batchSize: config.WRITER_BATCH_SIZE,
      flushIntervalMs: config.WRITER_FLUSH_INTERVAL_MS,
      // The ingestor refuses batches past WRITER_MAX_QUEUE; the writer's own cap is a safety net above it.
      maxItems: config.WRITER_MAX_QUEUE + config.MAX_EVENTS_PER_BATCH,
      closeTimeoutMs: Math.max(100, config.SHUTDOWN_TIMEOUT_MS - 1_000),
      onError: reportError,
    });
    const ingestor = new Ingestor(writer, database.primary, config.WRITER_MAX_QUEUE);
    runtime.register('batch-writer', async () => {
      ingestor.stopAccepting();
      await writer.close({ timeoutMs: Math.max(100, config.SHUTDOWN_TIMEOUT_MS - 1_500) });
      const s = writer.stats();
      log('info', 'batch writer flushed', { written: s.written, dropped: s.dropped });
    });

    const cleanup = new StaleSessionCleanup(database.primary, {
      staleAfterMs: config.SESSION_STALE_AFTER_MS,
      intervalMs: config.CLEANUP_INTERVAL_MS,
      chunkSize: config.CLEANUP_CHUNK_SIZE,
      maxChunks: config.CLEANUP_MAX_CHUNKS,
      onError: reportError,
    }).start();
    runtime.register('stale-session-cleanup', cleanup);

    const app = createApp({
      ingestor,
      bodyLimit: config.BODY_LIMIT,
      maxEventsPerBatch: config.MAX_EVENTS_PER_BATCH,
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
      onError: reportError,
    });
    const http = await HttpServer.listen(app, {
      port: config.PORT,
      host: config.HOST,
      closeTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    });
    runtime.register('http', http);
    if (options.installSignals) runtime.start();
    log('info', `events-ingest listening on ${http.url}`, {
      'url.full': http.url,
      embedded: embedded !== null,
    });
    return {
      url: http.url,
      embedded: embedded !== null,
      runtime,
      log,
      cleanup,
      ingestor,
      close: () => runtime.shutdown('close'),
    };
  } catch (error) {
    await runtime.shutdown('start-up failed');
    throw error;
  }
}
