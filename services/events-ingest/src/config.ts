import { int } from '@org/shared-service';

/**
 * The environment variables of events-ingest itself, with their defaults (the common and database
 * ones come from @org/shared-service). `events-ingest --help` prints them all.
 */
export const eventsIngestSpecs = {
  MAX_EVENTS_PER_BATCH: int({ desc: 'Most events in one POST /events.', default: 1000, min: 1, max: 10_000 }),
  WRITER_BATCH_SIZE: int({ desc: 'Rows per COPY to PostgreSQL.', default: 1000, min: 1, max: 50_000 }),
  WRITER_FLUSH_INTERVAL_MS: int({
    desc: 'Longest time an accepted event waits for its COPY.',
    default: 500,
    min: 10,
    max: 60_000,
  }),
  WRITER_MAX_QUEUE: int({
    desc: 'Events held in memory; a batch that does not fit is refused with 503.',
    default: 20_000,
    min: 10,
    max: 1_000_000,
  }),
  SESSION_STALE_AFTER_MS: int({
    desc: 'A session with no event for this long is closed by the cleanup job.',
    default: 1_800_000,
    min: 1,
    max: 604_800_000,
  }),
  CLEANUP_INTERVAL_MS: int({
    desc: 'Pause between runs of the stale-session cleanup.',
    default: 60_000,
    min: 10,
    max: 86_400_000,
  }),
  CLEANUP_CHUNK_SIZE: int({
    desc: 'Sessions closed per statement (LIMIT).',
    default: 500,
    min: 1,
    max: 10_000,
  }),
  CLEANUP_MAX_CHUNKS: int({
    desc: 'Most chunks per run; the rest waits for the next run.',
    default: 20,
    min: 1,
    max: 1000,
  }),
};
