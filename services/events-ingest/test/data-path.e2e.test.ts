import { createDatabase } from '@org/shared-database';
import { TcpProxy } from '@org/shared-database/testing';
import { waitFor } from '@org/shared-lifecycle/testing';
import { type HarnessUrls, harnessDatabase, logCollector, sql } from '@org/shared-service/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_COLUMNS, type EventRow, Ingestor, parseBatch } from '../src/ingest.js';
import { migrations } from '../src/migrations.js';
import { type RunningEventsIngest, startEventsIngest } from '../src/service.js';

let urls: HarnessUrls;

// biome-ignore lint/suspicious/noExplicitAny: JSON response bodies are inspected loosely in these tests.
type Json = any;

async function post(
  url: string,
  body: unknown,
): Promise<{ status: number; json: Json; retryAfter: string | null }> {
  const res = await fetch(`${url}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json(), retryAfter: res.headers.get('retry-after') };
}

async function count(prefix: string): Promise<number> {
  const [row] = await sql<{ n: number }>(
    urls.primary,
    'select count(*)::int as n from ingest_events where event_id like $1',
    [`${prefix}%`],
  );
  return row!.n;
}

function start(databaseUrl: string, extra: Record<string, string> = {}): Promise<RunningEventsIngest> {
  return startEventsIngest({
    env: {
      PORT: '0',
      DATABASE_URL: databaseUrl,
      DATABASE_REPLICA_URLS: '',
      WRITER_FLUSH_INTERVAL_MS: '50',
      CLEANUP_INTERVAL_MS: '3600000',
      ...extra,
    },
    logStream: logCollector().stream,
    signals: false,
  });
}

beforeAll(async () => {
  urls = await harnessDatabase('events_ingest_data_path');
});

describe('a 202 means the events will be stored', () => {
  let svc: RunningEventsIngest;
  beforeAll(async () => {
    svc = await start(urls.primary);
  });
  afterAll(async () => {
    expect((await svc.close()).code).toBe(0);
  });

  it('answers 422 naming the field for values the database could not store, and stores nothing of the batch', async () => {
    const deep = `${'['.repeat(2_000)}${']'.repeat(2_000)}`;
    const cases: [string, string, string][] = [
      // raw JSON text, so escapes arrive as the client sent them
      ['{"k":"nul\\u0000"}', 'payload', 'NUL'],
      ['{"nul\\u0000key":1}', 'payload', 'NUL'],
      ['{"k":"lone \\ud800 surrogate"}', 'payload', 'lone UTF-16 surrogate'],
      ['{"k":1e400}', 'payload', 'Infinity'],
      [`{"k":${deep}}`, 'payload', 'nested deeper'],
      [`{"k":"${'x'.repeat(17_000)}"}`, 'payload', 'at most 16384 characters'],
    ];
    for (const [payload, field, problem] of cases) {
      const body = `{"events":[{"id":"v-ok","sessionId":"v-s","type":"t"},{"id":"v-bad","sessionId":"v-s","type":"t","payload":${payload}}]}`;
      const res = await post(svc.url, body);
      expect(res.status, payload.slice(0, 40)).toBe(422);
      expect(res.json.error.code).toBe('ORG_INGEST_UNSTORABLE');
      expect(res.json.error.details.problems).toEqual([
        { field: `events[1].${field}`, problem: expect.stringContaining(problem) },
      ]);
    }
    for (const at of ['-271821-04-20T00:00:00.000Z', '2024-02-30T00:00:00Z', '2023-02-29']) {
      const res = await post(svc.url, { events: [{ id: 'v-at', sessionId: 'v-s', type: 't', at }] });
      expect(res.status, at).toBe(422);
      expect(res.json.error.details.problems[0].field).toBe('events[0].at');
    }
    // Shape problems stay 400, and win when a batch has both.
    const mixed = await post(svc.url, {
      events: [{ id: 'bad id', sessionId: 's', type: 't', payload: { k: 'nul\u0000' } }],
    });
    expect(mixed.status).toBe(400);
    expect(mixed.json.error.details.problems.map((p: { field: string }) => p.field)).toEqual([
      'events[0].id',
      'events[0].payload',
    ]);
    expect(await count('v-')).toBe(0);
    expect(await sql(urls.primary, "select 1 from ingest_sessions where id = 'v-s'")).toEqual([]);
  });

  it('stores what it accepts, borderline values included', async () => {
    const events = [
      {
        id: 'b-1',
        sessionId: 'b-s',
        type: 't',
        at: '+275760-09-13T00:00:00.000Z',
        payload: { emoji: '😀 naïve ✓' },
      },
      {
        id: 'b-2',
        sessionId: 'b-s',
        type: 't',
        at: '-004713-11-24T00:00:00.000Z',
        payload: { nested: [[[[1]]]], text: '\\u0000 is text here' },
      },
      {
        id: 'b-3',
        sessionId: 'b-s',
        type: 't',
        at: '2024-02-29T23:59:59.999Z',
        payload: { big: 'x'.repeat(16_000) },
      },
    ];
    const res = await post(svc.url, { events });
    expect(res.status).toBe(202);
    await waitFor(async () => (await count('b-')) === 3, {
      timeoutMs: 10_000,
      what: 'the borderline events',
    });
    const rows = await sql<{ id: string; ms: number }>(
      urls.primary,
      "select event_id as id, (extract(epoch from occurred_at) * 1000)::float8 as ms from ingest_events where event_id like 'b-%' order by event_id",
    );
    expect(rows.map((r) => r.ms)).toEqual(events.map((e) => Date.parse(e.at)));
  });

  it('16 concurrent clients upserting overlapping sessions: no 500, every event stored once', async () => {
    const clients = 16;
    const batches = 12;
    const statuses = new Map<number, number>();
    await Promise.all(
      Array.from({ length: clients }, async (_, client) => {
        for (let b = 0; b < batches; b++) {
          // Each batch touches 40 of the same 50 sessions, in a different order.
          const events = Array.from({ length: 200 }, (_, i) => ({
            id: `c-${client}-${b}-${i}`,
            sessionId: `c-s${(i * 7 + client * 13 + b * 3) % 50}`,
            type: 'view',
          }));
          for (;;) {
            const res = await post(svc.url, { events });
            statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
            if (res.status === 202) break;
            expect(res.status).toBe(503);
            await new Promise((resolve) => setTimeout(resolve, Number(res.retryAfter ?? 1) * 50));
          }
        }
      }),
    );
    expect(statuses.get(500) ?? 0).toBe(0);
    expect(statuses.get(202)).toBe(clients * batches);
    await waitFor(async () => (await count('c-')) === clients * batches * 200, {
      timeoutMs: 30_000,
      what: 'every event',
    });
    const [row] = await sql<{ d: number }>(
      urls.primary,
      "select count(distinct event_id)::int as d from ingest_events where event_id like 'c-%'",
    );
    expect(row!.d).toBe(clients * batches * 200);
  }, 60_000);
});

describe('session upserts in key order cannot deadlock', () => {
  it('16 concurrent batches over overlapping sessions, with no retry at all: no deadlock', async () => {
    // No retries: only the order of the upsert's rows keeps concurrent batches from deadlocking (with the
    // rows shuffled, this test fails with 40P01s; deadlock_timeout is lowered so they show at once).
    const fast = `${urls.primary}?options=${encodeURIComponent('-c deadlock_timeout=20ms')}`;
    await using db = createDatabase({ primary: fast, retry: { attempts: 1 }, onError: () => {} });
    await migrations.migrate(db.primary);
    const writer = db.createBatchWriter<EventRow>({
      table: 'ingest_events',
      columns: EVENT_COLUMNS,
      maxItems: 100_000,
    });
    const ingestor = new Ingestor(writer, db.primary, 100_000);
    const failures: unknown[] = [];
    await Promise.all(
      Array.from({ length: 16 }, async (_, client) => {
        for (let b = 0; b < 20; b++) {
          const rows = parseBatch(
            {
              events: Array.from({ length: 60 }, (_, i) => ({
                id: `o-${client}-${b}-${i}`,
                // Every batch names the same 60 sessions, each client in its own rotation of them.
                sessionId: `o-s${(i * 11 + client * 17 + b) % 60}`,
                type: 'view',
              })),
            },
            1_000,
          );
          await ingestor.accept(rows).catch((error: unknown) => failures.push(error));
        }
      }),
    );
    expect(failures).toEqual([]);
    await writer.close();
    expect(writer.stats()).toMatchObject({ written: 16 * 20 * 60, pending: 0 });
  }, 60_000);
});

describe('an outage of the primary (a TCP proxy in front of it, cut and restored)', () => {
  it('answers 503 with Retry-After and a typed code, fails readiness, recovers without a restart, stores what it accepted', async () => {
    await using proxy = await TcpProxy.start(urls.primary);
    const svc = await start(proxy.url(urls.primary), { DB_POOL_MAX: '4' });
    try {
      const batch = (prefix: string, n: number) => ({
        events: Array.from({ length: n }, (_, i) => ({
          id: `${prefix}-${i}`,
          sessionId: `${prefix}-s`,
          type: 't',
        })),
      });
      // Accepted just before the cut; flushed on the writer's timer, so some of it crosses the outage.
      expect((await post(svc.url, batch('out-before', 500))).status).toBe(202);
      await proxy.cut('refuse');
      const refused = await post(svc.url, batch('out-during', 10));
      expect(refused.status).toBe(503);
      expect(Number(refused.retryAfter)).toBeGreaterThan(0);
      expect(refused.json.error).toMatchObject({
        code: 'ORG_INGEST_UNAVAILABLE',
        details: { reason: 'ORG_DATABASE_CONNECTION' },
      });
      const health = await fetch(`${svc.url}/health`);
      expect(health.status).toBe(503);
      expect((await fetch(`${svc.url}/health/live`)).status).toBe(200);

      await proxy.restore();
      await waitFor(async () => (await fetch(`${svc.url}/health`)).status === 200, {
        timeoutMs: 15_000,
        what: 'readiness back',
      });
      expect((await post(svc.url, batch('out-after', 10))).status).toBe(202);
      await waitFor(async () => (await count('out-before')) === 500 && (await count('out-after')) === 10, {
        timeoutMs: 20_000,
        what: 'all accepted events',
      });
      expect(await count('out-during')).toBe(0);
    } finally {
      expect((await svc.close()).code).toBe(0);
    }
  }, 60_000);
});
