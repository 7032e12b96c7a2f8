import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, DatabaseError } from '../src/index.js';
import { TcpProxy } from '../src/testing.js';
import { collectErrors, harnessEnv, rawKnex, uniqueName, waitFor } from './helpers.js';

const env = harnessEnv();
const table = uniqueName('outage');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Row {
  n: number;
}

async function stored(): Promise<number> {
  await using admin = rawKnex(env.primary);
  const { rows } = await admin.raw(`SELECT count(*)::int AS n FROM ${table}`);
  return rows[0].n;
}

describe('an outage of the primary, through a TCP proxy that is cut and restored', () => {
  beforeAll(async () => {
    await using admin = rawKnex(env.primary);
    await admin.raw(`CREATE TABLE ${table} (id bigserial PRIMARY KEY, n int NOT NULL)`);
  });
  afterAll(async () => {
    await using admin = rawKnex(env.primary);
    await admin.raw(`DROP TABLE IF EXISTS ${table}`);
  });

  it('fails typed and retryable, health fails, and the same database recovers; what the writer accepted is stored', async () => {
    await using admin = rawKnex(env.primary);
    await admin.raw(`TRUNCATE ${table}`);
    await using proxy = await TcpProxy.start(env.primary);
    const reported = collectErrors();
    await using db = createDatabase({
      primary: proxy.url(env.primary),
      pool: { createTimeoutMs: 1_000 },
      onError: reported.onError,
    });
    const writer = db.createBatchWriter<Row>({ table, columns: ['n'], flushIntervalMs: 50 });
    for (let n = 0; n < 100; n++) writer.write({ n });
    await writer.flush();
    expect(writer.stats().written).toBe(100);
    expect((await db.health()).ok).toBe(true);

    await proxy.cut('refuse');
    // A pooled connection that was cut, then a connect that is refused: both typed, both retryable.
    for (let i = 0; i < 2; i++) {
      const error = await Promise.resolve(db.write().raw('SELECT 1')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DatabaseError);
      expect(error).toMatchObject({ code: 'ORG_DATABASE_CONNECTION', isRetryable: true });
    }
    expect(await db.health()).toMatchObject({
      ok: false,
      primary: { reachable: false, error: 'ORG_DATABASE_CONNECTION' },
    });
    // The writer keeps accepting; its requests fail and wait (backoff), nothing is dropped.
    for (let n = 100; n < 600; n++) expect(writer.write({ n })).toBe(true);
    await waitFor(() => writer.stats().requests.failed >= 2, { what: 'failed requests during the outage' });
    expect(writer.stats()).toMatchObject({
      written: 100,
      pending: 500,
      dropped: { overflow: 0, rejected: 0 },
    });

    await proxy.restore();
    await waitFor(() => writer.stats().written === 600, {
      what: 'the rows accepted during the outage',
      timeoutMs: 15_000,
    });
    const { rows } = await db.write().raw('SELECT 1 AS one');
    expect(rows[0].one).toBe(1);
    expect((await db.health()).ok).toBe(true);
    expect(await stored()).toBe(600);
    expect(writer.stats()).toMatchObject({
      pending: 0,
      unconfirmed: 0,
      dropped: { overflow: 0, rejected: 0, closed: 0 },
    });
    expect(reported.codes()).toContain('ORG_DATABASE_CONNECTION');
    await writer.close();
  });

  describe('close() keeps its deadline: a 1-second outage during close({ timeoutMs: 4000 }) loses nothing', () => {
    async function closeThroughOutage(
      outageMs: number,
      close: (
        db: ReturnType<typeof createDatabase>,
        writer: { close(o: { timeoutMs: number }): Promise<void> },
      ) => Promise<void>,
    ) {
      await using admin = rawKnex(env.primary);
      await admin.raw(`TRUNCATE ${table}`);
      await using proxy = await TcpProxy.start(env.primary);
      const db = createDatabase({
        primary: proxy.url(env.primary),
        pool: { createTimeoutMs: 500 },
        onError: () => {},
      });
      const writer = db.createBatchWriter<Row>({ table, columns: ['n'], flushIntervalMs: 60_000 });
      // Warm up one connection, so the outage also cuts a pooled one.
      await db.write().raw('SELECT 1');
      await proxy.cut('refuse');
      for (let n = 0; n < 1_000; n++) writer.write({ n });
      const started = performance.now();
      const closing = close(db, writer);
      await sleep(outageMs);
      await proxy.restore();
      await closing;
      const tookMs = performance.now() - started;
      await db.close();
      return { stats: writer.stats(), stored: await stored(), tookMs };
    }

    it('writer.close({ timeoutMs: 4000 })', async () => {
      const {
        stats,
        stored: rows,
        tookMs,
      } = await closeThroughOutage(1_000, (_db, writer) => writer.close({ timeoutMs: 4_000 }));
      expect(rows).toBe(1_000);
      expect(stats).toMatchObject({ written: 1_000, pending: 0, unconfirmed: 0, dropped: { closed: 0 } });
      expect(stats.requests.failed).toBeGreaterThan(0);
      expect(tookMs).toBeLessThan(4_000);
    });

    it('db.close({ timeoutMs: 4000 }): the writer gets its share of the one deadline', async () => {
      const { stats, stored: rows } = await closeThroughOutage(1_000, (db) => db.close({ timeoutMs: 4_000 }));
      expect(rows).toBe(1_000);
      expect(stats).toMatchObject({ written: 1_000, dropped: { closed: 0 } });
    });

    it('the same check sees the loss when the deadline ends before the outage (rows counted as closed)', async () => {
      const {
        stats,
        stored: rows,
        tookMs,
      } = await closeThroughOutage(1_500, (_db, writer) => writer.close({ timeoutMs: 500 }));
      expect(rows).toBe(0);
      expect(stats).toMatchObject({ written: 0, pending: 0, dropped: { closed: 1_000 } });
      expect(tookMs).toBeLessThan(2_500);
    });
  });
});
