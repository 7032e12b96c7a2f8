import { setImmediate as tick } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDatabase, type Database, DatabaseError } from '../src/index.js';
import { collectErrors, harnessEnv, rawKnex, uniqueName, waitFor } from './helpers.js';

const env = harnessEnv();
const table = uniqueName('bw_events');
const strict = uniqueName('bw_strict');

interface Event {
  kind: string;
  amount: number | null;
  meta: unknown;
  at?: Date;
  ok?: boolean;
}

async function count(db: Database, name = table): Promise<number> {
  const { rows } = await db.primary.raw(`SELECT count(*)::int AS n FROM ${name}`);
  return rows[0].n;
}

/** Holds an ACCESS EXCLUSIVE lock on a table until release() (a database that has slowed down). */
async function lockTable(name: string): Promise<{ release: () => Promise<void> }> {
  const admin = rawKnex(env.primary);
  const trx = await admin.transaction();
  await trx.raw(`LOCK TABLE ${name} IN ACCESS EXCLUSIVE MODE`);
  return {
    release: async () => {
      await trx.rollback();
      await admin.destroy();
    },
  };
}

describe('BatchWriter', () => {
  let db: Database;
  const reported = collectErrors();

  beforeAll(async () => {
    await using admin = rawKnex(env.primary);
    await admin.schema.createTable(table, (t) => {
      t.bigIncrements('id');
      t.text('kind').notNullable();
      t.double('amount');
      t.jsonb('meta');
      t.timestamp('at', { useTz: true });
      t.boolean('ok');
    });
    await admin.schema.createTable(strict, (t) => {
      t.integer('n').notNullable().unique();
    });
    db = createDatabase({ primary: env.primary, onError: reported.onError });
  });
  afterAll(async () => {
    await db.close();
    await using admin = rawKnex(env.primary);
    await admin.schema.dropTableIfExists(table);
    await admin.schema.dropTableIfExists(strict);
  });
  afterEach(async () => {
    vi.useRealTimers();
    await db.primary.raw(`TRUNCATE ${table}`);
    await db.primary.raw(`TRUNCATE ${strict}`);
    reported.errors.length = 0;
  });

  it('writes with COPY, a full request at once, and round-trips awkward values', async () => {
    const writer = db.createBatchWriter<Event>({
      table,
      columns: ['kind', 'amount', 'meta', 'at', 'ok'],
      batchSize: 100,
      batchesPerCopy: 5,
      flushIntervalMs: 60_000,
    });
    const at = new Date('2024-05-06T07:08:09.123Z');
    writer.write({
      kind: 'tab\there\nnew line \\ back\r',
      amount: null,
      meta: { a: [1, 'x\ty'] },
      at,
      ok: true,
    });
    for (let i = 1; i < 2_500; i++) writer.write({ kind: 'event', amount: i / 2, meta: null, ok: false });
    // The interval is 60 s: only full requests (batchSize × batchesPerCopy = 500 rows) can have gone.
    await waitFor(() => writer.stats().written === 2_500, { what: 'requests of full batches' });
    expect(await count(db)).toBe(2_500);
    expect(writer.stats().batches).toBe(5);
    // Fewer rows than a request holds wait for the interval or an explicit flush.
    writer.write({ kind: 'late', amount: 1, meta: null });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(writer.stats().written).toBe(2_500);
    await writer.flush();
    expect(await count(db)).toBe(2_501);
    const first = await db.primary.select('*').from(table).orderBy('id').first();
    expect(first).toMatchObject({
      kind: 'tab\there\nnew line \\ back\r',
      amount: null,
      meta: { a: [1, 'x\ty'] },
      ok: true,
    });
    expect(first.at.toISOString()).toBe(at.toISOString());
    expect(writer.stats()).toMatchObject({
      mode: 'copy',
      written: 2_501,
      retried: 0,
      lastError: null,
    });
    expect(writer.stats().batches).toBe(6);
    await writer.close();
    expect(db.stats().writers).toEqual([]);
  });

  it('writes with multi-row INSERT chunked under the 65,535-parameter limit', async () => {
    const writer = db.createBatchWriter<Event>({
      table,
      columns: ['kind', 'amount', 'meta'],
      mode: 'insert',
      batchSize: 30_000,
      maxItems: 30_000,
      flushIntervalMs: 60_000,
    });
    // 30,000 rows × 3 columns = 90,000 parameters: two statements (21,845 + 8,155 rows) in one transaction.
    for (let i = 0; i < 30_000; i++) writer.write({ kind: 'ins', amount: i, meta: { i } });
    await writer.flush();
    expect(await count(db)).toBe(30_000);
    expect(writer.stats()).toMatchObject({ mode: 'insert', written: 30_000, batches: 1 });
    const last = await db.primary.select('meta').from(table).where({ amount: 29_999 }).first();
    expect(last.meta).toEqual({ i: 29_999 });
    await writer.close();
  });

  it('INSERT mode prepares the full-size statement once per connection, and only that one', async () => {
    await using single = createDatabase({
      primary: env.primary,
      pool: { max: 1 },
      onError: reported.onError,
    });
    const writer = single.createBatchWriter<Event>({
      table,
      columns: ['kind', 'amount'],
      mode: 'insert',
      batchSize: 100,
      flushIntervalMs: 60_000,
    });
    // Full batches of 100 (named statement) and partial ones of 1..9 rows (unnamed).
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 100; i++) writer.write({ kind: 'full', amount: i, meta: null });
      await writer.flush();
      for (let i = 0; i <= round; i++) writer.write({ kind: 'partial', amount: i, meta: null });
      await writer.flush();
    }
    expect(writer.stats()).toMatchObject({ written: 306, dropped: { rejected: 0 } });
    // Pool of one: this query runs on the connection the writer used.
    const { rows } = await single.primary.raw('SELECT name FROM pg_prepared_statements');
    expect(rows.map((r: { name: string }) => r.name)).toEqual([
      expect.stringMatching(/^org_bw_[0-9a-f]{20}$/),
    ]);
    expect(await count(db)).toBe(306);
    await writer.close();

    // Behind PgBouncer in transaction mode (pgbouncer=true in the URL): no named statement at all.
    await using bouncer = createDatabase({ primary: `${env.primary}?pgbouncer=true`, pool: { max: 1 } });
    const unnamed = bouncer.createBatchWriter<Event>({
      table,
      columns: ['kind'],
      mode: 'insert',
      batchSize: 100,
    });
    for (let i = 0; i < 100; i++) unnamed.write({ kind: 'bouncer', amount: null, meta: null });
    await unnamed.flush();
    expect(unnamed.stats().written).toBe(100);
    const after = await bouncer.primary.raw('SELECT name FROM pg_prepared_statements');
    expect(after.rows).toEqual([]);
    await unnamed.close();
  });

  it('keeps at most maxConcurrency requests in flight, each on a connection of its own', async () => {
    for (const maxConcurrency of [1, 3]) {
      const client = db.primary.client as { acquireConnection: () => Promise<unknown> };
      const original = client.acquireConnection;
      let held = 0;
      let most = 0;
      const release = (db.primary.client as { releaseConnection: (c: unknown) => Promise<unknown> })
        .releaseConnection;
      const spies = [
        vi.spyOn(client, 'acquireConnection').mockImplementation(async function (this: unknown) {
          const conn = await original.call(this);
          most = Math.max(most, ++held);
          return conn;
        }),
        vi
          .spyOn(
            db.primary.client as { releaseConnection: (c: unknown) => Promise<unknown> },
            'releaseConnection',
          )
          .mockImplementation(function (this: unknown, conn: unknown) {
            held--;
            return release.call(this, conn);
          }),
      ];
      try {
        const writer = db.createBatchWriter<Event>({
          table,
          columns: ['kind'],
          batchSize: 50,
          batchesPerCopy: 1,
          maxConcurrency,
          flushIntervalMs: 5,
        });
        for (let i = 0; i < 2_000; i++) writer.write({ kind: 'c', amount: 0, meta: null });
        await writer.close();
        expect(writer.stats()).toMatchObject({ written: 2_000, pending: 0 });
        expect(writer.stats().requests.peak).toBeLessThanOrEqual(maxConcurrency);
        expect(most).toBeLessThanOrEqual(maxConcurrency);
        if (maxConcurrency > 1) expect(writer.stats().requests.peak).toBeGreaterThan(1);
      } finally {
        for (const spy of spies) spy.mockRestore();
      }
      await db.primary.raw(`TRUNCATE ${table}`);
    }
  });

  it('stays bounded when the database slows down, counting every dropped row', async () => {
    const writer = db.createBatchWriter<Event>({
      table,
      columns: ['kind'],
      batchSize: 100,
      maxItems: 1_000,
      flushIntervalMs: 10,
    });
    const lock = await lockTable(table);
    let released = false;
    try {
      for (let i = 0; i < 5_000; i++) {
        writer.write({ kind: `slow-${i}`, amount: null, meta: null });
        if (i % 500 === 0) await tick();
      }
      const stats = writer.stats();
      expect(stats.queue.size).toBeLessThanOrEqual(1_000);
      expect(stats.dropped.overflow).toBeGreaterThan(0);
      expect(reported.codes()).toContain('ORG_DATABASE_ROWS_DROPPED');
      await lock.release();
      released = true;
      await waitFor(() => writer.stats().pending === 0, {
        what: 'the queue to drain',
      });
      const after = writer.stats();
      // Every row offered is either written or counted as dropped.
      expect(after.written + after.dropped.overflow).toBe(5_000);
      expect(await count(db)).toBe(after.written);
    } finally {
      if (!released) await lock.release();
      await writer.close();
    }
  });

  it('streams several batches per COPY in order; a row that cannot be encoded is dropped alone', async () => {
    const writer = db.createBatchWriter<Event>({
      table,
      columns: ['kind', 'amount', 'at'],
      batchSize: 100,
      batchesPerCopy: 4,
      maxConcurrency: 1,
      maxItems: 5_000,
      flushIntervalMs: 60_000,
    });
    const base = Date.UTC(2025, 0, 1, 23, 59, 59, 990);
    // COPYs of 4 + 4 + 2 batches, one at a time. Dates cross midnight; multi-byte text.
    for (let i = 0; i < 1_000; i++) {
      writer.write({ kind: `ü${i}✓`, amount: i, meta: null, at: new Date(base + (i % 20)) });
    }
    await writer.flush();
    expect(writer.stats()).toMatchObject({ written: 1_000, batches: 3, dropped: { rejected: 0 } });
    expect(writer.stats().copies).toEqual({ binary: 3, text: 0 });
    const rows = await db.primary.select('kind', 'amount', 'at').from(table).orderBy('id');
    expect(rows.map((r: { amount: number }) => r.amount)).toEqual(Array.from({ length: 1_000 }, (_, i) => i));
    expect(rows[11].kind).toBe('ü11✓');
    expect(rows[11].at.toISOString()).toBe(new Date(base + 11).toISOString());
    await db.primary.raw(`TRUNCATE ${table}`);

    // One COPY of 4 batches (text: an invalid Date has no binary form). Row 250, in its third batch,
    // cannot be encoded: that COPY is aborted (nothing of it committed), the row is dropped, and the
    // other 399 go again.
    const rejected: Event[] = [];
    const refusing = db.createBatchWriter<Event>({
      table,
      columns: ['kind', 'amount', 'at'],
      batchSize: 100,
      batchesPerCopy: 4,
      flushIntervalMs: 60_000,
      onRejected: (bad) => rejected.push(...bad),
    });
    for (let i = 0; i < 400; i++) {
      refusing.write({ kind: 'bad', amount: i, meta: null, at: new Date(i === 250 ? Number.NaN : base) });
    }
    await refusing.flush();
    expect(refusing.stats()).toMatchObject({ written: 399, dropped: { rejected: 1 }, splits: 0 });
    expect(rejected.map((r) => r.amount)).toEqual([250]);
    expect(await count(db)).toBe(399);
    const error = reported.errors.find(
      (e) => (e as DatabaseError).code === 'ORG_DATABASE_ROWS_REJECTED',
    ) as DatabaseError;
    expect(error.details).toMatchObject({
      reason: 'rejected',
      count: 1,
      sample: { code: 'ORG_DATABASE_DATA', column: 'at' },
    });
    // The connection that carried the aborted COPY is usable again: the next COPY goes through.
    for (let i = 0; i < 150; i++) refusing.write({ kind: 'ok', amount: i, meta: null, at: new Date(base) });
    await refusing.flush();
    expect(await count(db)).toBe(549);
    await Promise.all([writer.close(), refusing.close()]);
  });

  it('drops only the row the server refuses, reports it, and keeps writing', async () => {
    const writer = db.createBatchWriter<{ n: number | null }>({
      table: strict,
      columns: ['n'],
      flushIntervalMs: 60_000,
    });
    writer.write({ n: 1 });
    writer.write({ n: null });
    writer.write({ n: 3 });
    await writer.flush();
    expect(writer.stats()).toMatchObject({ written: 2, dropped: { rejected: 1 } });
    const error = reported.errors.find(
      (e) => (e as DatabaseError).code === 'ORG_DATABASE_ROWS_REJECTED',
    ) as DatabaseError;
    expect(error.details?.sample).toMatchObject({
      code: 'ORG_DATABASE_CONSTRAINT',
      sqlState: '23502',
      column: 'n',
    });
    writer.write({ n: 2 });
    await writer.flush();
    expect(await count(db, strict)).toBe(3);
    expect(() => writer.write(null as unknown as { n: number })).toThrowError(
      expect.objectContaining({ code: 'ORG_DATABASE_INVALID_ROW' }),
    );
    await writer.close();
    expect(() => writer.write({ n: 3 })).toThrowError(
      expect.objectContaining({ code: 'ORG_LIFECYCLE_CLOSED' }),
    );
  });

  it('puts a batch back on a retryable error (pool timeout) and writes it later', async () => {
    const reportedHere = collectErrors();
    await using small = createDatabase({
      primary: env.primary,
      pool: { max: 1, acquireTimeoutMs: 100 },
      onError: reportedHere.onError,
    });
    const writer = small.createBatchWriter<Event>({ table, columns: ['kind'], flushIntervalMs: 20 });
    let release!: () => void;
    const held = small.transaction(
      () =>
        new Promise<void>((resolve) => {
          release = resolve;
        }),
    );
    await waitFor(() => small.stats().pools.primary!.used === 1, { what: 'the connection to be held' });
    writer.write({ kind: 'r1', amount: null, meta: null });
    writer.write({ kind: 'r2', amount: null, meta: null });
    await waitFor(() => writer.stats().retried > 0, { what: 'a retry' });
    expect(writer.stats().written).toBe(0);
    expect(writer.stats().lastError).toBe('ORG_DATABASE_POOL_TIMEOUT');
    expect(reportedHere.codes()).toContain('ORG_DATABASE_POOL_TIMEOUT');
    release();
    await held;
    await waitFor(() => writer.stats().written === 2, { what: 'the retried rows' });
    expect(writer.stats().dropped).toMatchObject({ overflow: 0, rejected: 0 });
  });

  it('flushes on time with fake timers', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const writer = db.createBatchWriter<Event>({ table, columns: ['kind'], flushIntervalMs: 1_000 });
    for (let i = 0; i < 5; i++) writer.write({ kind: 't', amount: null, meta: null });
    await vi.advanceTimersByTimeAsync(999);
    expect(writer.stats().flushes).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(writer.stats().flushes).toBe(1);
    vi.useRealTimers();
    const deadline = performance.now() + 10_000;
    while (writer.stats().written < 5 && performance.now() < deadline) await tick();
    expect(writer.stats().written).toBe(5);
    await writer.close();
  });

  it('close() makes a final flush, and keeps its deadline when the database is stuck', async () => {
    const writer = db.createBatchWriter<Event>({ table, columns: ['kind'], flushIntervalMs: 60_000 });
    for (let i = 0; i < 10; i++) writer.write({ kind: 'final', amount: null, meta: null });
    await writer.close();
    expect(await count(db)).toBe(10);

    const stuck = db.createBatchWriter<Event>({ table, columns: ['kind'], flushIntervalMs: 60_000 });
    for (let i = 0; i < 10; i++) stuck.write({ kind: 'stuck', amount: null, meta: null });
    const lock = await lockTable(table);
    try {
      const started = performance.now();
      await stuck.close({ timeoutMs: 300 });
      expect(performance.now() - started).toBeLessThan(1_500);
      // Blocked before anything could commit: certainly not stored, counted as closed.
      expect(stuck.stats()).toMatchObject({
        written: 0,
        unconfirmed: 0,
        pending: 0,
        dropped: { closed: 10 },
      });
      const dropped = reported.errors.find(
        (e) =>
          (e as DatabaseError).code === 'ORG_DATABASE_ROWS_DROPPED' &&
          (e as DatabaseError).details?.reason === 'closed',
      ) as DatabaseError;
      expect(dropped.details).toMatchObject({ count: 10 });
    } finally {
      await lock.release();
    }
  });

  it('rejects bad options with typed errors', () => {
    expect(() => db.createBatchWriter({ table: '', columns: ['a'] })).toThrowError(DatabaseError);
    expect(() => db.createBatchWriter<{ a: number }>({ table, columns: [] })).toThrowError(
      expect.objectContaining({ code: 'ORG_DATABASE_INVALID_OPTION' }),
    );
    expect(() =>
      db.createBatchWriter<{ a: number }>({ table, columns: ['a'], mode: 'upsert' as 'copy' }),
    ).toThrowError(expect.objectContaining({ code: 'ORG_DATABASE_INVALID_OPTION' }));
    // One code for every option of the package, the buffer's included.
    for (const bad of [
      { batchSize: 0 },
      { maxConcurrency: 0 },
      { dropFraction: 2 },
      { maxBytes: -1 },
      { backoff: { initialMs: 0 } },
    ]) {
      expect(() => db.createBatchWriter<{ a: number }>({ table, columns: ['a'], ...bad })).toThrowError(
        expect.objectContaining({ code: 'ORG_DATABASE_INVALID_OPTION' }),
      );
    }
  });
});
