import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import {
  activeResources,
  resourcesAddedSince,
  undocumentedCodes,
  waitFor,
} from '@org/shared-lifecycle/testing';
import { type HarnessUrls, harnessDatabase, logCollector, sql } from '@org/shared-service/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INGEST_ERROR_CODES } from '../src/errors.js';
import { type RunningEventsIngest, startEventsIngest } from '../src/service.js';

let urls: HarnessUrls;

function batch(prefix: string, start: number, size: number, sessions = 10) {
  return {
    events: Array.from({ length: size }, (_, i) => ({
      id: `${prefix}-${start + i}`,
      sessionId: `${prefix}-s${(start + i) % sessions}`,
      type: 'view',
      payload: { n: start + i },
    })),
  };
}

async function postBatch(url: string, body: unknown): Promise<{ status: number; accepted: number }> {
  const res = await fetch(`${url}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { accepted?: number };
  return { status: res.status, accepted: json.accepted ?? 0 };
}

beforeAll(async () => {
  urls = await harnessDatabase('events_ingest_e2e');
});

describe('events-ingest against the PostgreSQL harness', () => {
  let svc: RunningEventsIngest;
  let before: Record<string, number>;
  beforeAll(async () => {
    before = activeResources();
    svc = await startEventsIngest({
      env: {
        PORT: '0',
        DATABASE_URL: urls.primary,
        DATABASE_REPLICA_URLS: urls.replica,
        WRITER_FLUSH_INTERVAL_MS: '100',
        CLEANUP_INTERVAL_MS: '3600000',
        SESSION_STALE_AFTER_MS: '60000',
        CLEANUP_CHUNK_SIZE: '7',
        CLEANUP_MAX_CHUNKS: '3',
      },
      logStream: logCollector().stream,
      signals: false,
    });
  });
  afterAll(async () => {
    expect((await svc.close()).code).toBe(0);
    await waitFor(() => Object.keys(resourcesAddedSince(before)).length === 0, { timeoutMs: 5000 }).catch(
      () => {},
    );
    expect(resourcesAddedSince(before)).toEqual({});
  });

  it('ingests 100,000 events with none lost', async () => {
    const total = 100_000;
    const size = 1000;
    let accepted = 0;
    let refused = 0;
    const starts = Array.from({ length: total / size }, (_, i) => i * size);
    // Four concurrent clients; a 503 (queue full) is retried, as a client should.
    await Promise.all(
      [0, 1, 2, 3].map(async (lane) => {
        for (const start of starts.filter((_, i) => i % 4 === lane)) {
          for (;;) {
            const r = await postBatch(svc.url, batch('bulk', start, size));
            if (r.status === 202) {
              accepted += r.accepted;
              break;
            }
            expect(r.status).toBe(503);
            refused++;
            await new Promise((res) => setTimeout(res, 20));
          }
        }
      }),
    );
    expect(accepted).toBe(total);
    await waitFor(
      async () =>
        (
          await sql(urls.primary, "select count(*)::int as n from ingest_events where event_id like 'bulk-%'")
        )[0]?.n === total,
      { timeoutMs: 20_000, what: 'all events written' },
    );
    const [row] = await sql<{ n: number; d: number }>(
      urls.primary,
      "select count(*)::int as n, count(distinct event_id)::int as d from ingest_events where event_id like 'bulk-%'",
    );
    expect(row).toEqual({ n: total, d: total });
    expect(svc.ingestor.stats().acceptedEvents).toBe(total);
    void refused;
  }, 90_000);

  it('rejects an invalid batch whole, with every problem listed', async () => {
    const res = await fetch(`${svc.url}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        events: [
          { id: 'ok-1', sessionId: 's', type: 't' },
          { id: 'bad id', sessionId: '', type: 't' },
        ],
      }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as {
      error: { code: string; details: { problems: { field: string }[] } };
    };
    expect(body.error.code).toBe('ORG_INGEST_INVALID_INPUT');
    expect(body.error.details.problems.map((p) => p.field)).toEqual(['events[1].id', 'events[1].sessionId']);
    expect(await sql(urls.primary, "select 1 from ingest_events where event_id = 'ok-1'")).toEqual([]);
  });

  it('closes stale sessions in bounded chunks (LIMIT), at most maxChunks per run', async () => {
    await sql(
      urls.primary,
      "insert into ingest_sessions (id, last_seen_at) select 'stale-' || g, now() - interval '1 hour' from generate_series(1, 30) g",
    );
    await svc.cleanup.runNow();
    // chunk 7 × 3 chunks = 21 per run, then the rest next run.
    expect(svc.cleanup.stats()).toMatchObject({ lastRunClosed: 21, lastRunCapped: true });
    await svc.cleanup.runNow();
    expect(svc.cleanup.stats()).toMatchObject({ lastRunClosed: 9, lastRunCapped: false });
    const [open] = await sql<{ n: number }>(
      urls.primary,
      "select count(*)::int as n from ingest_sessions where id like 'stale-%' and closed_at is null",
    );
    expect(open?.n).toBe(0);
    // Fresh sessions stay open.
    const [fresh] = await sql<{ n: number }>(
      urls.primary,
      "select count(*)::int as n from ingest_sessions where id like 'bulk-%' and closed_at is null",
    );
    expect(fresh?.n).toBe(10);
  });

  it('serves /health and a /metrics page with the writer, ingest and cleanup stats that passes promtool', async () => {
    const health = await fetch(`${svc.url}/health`);
    expect(health.status).toBe(200);
    const text = await (await fetch(`${svc.url}/metrics`)).text();
    for (const name of [
      'db_writers_written_total{writer="events"',
      'db_writers_queue_size{writer="events"',
      'ingest_accepted_events_total{',
      'cleanup_closed_sessions_total{',
      'http_request_duration_seconds_count{',
      'logger_logged_total{',
    ])
      expect(text).toContain(name);
    const out = execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(out).toBe('');
  });

  it('documents every error code in the README', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(undocumentedCodes(readme, Object.keys(INGEST_ERROR_CODES))).toEqual([]);
  });
});

describe('SIGTERM during load', () => {
  it('loses no accepted event and exits 0 within the deadline', async () => {
    const main = new URL('../dist/main.js', import.meta.url).pathname;
    const child = spawn(process.execPath, [main], {
      env: {
        ...process.env,
        NODE_OPTIONS: '--max-old-space-size=384 --max-semi-space-size=4',
        PORT: '0',
        DATABASE_URL: urls.primary,
        DATABASE_REPLICA_URLS: '',
        SHUTDOWN_TIMEOUT_MS: '8000',
        WRITER_FLUSH_INTERVAL_MS: '2000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
      child.once('exit', (code) => resolve({ code, at: Date.now() })),
    );
    await waitFor(() => /listening on (http:\/\/[\d.:]+)/.test(out), {
      timeoutMs: 15_000,
      what: 'the service to listen',
    });
    const url = /listening on (http:\/\/[\d.:]+)/.exec(out)?.[1] as string;

    let accepted = 0;
    let next = 0;
    let stop = false;
    const load = Promise.all(
      [0, 1, 2, 3].map(async () => {
        while (!stop) {
          const start = next;
          next += 200;
          try {
            const r = await postBatch(url, batch('term', start, 200));
            if (r.status === 202) accepted += r.accepted;
          } catch {
            // Refused connections after the server stopped accepting: those events were never accepted.
            return;
          }
        }
      }),
    );
    await waitFor(() => accepted >= 5000, { timeoutMs: 15_000, what: 'load to be under way' });
    const signalledAt = Date.now();
    child.kill('SIGTERM');
    const { code, at } = await exited;
    stop = true;
    await load;
    expect(code).toBe(0);
    expect(at - signalledAt).toBeLessThan(8000);
    const [row] = await sql<{ n: number }>(
      urls.primary,
      "select count(*)::int as n from ingest_events where event_id like 'term-%'",
    );
    expect(row?.n).toBe(accepted);
    expect(out).toContain('"shutdown finished"');
  }, 60_000);
});
