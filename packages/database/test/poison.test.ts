import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database, DatabaseError } from '../src/index.js';
import { collectErrors, harnessEnv, rawKnex, uniqueName } from './helpers.js';

const env = harnessEnv();
const table = uniqueName('poison');
const parent = uniqueName('poison_parent');

interface Row {
  n: number | null;
  t: string;
  j: unknown;
  at: Date;
  p: number | null;
}

/** A row PostgreSQL (or the encoder) refuses, and a word of it that must never appear in a report. */
interface Poison {
  kind: string;
  make: (n: number) => Row;
  secret: string;
}

const good = (n: number): Row => ({
  n,
  t: `ok-${n % 100}`,
  j: { n },
  at: new Date(1_700_000_000_000 + n),
  p: null,
});

const POISONS: Poison[] = [
  {
    kind: 'not null',
    make: (n) => ({ ...good(n), n: null, t: 'secret-not-null' }),
    secret: 'secret-not-null',
  },
  { kind: 'check', make: (n) => ({ ...good(n), n: -n - 1, t: 'secret-check' }), secret: 'secret-check' },
  {
    kind: 'varchar too long',
    make: (n) => ({ ...good(n), t: 'secret-too-long-for-varchar-20' }),
    secret: 'secret-too-long',
  },
  { kind: 'NUL in text', make: (n) => ({ ...good(n), t: 'secret\u0000nul' }), secret: 'secret' },
  {
    kind: 'NUL in jsonb',
    make: (n) => ({ ...good(n), j: { k: 'secret-jsonb\u0000' } }),
    secret: 'secret-jsonb',
  },
  {
    kind: 'lone surrogate in jsonb',
    make: (n) => ({ ...good(n), j: { k: 'secret-sur\ud800' } }),
    secret: 'secret-sur',
  },
  {
    kind: 'timestamp out of range',
    make: (n) => ({ ...good(n), at: new Date(-8.64e15), t: 'secret-ts' }),
    secret: 'secret-ts',
  },
  {
    kind: 'invalid Date',
    make: (n) => ({ ...good(n), at: new Date(Number.NaN), t: 'secret-date' }),
    secret: 'secret-date',
  },
  {
    kind: 'integer out of range',
    make: (n) => ({ ...good(n), n: 2 ** 31 + n, t: 'secret-int' }),
    secret: 'secret-int',
  },
  { kind: 'foreign key', make: (n) => ({ ...good(n), p: 999_999, t: 'secret-fk' }), secret: 'secret-fk' },
];

const MODES = [
  { mode: 'copy', copyFormat: 'auto' },
  { mode: 'copy', copyFormat: 'text' },
  { mode: 'insert', copyFormat: 'auto' },
] as const;

describe('poison rows are isolated: only the refused rows are dropped', () => {
  let db: Database;
  beforeAll(async () => {
    await using admin = rawKnex(env.primary);
    await admin.raw(`CREATE TABLE ${parent} (id int PRIMARY KEY)`);
    await admin.raw(`INSERT INTO ${parent} VALUES (1)`);
    await admin.raw(
      `CREATE TABLE ${table} (id bigserial PRIMARY KEY, n int NOT NULL UNIQUE CHECK (n >= 0), t varchar(20),
        j jsonb, at timestamptz, p int REFERENCES ${parent} (id))`,
    );
    db = createDatabase({ primary: env.primary, onError: () => {} });
  });
  afterAll(async () => {
    await db.close();
    await using admin = rawKnex(env.primary);
    await admin.raw(`DROP TABLE IF EXISTS ${table}`);
    await admin.raw(`DROP TABLE IF EXISTS ${parent}`);
  });
  afterEach(async () => {
    await db.primary.raw(`TRUNCATE ${table}`);
  });

  async function stored(): Promise<number[]> {
    const { rows } = await db.primary.raw(`SELECT n FROM ${table} ORDER BY n`);
    return rows.map((r: { n: number }) => r.n);
  }

  for (const { mode, copyFormat } of MODES) {
    const label = mode === 'insert' ? 'INSERT' : `COPY ${copyFormat === 'auto' ? 'binary' : 'text'}`;

    it(`${label}: each kind of poison row, one in a batch of 500 (several batches per COPY)`, async () => {
      for (const poison of POISONS) {
        const reported = collectErrors();
        const rejected: Row[] = [];
        const errors: DatabaseError[] = [];
        const writer = db.createBatchWriter<Row>({
          table,
          columns: ['n', 't', 'j', 'at', 'p'],
          mode,
          copyFormat,
          batchSize: 100,
          batchesPerCopy: 5,
          flushIntervalMs: 60_000,
          onError: reported.onError,
          onRejected: (rows, error) => {
            rejected.push(...rows);
            errors.push(error);
          },
        });
        // The bad row sits in the fourth batch of the COPY: the server's line number must be right.
        const bad = 337;
        const rows = Array.from({ length: 500 }, (_, i) => (i === bad ? poison.make(i) : good(i)));
        for (const row of rows) writer.write(row);
        await writer.flush();
        const stats = writer.stats();
        expect(rejected, poison.kind).toEqual([rows[bad]]);
        expect(stats, poison.kind).toMatchObject({ written: 499, pending: 0, dropped: { rejected: 1 } });
        expect(await stored(), poison.kind).toEqual(rows.filter((_, i) => i !== bad).map((r) => r.n));
        expect(errors[0], poison.kind).toBeInstanceOf(DatabaseError);
        expect(['ORG_DATABASE_DATA', 'ORG_DATABASE_CONSTRAINT'], poison.kind).toContain(errors[0]!.code);
        // The report: the row's place, column and SQLSTATE, never its values.
        const report = reported.errors.find(
          (e) => (e as DatabaseError).code === 'ORG_DATABASE_ROWS_REJECTED',
        );
        expect(report, poison.kind).toBeDefined();
        expect((report as DatabaseError).details).toMatchObject({
          count: 1,
          sample: { code: errors[0]!.code },
        });
        for (const e of reported.errors)
          expect(inspect(e, { depth: null }), poison.kind).not.toContain(poison.secret);
        // A COPY names the row (no splitting) except for what is checked after the last row (a foreign key).
        if (mode === 'copy' && poison.kind !== 'foreign key') expect(stats.splits, poison.kind).toBe(0);
        await writer.close();
        await db.primary.raw(`TRUNCATE ${table}`);
      }
    });

    it(`${label}: 10 bad rows of mixed kinds (and a duplicate key) in 2,000, with few requests`, async () => {
      const rejected: Row[] = [];
      const writer = db.createBatchWriter<Row>({
        table,
        columns: ['n', 't', 'j', 'at', 'p'],
        mode,
        copyFormat,
        batchSize: 500,
        batchesPerCopy: 4,
        maxConcurrency: 1,
        flushIntervalMs: 60_000,
        onError: () => {},
        onRejected: (rows) => rejected.push(...rows),
      });
      const badAt = new Map(
        [7, 150, 151, 400, 999, 1000, 1337, 1500, 1998, 1999].map((at, k) => [at, POISONS[k]!]),
      );
      const rows = Array.from({ length: 2_000 }, (_, i) => badAt.get(i)?.make(i) ?? good(i));
      // And a duplicate of row 10's key: the first one is stored, the second refused.
      rows[1200] = { ...good(10), t: 'dup' };
      for (const row of rows) writer.write(row);
      await writer.flush();
      const expectedRejected = [...badAt.keys(), 1200].sort((a, b) => a - b).map((i) => rows[i]);
      expect(rejected.sort((a, b) => rows.indexOf(a) - rows.indexOf(b))).toEqual(expectedRejected);
      const stats = writer.stats();
      expect(stats).toMatchObject({ written: 2_000 - 11, pending: 0, dropped: { rejected: 11, closed: 0 } });
      expect(await stored()).toEqual(
        rows
          .filter((_, i) => !badAt.has(i) && i !== 1200)
          .map((r) => r.n)
          .sort((a, b) => a! - b!),
      );
      // One bad row in n costs about 2·log2(n) requests by bisection, one request when the server names it.
      const budget = mode === 'copy' ? 11 + 2 * 2 * Math.log2(2_000) + 4 : 11 * 2 * Math.log2(500) + 4;
      expect(stats.requests.total).toBeLessThanOrEqual(budget);
      await writer.close();
    });
  }

  it('hands every row it drops to onRejected, and counts add up (received = written + dropped)', async () => {
    let rejectedRows = 0;
    const writer = db.createBatchWriter<Row>({
      table,
      columns: ['n', 't', 'j', 'at', 'p'],
      flushIntervalMs: 60_000,
      onError: () => {},
      onRejected: (rows) => {
        rejectedRows += rows.length;
      },
    });
    for (let i = 0; i < 3_000; i++)
      writer.write(i % 97 === 0 ? POISONS[i % POISONS.length]!.make(i) : good(i));
    await writer.close();
    const stats = writer.stats();
    const dropped = Object.values(stats.dropped).reduce((a, b) => a + b, 0);
    expect(stats.written + dropped + stats.unconfirmed).toBe(3_000);
    expect(stats.dropped.rejected).toBe(rejectedRows);
    expect(rejectedRows).toBe(Math.ceil(3_000 / 97));
    expect((await stored()).length).toBe(stats.written);
  });
});
