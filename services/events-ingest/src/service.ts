import {
  type LoadedConfig,
  packageVersion,
  type RunningService,
  ServiceHost,
  type StartOptions,
} from '@org/service-kit';
import { addEventRoutes } from './app.js';
import { StaleSessionCleanup } from './cleanup.js';
import type { eventsIngestSpecs } from './config.js';
import { EVENT_COLUMNS, type EventRow, Ingestor } from './ingest.js';
import { migrations } from './migrations.js';

export type EventsIngestConfig = LoadedConfig<typeof eventsIngestSpecs>;

export const VERSION: string = packageVersion(import.meta.url);

export interface RunningEventsIngest extends RunningService {
  readonly cleanup: StaleSessionCleanup;
  readonly ingestor: Ingestor;
}

/**
 * Starts events-ingest on ServiceHost. Its own parts close right after HTTP has drained: the
 * cleanup job, then the batch writer's final flush (every 202-acknowledged event is written before
 * the database closes).
 */
export function startEventsIngest(
  config: EventsIngestConfig,
  options: StartOptions = {},
): Promise<RunningEventsIngest> {
  return ServiceHost.start(
    { ...options, name: 'events-ingest', version: VERSION, config, migrate: migrations.migrate },
    (host) => {
      const { database, coordinator, reportError } = host;
      // Created on the database, so its stats are on /metrics under db_writers_*{writer="events"}.
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
      coordinator.register('batch-writer', async () => {
        ingestor.stopAccepting();
        await writer.close({ timeoutMs: Math.max(100, config.SHUTDOWN_TIMEOUT_MS - 1_500) });
        const s = writer.stats();
        host.logger.info('batch writer flushed', { written: s.written, dropped: s.dropped });
      });
      host.metrics.collectStats('ingest', () => ingestor.stats(), {
        counters: ['acceptedBatches', 'acceptedEvents', 'refusedBusy'],
      });

      const cleanup = new StaleSessionCleanup(database.primary, {
        staleAfterMs: config.SESSION_STALE_AFTER_MS,
        intervalMs: config.CLEANUP_INTERVAL_MS,
        chunkSize: config.CLEANUP_CHUNK_SIZE,
        maxChunks: config.CLEANUP_MAX_CHUNKS,
        onError: reportError,
      }).start();
      coordinator.register('stale-session-cleanup', cleanup);
      host.metrics.collectStats('cleanup', () => cleanup.stats(), {
        counters: ['runs', 'errors', 'closedSessions'],
      });

      const app = addEventRoutes(host.app(), {
        ingestor,
        maxEventsPerBatch: config.MAX_EVENTS_PER_BATCH,
        onError: (error, fields) => reportError(error, { source: 'events-ingest', ...fields }),
      });
      return { app, cleanup, ingestor };
    },
  );
}
