import { bool, byteSize, int, optionalUrl, ratio, str, urlList } from '@org/service-kit';

const PG = ['postgres:', 'postgresql:'];

/** Every environment variable of orders-api, with its default. `orders-api --help` prints this. */
export const ordersApiSpecs = {
  PORT: int({ desc: 'HTTP port (0 picks a free one).', default: 3000, min: 0, max: 65535 }),
  HOST: str({ desc: 'Interface to listen on (0.0.0.0 in containers).', default: '127.0.0.1' }),
  DATABASE_URL: optionalUrl('Primary PostgreSQL. Unset: an embedded PGlite database is started.', PG),
  DATABASE_REPLICA_URLS: urlList('Comma-separated read replicas (reads go there while fresh).', PG),
  REPLICA_MAX_LAG_SECONDS: int({
    desc: 'A replica further behind than this takes no reads.',
    default: 5,
    min: 0,
    max: 3600,
  }),
  REPLICA_POLL_INTERVAL_MS: int({
    desc: 'How often replica lag is measured.',
    default: 2000,
    min: 100,
    max: 600_000,
  }),
  READ_YOUR_WRITES_MS: int({
    desc: 'Reads in the same context as a write go to the primary for this long.',
    default: 0,
    min: 0,
    max: 600_000,
  }),
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
  SEED: str({
    desc: 'Demo orders: "auto" seeds an empty embedded database, "always" any empty database, "never".',
    choices: ['auto', 'always', 'never'],
    default: 'auto',
  }),
  ELASTICSEARCH_URL: optionalUrl('Elasticsearch for logs; unset: console only.', ['http:', 'https:']),
  LOG_LEVEL: str({
    desc: 'Lowest level logged.',
    choices: ['error', 'warn', 'info', 'debug'],
    default: 'info',
  }),
  SERVICE_ENV: str({ desc: 'Environment name in logs and metrics.', default: 'development' }),
  BODY_LIMIT: byteSize({ desc: 'Largest request body (e.g. 1mb, 512kb).', default: 1024 * 1024 }),
  PAGE_SIZE_DEFAULT: int({ desc: 'Orders per page when ?limit is absent.', default: 20, min: 1, max: 1000 }),
  PAGE_SIZE_MAX: int({
    desc: 'Hard maximum of ?limit; larger values are rejected with 400.',
    default: 100,
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
