/**
 * This repository's endurance run (`npm run endurance -- --duration 2m`): orders-api and events-ingest
 * (their built dist/main.js, with the `service` heap limit of .node-options) against the PostgreSQL
 * harness (primary + replica; started when DATABASE_URL is unset) and the Elasticsearch test server,
 * through the faults we have. The same mechanism any service uses: see packages/endurance/README.md.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { startEsTestServer } from '@org/es-test-server';
import {
  defineConfig,
  elasticsearchFaults,
  ORG_SHARED_COLUMNS,
  postgresFaults,
  type ServiceSpec,
  sqlCount,
} from '@org/shared-endurance';
// @ts-expect-error: plain ESM script without types
import { nodeOptionsFor } from '../run-task.mjs';

/**
 * RSS ceilings per service, MB. Measured on the service line (--max-old-space-size=384
 * --max-semi-space-size=4), on the shared 2-core box under load, 2026-12-02: peak RSS 129 / 133 MB
 * (orders-api / events-ingest) in a 2-minute run, 125 / 130 in a 1-minute run, 140 / 140 in a 30-minute
 * run (still rising 1-2 MB per 5 min at its end). 256 MB is ~1.8x the 30-minute peak: room for the 2-
 * and 5-hour nightly runs (on the old line the peak grew 38 MB from 2 minutes to 2 hours) and the fault
 * windows' buffers; a service back at the old line's footprint (227-265 MB) reaches it.
 */
export const MAX_RSS_MB = { 'orders-api': 256, 'events-ingest': 256 } as const;
/** The logger buffer bound we promise, entries (each service also reports its own cap). */
export const LOGGER_CAP = 1000;

const root = fileURLToPath(new URL('../../', import.meta.url));
const harness = fileURLToPath(new URL('../pg-harness.sh', import.meta.url));

/** Starts the harness when no DATABASE_URL is set and puts its URLs into process.env; true when it started it. */
function ensureHarness(log: (line: string) => void): boolean {
  if (process.env.DATABASE_URL) return false;
  log('DATABASE_URL not set: starting the PostgreSQL harness');
  execFileSync('bash', [harness, 'start'], { stdio: 'inherit' });
  for (const line of execFileSync('bash', [harness, 'env'], { encoding: 'utf8' }).split('\n')) {
    const m = /^(?:export\s+)?([A-Z_]+)=["']?([^"']*)["']?$/.exec(line.trim());
    if (m) process.env[m[1]!] = m[2]!;
  }
  return true;
}

export default defineConfig(async ({ runId, log, onClose }) => {
  if (ensureHarness(log)) onClose(() => execFileSync('bash', [harness, 'stop'], { stdio: 'ignore' }));
  const databaseUrl = process.env.DATABASE_URL!;
  const replicaUrls = process.env.DATABASE_REPLICA_URLS ?? '';
  const es = await startEsTestServer({ storeDocs: false });
  onClose(() => es.close());
  log(`Elasticsearch test server on ${es.url}`);
  // /metrics is scraped with a bearer token, as in production.
  const metricsToken = randomBytes(16).toString('hex');

  const service = (name: 'orders-api' | 'events-ingest', extra: Partial<ServiceSpec>): ServiceSpec => ({
    name,
    command: process.execPath,
    args: [`${root}services/${name}/dist/main.js`],
    env: {
      NODE_OPTIONS: nodeOptionsFor('service') as string,
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      DATABASE_REPLICA_URLS: replicaUrls,
      ELASTICSEARCH_URL: es.url,
      LOG_LEVEL: 'info',
      SERVICE_ENV: 'endurance',
      METRICS_TOKEN: metricsToken,
      ...extra.env,
    },
    headers: { authorization: `Bearer ${metricsToken}` },
    columns: ORG_SHARED_COLUMNS,
    maxRssMb: MAX_RSS_MB[name],
    required: [
      'logger_buffer',
      'logger_buffer_cap',
      'logger_dropped',
      'pool_used',
      'replica_lag_s',
      ...(extra.required ?? []),
    ],
    caps: [
      { column: 'logger_buffer', maxColumn: 'logger_buffer_cap', max: LOGGER_CAP },
      ...(extra.caps ?? []),
    ],
  });

  let seq = 0;
  const stored = sqlCount({
    connectionString: databaseUrl,
    query: 'select count(distinct event_id)::bigint from ingest_events where event_id like $1',
    params: [`${runId}-%`],
  });
  onClose(() => stored.close());

  return {
    name: 'orders-api + events-ingest',
    services: [
      service('orders-api', { env: { REPLICA_POLL_INTERVAL_MS: '1000' } }),
      service('events-ingest', {
        required: ['writer_queue', 'writer_queue_cap'],
        caps: [{ column: 'writer_queue', maxColumn: 'writer_queue_cap' }],
      }),
    ],
    load: {
      rate: 120,
      targets: [
        {
          service: 'orders-api',
          requests: [
            {
              method: 'POST',
              path: '/orders',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({
                customerId: 'c-1',
                currency: 'EUR',
                items: [{ sku: 'sku-1', quantity: 2, unitPriceCents: 1250 }],
              }),
            },
            { method: 'GET', path: '/orders?limit=20' },
            { method: 'GET', path: '/orders/1' },
          ],
        },
        {
          service: 'events-ingest',
          requests: [
            {
              method: 'POST',
              path: '/events',
              headers: { 'content-type': 'application/json' },
              // 20 events a request, ids unique to this run.
              setupRequest: (req: Record<string, unknown>) => {
                const at = new Date().toISOString();
                const events = Array.from({ length: 20 }, () => {
                  const n = seq++;
                  return {
                    id: `${runId}-${n}`,
                    sessionId: `s-${n % 50}`,
                    type: 'page.view',
                    at,
                    payload: { n },
                  };
                });
                return { ...req, body: JSON.stringify({ events }) };
              },
              acknowledge: {
                counter: 'events',
                count: (status, body) =>
                  status === 202 ? Number((JSON.parse(body) as { accepted?: number }).accepted ?? 0) : 0,
              },
            },
          ],
        },
      ],
    },
    faults: [
      ...elasticsearchFaults({
        down: () => es.down(),
        up: () => es.up(),
        reject: (status) => es.setFault({ kind: 'status', status }),
        slow: (ms) => es.setFault({ kind: 'latency', ms }),
        clear: () => es.setFault(null),
      }),
      ...postgresFaults({
        replicaUrl: replicaUrls.split(',')[0] ?? '',
        replicaStop: ['bash', harness, 'replica-stop'],
        replicaStart: ['bash', harness, 'replica-start'],
        primaryRestart: ['bash', harness, 'primary-restart'],
      }),
    ],
    lostData: [
      {
        name: 'accepted events',
        counter: 'events',
        stored,
        acknowledgedMetric: { service: 'events-ingest', metric: 'ingest_accepted_events_total' },
      },
    ],
  };
});
