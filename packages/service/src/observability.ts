/**
 * The parts every service has on /metrics and in front of its routes: the logger's and the
 * database's stats() read at scrape time, the memory guard, the request logger.
 */
import { getHeapStatistics } from 'node:v8';
import type { Database, DatabaseStats } from '@org/shared-database';
import type { ErrorReporter } from '@org/shared-lifecycle';
import type { Logger, LoggerStats } from '@org/shared-logger';
import type { Metrics, StatsPath } from '@org/shared-metrics';
import {
  type MemoryGuard,
  type MemoryGuardOptions,
  memoryGuard,
  type RequestLoggerMiddleware,
  requestLogger,
} from '@org/shared-middleware';

/** Counter names the alert rules of @org/shared-metrics expect (`logger_*`, `db_*`). */
const LOGGER_COUNTERS: readonly StatsPath<LoggerStats>[] = [
  'logged',
  'formatErrors',
  'droppedAfterShutdown',
  'outputDropped',
  'elasticsearch.logged',
  'elasticsearch.sent',
  'elasticsearch.dropped',
  'elasticsearch.unconfirmed',
  'elasticsearch.alreadyStored',
  'elasticsearch.retries',
  'elasticsearch.splits',
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

export function collectLoggerStats(metrics: Metrics, logger: Logger): void {
  metrics.collectStats('logger', () => logger.stats(), {
    labels: { 'elasticsearch.dropped': 'reason' },
    counters: LOGGER_COUNTERS,
  });
}

export function collectDatabaseStats(metrics: Metrics, database: Database): void {
  metrics.collectStats('db', () => database.stats(), {
    labels: { pools: 'pool', replicas: 'replica', writers: 'writer', routing: 'target' },
    counters: DB_COUNTERS,
  });
}

/**
 * The memory guard's options: its own defaults, unless MEMORY_GUARD_MAX_HEAP_RATIO asks for a
 * fraction of V8's heap limit.
 */
export function guardOptions(maxHeapRatio: number | undefined): Pick<MemoryGuardOptions, 'maxHeapUsedBytes'> {
  if (maxHeapRatio === undefined) return {};
  return { maxHeapUsedBytes: Math.max(1, Math.floor(maxHeapRatio * getHeapStatistics().heap_size_limit)) };
}

/** The memory guard, sampled once now (armed from the first request) and every second on its own timer. */
export async function startMemoryGuard(options: {
  metrics: Metrics;
  logger: Logger;
  onError: ErrorReporter;
  maxHeapRatio: number | undefined;
}): Promise<MemoryGuard> {
  const guard = memoryGuard({
    ...guardOptions(options.maxHeapRatio),
    logger: options.logger,
    onError: options.onError,
  });
  await guard.sample();
  options.metrics.collectStats('memory_guard', () => guard.stats(), {
    counters: ['episodes', 'rejected', 'samples'],
  });
  return guard;
}

export function startRequestLogger(options: {
  metrics: Metrics;
  logger: Logger;
  onError: ErrorReporter;
}): RequestLoggerMiddleware {
  const requests = requestLogger({
    logger: options.logger,
    metrics: options.metrics,
    onError: options.onError,
  });
  options.metrics.collectStats('request_logger', () => requests.stats(), {
    counters: ['requests', 'logged', 'aborted', 'truncatedBodies', 'logErrors', 'metricErrors'],
  });
  return requests;
}
