import { bool, byteSize, int, optionalUrl, ratio, str, urlList } from '@org/service-kit';

const PG = ['postgres:', 'postgresql:'];

/** Every environment variable of events-ingest, with its default. `events-ingest --help` prints this. */
export const eventsIngestSpecs = {
  PORT: int({ desc: 'HTTP port (0 picks a free one).', default: 3001, min: 0, max: 65535 }),
  HOST: str({ desc: 'Interface to listen on (0.0.0.0 in containers).', default: '127.0.0.1' }),
  DATABASE_URL: optionalUrl('Primary PostgreSQL. Unset: an embedded PGlite database is started.', PG),
  DATABASE_REPLICA_URLS: urlList(
    'Comma-separated read replicas (monitored; the ingest path only writes).',
    PG,
  ),
  EMBEDDED_PG_DATA_DIR: str({
    desc: 'Data directory of the embedded database; empty: in memory.',
    default: '',
  }),
  DB_POOL_MAX: int({
    desc: 'Most connections per PostgreSQL server (embedded: capped at 4).',
    default: 10,
    min: 1,
    max: 100,
  }),
  MIGRATE_ON_START: bool({
    desc: 'Run pending migrations at start-up (else run the "migrate" command).',
    default: true,
  }),
  ELASTICSEARCH_URL: optionalUrl('Elasticsearch for logs; unset: console only.', ['http:', 'https:']),
  LOG_LEVEL: str({
    desc: 'Lowest level logged.',
    choices: ['error', 'warn', 'info', 'debug'],
    default: 'info',
  }),
  SERVICE_ENV: str({ desc: 'Environment name in logs and metrics.', default: 'development' }),
  BODY_LIMIT: byteSize({ desc: 'Largest request body (e.g. 1mb, 512kb).', default: 1024 * 1024 }),
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
  MEMORY_GUARD_MAX_HEAP_RATIO: ratio({
    desc: 'Answer 503 to new requests while heap used / heap limit is above this.',
    default: 0.9,
  }),
  METRICS_TOKEN: str({ desc: 'Bearer token required on /metrics; empty: open.', default: '' }),
  SHUTDOWN_TIMEOUT_MS: int({
    desc: 'Deadline for the whole shutdown on SIGTERM/SIGINT.',
    default: 10_000,
    min: 100,
    max: 120_000,
  }),
};
