import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { startEsTestServer } from '@org/es-test-server';
import {
  activeResources,
  resourcesAddedSince,
  undocumentedCodes,
  waitFor,
} from '@org/shared-lifecycle/testing';
import { type HarnessUrls, harnessDatabase, logCollector, sql } from '@org/shared-service/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORDERS_ERROR_CODES } from '../src/errors.js';
import { type RunningOrdersApi, startOrdersApi } from '../src/service.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON response bodies are inspected loosely in these tests.
type Json = any;

let urls: HarnessUrls;
let api: RunningOrdersApi;
const logs = logCollector();
let before: Record<string, number>;

const order = {
  customerId: 'cust-1',
  items: [
    { sku: 'A-1', quantity: 2, unitPriceCents: 250 },
    { sku: 'B-2', quantity: 1, unitPriceCents: 1000 },
  ],
};

async function post(path: string, body: unknown) {
  const res = await fetch(`${api.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, Json> };
}

async function get(path: string) {
  const res = await fetch(`${api.url}${path}`);
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    text,
    body: (text.startsWith('{') ? JSON.parse(text) : null) as Json,
  };
}

beforeAll(async () => {
  urls = await harnessDatabase('orders_api_e2e');
  // The process's stdio streams are created on first use: the Elasticsearch transport reports its outage
  // on stderr, and importing the Elasticsearch client (now when the first transport needs it) opens
  // stdin. Handles of the test process, once, not of the service: part of the baseline.
  void process.stdout;
  void process.stderr;
  void process.stdin;
  before = activeResources();
  api = await startOrdersApi({
    env: {
      PORT: '0',
      DATABASE_URL: urls.primary,
      DATABASE_REPLICA_URLS: urls.replica,
      REPLICA_MAX_LAG_SECONDS: '1',
      REPLICA_POLL_INTERVAL_MS: '100',
      PAGE_SIZE_MAX: '50',
      BODY_LIMIT: '64kb',
    },
    logStream: logs.stream,
    signals: false,
  });
});

afterAll(async () => {
  await sql(urls.replica, 'select pg_wal_replay_resume()').catch(() => {});
  const result = await api?.close();
  expect(result?.steps.filter((step) => !step.ok)).toEqual([]);
  expect(result?.code).toBe(0);
  // undici (fetch) keeps a 1 s housekeeping timer while it has recent work; let it lapse.
  await waitFor(() => Object.keys(resourcesAddedSince(before)).length === 0, {
    timeoutMs: 5000,
    what: 'resources to be released',
  }).catch(() => {});
  expect(resourcesAddedSince(before)).toEqual({});
});

describe('orders-api against the PostgreSQL harness', () => {
  it('creates an order on the primary and reads it back over HTTP', async () => {
    const created = await post('/orders', order);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      customerId: 'cust-1',
      status: 'pending',
      totalCents: 1500,
      currency: 'EUR',
    });
    expect(created.headers.get('location')).toBe(`/orders/${created.body.id}`);
    const rows = await sql(urls.primary, 'select count(*)::int as n from order_items where order_id = $1', [
      created.body.id,
    ]);
    expect(rows[0]?.n).toBe(2);
    await waitFor(async () => (await get(`/orders/${created.body.id}`)).status === 200, {
      timeoutMs: 5000,
      what: 'replica to replay the order',
    });
    const read = await get(`/orders/${created.body.id}`);
    expect(read.body).toEqual(created.body);
  });

  it('serves reads from the replica when it is fresh and from the primary while replay is paused', async () => {
    await waitFor(async () => (await get('/orders?limit=1')).headers.get('x-served-by') === 'replica', {
      timeoutMs: 5000,
      what: 'a fresh replica',
    });
    await sql(urls.replica, 'select pg_wal_replay_pause()');
    try {
      const created = await post('/orders', order);
      await waitFor(async () => (await get('/orders?limit=1')).headers.get('x-served-by') === 'primary', {
        timeoutMs: 8000,
        what: 'routing to primary',
      });
      const read = await get(`/orders/${created.body.id}`);
      expect(read.status).toBe(200);
      expect(read.headers.get('x-served-by')).toBe('primary');
      // The replica really is behind: the order is not there.
      expect(await sql(urls.replica, 'select id from orders where id = $1', [created.body.id])).toEqual([]);
    } finally {
      await sql(urls.replica, 'select pg_wal_replay_resume()');
    }
    await waitFor(async () => (await get('/orders?limit=1')).headers.get('x-served-by') === 'replica', {
      timeoutMs: 8000,
      what: 'replica again',
    });
  });

  it('pages with a cursor, newest first, and rejects a limit above the hard maximum', async () => {
    for (let i = 0; i < 5; i++) await post('/orders', { ...order, customerId: 'pager' });
    await waitFor(
      async () =>
        (await sql(urls.replica, "select count(*)::int as n from orders where customer_id = 'pager'"))[0]
          ?.n === 5,
      { timeoutMs: 5000, what: 'the replica to replay the pager orders' },
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await get(`/orders?customerId=pager&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.orders.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.orders.map((o: { id: string }) => o.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(5);
    expect([...seen].sort((a, b) => Number(b) - Number(a))).toEqual(seen);
    const tooMany = await get('/orders?limit=51');
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.code).toBe('ORG_ORDERS_INVALID_INPUT');
    expect((await get('/orders?cursor=nonsense')).status).toBe(400);
  });

  it('answers bad input with typed errors listing every problem', async () => {
    const bad = await post('/orders', {
      customerId: '',
      items: [{ sku: 'x', quantity: 0, unitPriceCents: -1 }],
      extra: 1,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('ORG_ORDERS_INVALID_INPUT');
    expect(bad.body.error.details.problems.map((p: { field: string }) => p.field).sort()).toEqual(
      ['customerId', 'extra', 'items[0].quantity', 'items[0].unitPriceCents'].sort(),
    );
    expect((await post('/orders', '{not json')).body.error.code).toBe('ORG_ORDERS_INVALID_INPUT');
    const big = await post('/orders', { customerId: 'x', items: [], pad: 'x'.repeat(70 * 1024) });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('ORG_ORDERS_BODY_TOO_LARGE');
    expect((await get('/orders/999999999')).body.error.code).toBe('ORG_ORDERS_NOT_FOUND');
  });

  it('changes status along the allowed transitions only', async () => {
    const created = await post('/orders', order);
    const patch = (status: string) =>
      fetch(`${api.url}/orders/${created.body.id}/status`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ status }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as Json }));
    expect((await patch('paid')).body.status).toBe('paid');
    const invalid = await patch('pending');
    expect(invalid.status).toBe(409);
    expect(invalid.body.error.code).toBe('ORG_ORDERS_INVALID_TRANSITION');
  });

  it('serves /health, /memory and a /metrics page that passes promtool check metrics', async () => {
    const health = await get('/health');
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('ok');
    const memory = await get('/memory');
    expect(memory.body.heapUsed).toBeGreaterThan(0);
    expect(memory.body.limits.oldGenerationBytes).toBeGreaterThan(memory.body.heapUsed);
    expect(health.body.checks.database.status).toBe('ok');
    expect(health.body.details.logs).toEqual({ elasticsearch: 'off' });
    const metrics = await get('/metrics');
    // Route templates from Express, and the names the alert rules of @org/shared-metrics use.
    expect(metrics.text).toMatch(
      /http_request_duration_seconds_count\{[^}]*route="\/orders\/:id"[^}]*service="orders-api"/,
    );
    for (const name of [
      'nodejs_heap_size_used_bytes',
      'logger_logged_total',
      'db_pools_used{pool="primary"',
      'db_pools_pending_acquires{pool="replica-1"',
      'db_replicas_lag_seconds{replica="replica-1"',
      'memory_guard_rejected_total',
      // The guard's whole stats(), in base units.
      'memory_guard_last_sample_heap_total_bytes',
      'memory_guard_thresholds_max_heap_used_bytes',
    ])
      expect(metrics.text).toContain(name);
    // promtool reads the exposition from stdin and prints nothing when it is clean.
    const out = execFileSync('promtool', ['check', 'metrics'], { input: metrics.text, encoding: 'utf8' });
    expect(out).toBe('');
    expect(logs.entries().some((e) => /^GET \/orders\/:id 200 /.test(String(e.message)))).toBe(true);
  });

  it('documents every error code in the README', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(undocumentedCodes(readme, Object.keys(ORDERS_ERROR_CODES))).toEqual([]);
  });
});

describe('memory guard', () => {
  it('answers 503 when forced by a heap ratio below the current use, and still serves /health', async () => {
    const forced = await startOrdersApi({
      env: {
        PORT: '0',
        DATABASE_URL: urls.primary,
        MEMORY_GUARD_MAX_HEAP_RATIO: '0.0001',
        MIGRATE_ON_START: 'false',
      },
      logStream: logCollector().stream,
      signals: false,
    });
    try {
      const res = await fetch(`${forced.url}/orders`);
      expect(res.status).toBe(503);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await res.json()) as Json).error).toBe('ORG_MIDDLEWARE_UNDER_PRESSURE');
      const health = await fetch(`${forced.url}/health`);
      expect(health.status).toBe(200);
      expect(((await health.json()) as Json).details.memoryGuard).toEqual({
        underPressure: true,
        reason: 'heapUsed',
      });
    } finally {
      const result = await forced.close();
      expect(result.steps.filter((step) => !step.ok)).toEqual([]);
      expect(result.code).toBe(0);
    }
  });
});

describe('logs in Elasticsearch (ELASTICSEARCH_URL set)', () => {
  it('ships every request log to the ES test server, reports it reachable, and flushes the shutdown lines on close', async () => {
    // (This instance also guards /metrics with METRICS_TOKEN.)
    await using es = await startEsTestServer();
    const console = logCollector();
    const svc = await startOrdersApi({
      env: {
        PORT: '0',
        DATABASE_URL: urls.primary,
        MIGRATE_ON_START: 'false',
        ELASTICSEARCH_URL: es.url,
        METRICS_TOKEN: 'scrape-secret',
      },
      logStream: console.stream,
      signals: false,
    });
    let result: Awaited<ReturnType<typeof svc.close>> | undefined;
    try {
      const created = await fetch(`${svc.url}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(order),
      });
      const { id } = (await created.json()) as { id: string };
      expect((await fetch(`${svc.url}/orders/${id}`)).status).toBe(200);
      expect((await fetch(`${svc.url}/orders/nope`)).status).toBe(400);
      const messages = () => es.docs.map((d) => String(d.source.message));
      await waitFor(() => messages().some((m) => /^GET \/orders\/:id 400 /.test(m)), {
        timeoutMs: 10_000,
        what: 'the request logs in Elasticsearch',
      });
      expect(messages().some((m) => /^POST \/orders 201 /.test(m))).toBe(true);
      expect(messages().some((m) => /^GET \/orders\/:id 200 /.test(m))).toBe(true);
      const doc = es.docs.find((d) => /^POST \/orders 201 /.test(String(d.source.message)));
      expect(JSON.stringify(doc?.source)).toContain('orders-api');
      // The same entries went to the console as well.
      expect(console.lines.some((l) => l.includes('POST /orders 201'))).toBe(true);
      const health = (await (await fetch(`${svc.url}/health`)).json()) as Json;
      expect(health.details.logs.elasticsearch).toMatchObject({ reachable: true });
      expect(health).toMatchObject({ status: 'ok', checks: { elasticsearch: { status: 'ok' } } });
      expect((await fetch(`${svc.url}/metrics`)).status).toBe(401);
      const metrics = await (
        await fetch(`${svc.url}/metrics`, { headers: { authorization: 'Bearer scrape-secret' } })
      ).text();
      expect(metrics).toMatch(/^logger_elasticsearch_sent_total\{[^}]*\} [1-9]/m);
      expect(metrics).toMatch(/^logger_elasticsearch_reachable\{[^}]*\} 1$/m);
      // Entries whose answer was lost and that could not be confirmed: a counter, 0 here.
      expect(metrics).toMatch(/^logger_elasticsearch_unconfirmed_total\{[^}]*\} 0$/m);
      expect(metrics).toMatch(/^logger_elasticsearch_requests_in_flight\{[^}]*\} \d/m);
      // Elasticsearch down: logs are buffered, so the service is degraded but still ready (200).
      await es.down();
      let degraded: { status: number; body: Json } | null = null;
      await waitFor(
        async () => {
          await fetch(`${svc.url}/orders/${id}`);
          const res = await fetch(`${svc.url}/health`);
          degraded = { status: res.status, body: (await res.json()) as Json };
          return degraded.body.status !== 'ok';
        },
        { timeoutMs: 15_000, what: 'health to notice Elasticsearch is down' },
      );
      expect(degraded).toMatchObject({
        status: 200,
        body: { status: 'degraded', checks: { database: { status: 'ok' } } },
      });
      await es.up();
    } finally {
      result = await svc.close();
    }
    expect(result.code).toBe(0);
    // The logger closes last: the shutdown's own lines were flushed to Elasticsearch before it closed.
    expect(es.docs.some((d) => d.source.message === 'shutdown finished')).toBe(true);
    // Each request logged once (no re-sent duplicates).
    expect(es.docs.filter((d) => /^POST \/orders 201 /.test(String(d.source.message)))).toHaveLength(1);
  });
});
