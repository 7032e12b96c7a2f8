import {
  createService,
  loadServiceConfig,
  packageVersion,
  type Service,
  type ServiceConfigOf,
  type ServiceOptions,
} from '@org/shared-service';
import { addEventRoutes } from './app.js';
import { StaleSessionCleanup } from './cleanup.js';
import { eventsIngestSpecs } from './config.js';
import { EVENT_COLUMNS, type EventRow, Ingestor } from './ingest.js';
import { migrations } from './migrations.js';

export type EventsIngestConfig = ServiceConfigOf<typeof eventsIngestSpecs>;

export const VERSION: string = packageVersion(import.meta.url);

/** What decides the variables of events-ingest (PORT 3001, its own, the database's). */
export const EVENTS_INGEST = { port: 3001, specs: eventsIngestSpecs, database: true } as const;

export type StartOptions = Pick<
  ServiceOptions<typeof eventsIngestSpecs>,
  'config' | 'env' | 'signals' | 'exit' | 'logStream'
>;

export interface RunningEventsIngest {
  readonly service: Service<EventsIngestConfig>;
  readonly url: string;
  readonly cleanup: StaleSessionCleanup;
  readonly ingestor: Ingestor;
  /** The ordered shutdown, as on SIGTERM. */
  close: Service['close'];
}

/**
 * Starts events-ingest on @org/shared-service. Its own parts close right after HTTP has drained:
 * the cleanup job, then the batch writer's final flush (every 202-acknowledged event is written
 * before the database closes).
 */
export async function startEventsIngest(options: StartOptions = {}): Promise<RunningEventsIngest> {
  const env = options.env ?? process.env;
  const config = options.config ?? loadServiceConfig(EVENTS_INGEST, env);
  const service = await createService({
    ...options,
    ...EVENTS_INGEST,
    name: 'events-ingest',
    version: VERSION,
    config,
    env,
    database: { migrations },
  });
  try {
    const { database, reportError } = service;
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
      onError: reportError,
    });
    const ingestor = new Ingestor(writer, database.primary, config.WRITER_MAX_QUEUE);
    service.register('batch-writer', async (ctx) => {
      ingestor.stopAccepting();
      // The final flush, within what is left of the shutdown.
      await writer.close(ctx);
      const s = writer.stats();
      service.logger.info('batch writer flushed', { written: s.written, dropped: s.dropped });
    });
    service.metrics.collectStats('ingest', () => ingestor.stats(), {
      counters: ['acceptedBatches', 'acceptedEvents', 'refusedBusy'],
    });

    const cleanup = new StaleSessionCleanup(database.primary, {
      staleAfterMs: config.SESSION_STALE_AFTER_MS,
      intervalMs: config.CLEANUP_INTERVAL_MS,
      chunkSize: config.CLEANUP_CHUNK_SIZE,
      maxChunks: config.CLEANUP_MAX_CHUNKS,
      onError: reportError,
    }).start();
    service.register('stale-session-cleanup', cleanup);
    service.metrics.collectStats('cleanup', () => cleanup.stats(), {
      counters: ['runs', 'errors', 'closedSessions'],
    });

    addEventRoutes(service.app, {
      ingestor,
      maxEventsPerBatch: config.MAX_EVENTS_PER_BATCH,
      onError: (error, fields) => reportError(error, { source: 'events-ingest', ...fields }),
    });
    const url = await service.listen();
    return { service, url, cleanup, ingestor, close: () => service.close() };
  } catch (error) {
    await service.close();
    throw error;
  }
}
