export { type AppOptions, addEventRoutes } from './app.js';
export { type CleanupStats, StaleSessionCleanup, type StaleSessionCleanupOptions } from './cleanup.js';
export { eventsIngestSpecs } from './config.js';
export { INGEST_ERROR_CODES, IngestError, type IngestErrorCode } from './errors.js';
export { EVENT_COLUMNS, type EventRow, Ingestor, type IngestStats, parseBatch } from './ingest.js';
export { migrations } from './migrations.js';
export {
  EVENTS_INGEST,
  type EventsIngestConfig,
  type RunningEventsIngest,
  type StartOptions,
  startEventsIngest,
  VERSION,
} from './service.js';
