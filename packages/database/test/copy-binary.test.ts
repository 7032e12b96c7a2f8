import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../src/index.js';
import { collectErrors, harnessEnv, rawKnex, uniqueName } from './helpers.js';

const env = harnessEnv();
const viaText = uniqueName('bin_text');
const viaBinary = uniqueName('bin_auto');
const altered = uniqueName('bin_alter');
const domain = uniqueName('bin_positive');

const COLUMNS = `
  i2 int2, i4 int4, i8 int8, f8 float8, tx text, vc varchar(20), ch char(3), b bool,
  ts timestamp, tz timestamptz, u uuid, j json, jb jsonb, by bytea, d ${domain}`;

type Row = Record<string, unknown>;
const columns = ['i2', 'i4', 'i8', 'f8', 'tx', 'vc', 'ch', 'b', 'ts', 'tz', 'u', 'j', 'jb', 'by', 'd'];

/** Awkward values of every type with a binary form; row i cycles through them. */
function rows(): Row[] {
  const texts = ['', 'tab\there', 'new\nline\r', 'back\\slash', 'naïve ✓ 😀', '\\N', 'x'.repeat(500)];
  const floats = [0, -0, 1.5, -1e-310, 1e308, Number.NaN, Number.POSITIVE_INFINITY, 0.1 + 0.2, 2 ** 53 + 2];
  const dates = [
    new Date(0),
    new Date(-1),
    new Date('0001-01-01T00:00:00.000Z'),
    new Date('9999-12-31T23:59:59.999Z'),
    new Date('2300-06-01T12:00:00.001Z'),
    new Date('1999-12-31T23:59:59.999Z'),
    new Date('2000-01-01T00:00:00.000Z'),
    new Date('2024-02-29T13:14:15.678Z'),
  ];
  const out: Row[] = [];
  for (let i = 0; i < 600; i++) {
    out.push({
      i2: i % 7 === 0 ? null : [0, -32_768, 32_767, i][i % 4],
      i4: [0, -(2 ** 31), 2 ** 31 - 1, -i, undefined][i % 5],
      i8: [0, 2 ** 53 - 1, -(2 ** 53) + 1, 2n ** 63n - 1n, -(2n ** 63n), BigInt(-i), i * 1_000_003][i % 7],
      f8: floats[i % floats.length],
      tx: i % 9 === 0 ? i * 1.25 : i % 11 === 0 ? true : texts[i % texts.length],
      vc: texts[(i + 1) % 5],
      ch: ['a', 'abc', '', null][i % 4],
      b: [true, false, null][i % 3],
      ts: dates[i % dates.length],
      tz: dates[(i + 3) % dates.length],
      u: i % 5 === 0 ? null : `a0eebc99-9c0b-4ef8-bb6d-${String(i).padStart(12, '0')}`.toUpperCase(),
      j: [{ a: [1, 'x\ty'] }, [null, 2.5], '"a JSON string"', 42, null][i % 5],
      jb: [{ nested: { k: 'ü\n' } }, [], 7.5, '{"as":"text"}', undefined][i % 5],
      by: i % 4 === 0 ? null : Buffer.from([0, 1, 92, 255, i % 256]),
      d: i % 3 === 0 ? null : i + 1,
    });
  }
  return out;
}

async function dump(db: Database, table: string): Promise<string[]> {
  const { rows: out } = await db.primary.raw(
    // The row's text form: every value as the server prints it (to_jsonb would lose e.g. float8 -0).
    `SELECT t::text AS r FROM ${table} t ORDER BY id`,
  );
  return out.map((r: { r: string }) => r.r);
}

describe('BatchWriter binary COPY', () => {
  let db: Database;
  const reported = collectErrors();

  beforeAll(async () => {
    await using admin = rawKnex(env.primary);
    await admin.raw(`CREATE DOMAIN ${domain} AS int4 CHECK (VALUE > 0)`);
    for (const table of [viaText, viaBinary]) {
      await admin.raw(`CREATE TABLE ${table} (id bigserial PRIMARY KEY, ${COLUMNS})`);
    }
    await admin.raw(`CREATE TABLE ${altered} (id bigserial PRIMARY KEY, n int4, note numeric)`);
    db = createDatabase({ primary: env.primary, onError: reported.onError });
  });
  afterAll(async () => {
    await db.close();
    await using admin = rawKnex(env.primary);
    for (const table of [viaText, viaBinary, altered]) await admin.raw(`DROP TABLE IF EXISTS ${table}`);
    await admin.raw(`DROP DOMAIN IF EXISTS ${domain}`);
  });
  afterEach(() => {
    reported.errors.length = 0;
  });

  it('stores exactly what the text format stores, for every supported type', async () => {
    const text = db.createBatchWriter<Row>({ table: viaText, columns, copyFormat: 'text', batchSize: 100 });
    const binary = db.createBatchWriter<Row>({ table: viaBinary, columns, batchSize: 100 });
    for (const row of rows()) {
      text.write(row);
      binary.write(row);
    }
    await Promise.all([text.flush(), binary.flush()]);
    expect(reported.errors.map(String)).toEqual([]);
    expect(text.stats()).toMatchObject({ written: 600, copies: { binary: 0 }, dropped: { rejected: 0 } });
    expect(binary.stats()).toMatchObject({ written: 600, copies: { text: 0 }, dropped: { rejected: 0 } });
    expect(binary.stats().copies.binary).toBeGreaterThan(0);
    const [a, b] = [await dump(db, viaText), await dump(db, viaBinary)];
    expect(a).toHaveLength(600);
    expect(b).toEqual(a);
    // Spot checks that the comparison compares something.
    expect(b[3]).toMatch(/^\(4,3,-3,9223372036854775807,-1e-310,"back\\\\slash"/);
    expect(b[1]).toMatch(/^\(2,-32768,-2147483648,9007199254740991,0,"tab\there",/);
    expect(reported.errors).toEqual([]);
    await Promise.all([text.close(), binary.close()]);
  });

  it('writes dates of every year a Date holds, from PostgreSQL’s first day (4714-11-24 BC), as the server reads them', async () => {
    const bc = (year: number, month: number, day: number, ms = 0) => {
      const d = new Date(0);
      d.setUTCFullYear(year, month, day);
      return new Date(d.getTime() + ms);
    };
    const dates = [
      new Date(-210_866_803_200_000), // 4714-11-24 BC 00:00, the first timestamp PostgreSQL holds
      bc(0, 0, 1, 1), // 1 BC
      bc(-99, 5, 6, 7_384_123), // 100 BC
      new Date('0001-01-01T00:00:00.000Z'),
      new Date('+010000-01-01T00:00:00.001Z'),
      new Date(8.64e15), // the last instant a Date holds: 275760-09-13
    ];
    await using admin = rawKnex(env.primary);
    const table = uniqueName('bin_dates');
    await admin.raw(
      `CREATE TABLE ${table} (id bigserial PRIMARY KEY, tz timestamptz, ts timestamp, fmt text)`,
    );
    try {
      for (const copyFormat of ['auto', 'text'] as const) {
        const writer = db.createBatchWriter<Row>({ table, columns: ['tz', 'ts', 'fmt'], copyFormat });
        for (const at of dates) writer.write({ tz: at, ts: at, fmt: copyFormat });
        await writer.flush();
        expect(writer.stats()).toMatchObject({ written: dates.length, dropped: { rejected: 0 } });
        expect(writer.stats().copies[copyFormat === 'auto' ? 'binary' : 'text']).toBe(1);
        await writer.close();
      }
      // The server is the judge: its epoch of each stored value is the Date's.
      const { rows: out } = await admin.raw(
        `SELECT fmt, (extract(epoch FROM tz) * 1000)::float8 AS tz, (extract(epoch FROM ts) * 1000)::float8 AS ts FROM ${table} ORDER BY id`,
      );
      const expected = dates.map((d) => d.getTime());
      for (const fmt of ['auto', 'text']) {
        const mine = out.filter((r: { fmt: string }) => r.fmt === fmt);
        expect(mine.map((r: { tz: number }) => r.tz)).toEqual(expected);
        expect(mine.map((r: { ts: number }) => r.ts)).toEqual(expected);
      }
      // A day before the first one is refused by the server, alone: its neighbours are stored.
      const writer = db.createBatchWriter<Row>({ table, columns: ['tz', 'fmt'] });
      writer.write({ tz: new Date(0), fmt: 'before' });
      writer.write({ tz: new Date(-210_866_803_200_001), fmt: 'too early' });
      writer.write({ tz: new Date(1), fmt: 'after' });
      await writer.flush();
      expect(writer.stats()).toMatchObject({ written: 2, dropped: { rejected: 1 } });
      await writer.close();
    } finally {
      await admin.raw(`DROP TABLE ${table}`);
    }
  });

  it('falls back to text for values or types without an exact binary form, with the same outcome', async () => {
    const writer = db.createBatchWriter<Row>({ table: viaBinary, columns: ['i4', 'tx'], batchSize: 10_000 });
    writer.write({ i4: 1, tx: 'a' });
    await writer.flush();
    expect(writer.stats().copies).toEqual({ binary: 1, text: 0 });
    writer.write({ i4: '42', tx: 'a string for an int column: the server parses it' });
    await writer.flush();
    expect(writer.stats().copies).toEqual({ binary: 1, text: 1 });
    writer.write({ i4: 1.5, tx: 'rejected as before' });
    await writer.flush();
    expect(writer.stats()).toMatchObject({ written: 2, dropped: { rejected: 1 } });
    await writer.close();
    const numeric = db.createBatchWriter<Row>({ table: altered, columns: ['n', 'note'] });
    numeric.write({ n: 1, note: 0.5 });
    numeric.write({ n: 2, note: '1e-20' });
    await numeric.flush();
    expect(numeric.stats()).toMatchObject({ written: 2, copies: { binary: 0, text: 1 } });
    await numeric.close();
  });

  it('handles schema-qualified table names with quotes and capitals', async () => {
    const name = `${uniqueName('Bin')}'q`;
    await db.primary.raw('CREATE TABLE public.?? (id bigserial PRIMARY KEY, "Kind" text, at timestamptz)', [
      name,
    ]);
    try {
      const writer = db.createBatchWriter<Row>({ table: `public.${name}`, columns: ['Kind', 'at'] });
      writer.write({ Kind: "it's", at: new Date(0) });
      await writer.flush();
      expect(writer.stats()).toMatchObject({ written: 1, copies: { binary: 1, text: 0 } });
      const { rows: out } = await db.primary.raw('SELECT "Kind" AS k FROM public.??', [name]);
      expect(out).toEqual([{ k: "it's" }]);
      await writer.close();
    } finally {
      await db.primary.raw('DROP TABLE public.??', [name]);
    }
  });

  it('reads the column types again for every COPY, so a changed column type never gets stale binary data', async () => {
    await db.primary.raw(`TRUNCATE ${altered}`);
    const writer = db.createBatchWriter<Row>({ table: altered, columns: ['n'], batchSize: 10_000 });
    writer.write({ n: 1_078_530_011 });
    await writer.flush();
    expect(writer.stats().copies).toEqual({ binary: 1, text: 0 });
    // Same width, different meaning: the int4 bits of 1078530011 are the float4 3.1415927.
    await db.primary.raw(`ALTER TABLE ${altered} ALTER COLUMN n TYPE float4`);
    writer.write({ n: 1_078_530_011 });
    await writer.flush();
    // float4 has no binary encoder here: text, and the number the row holds.
    expect(writer.stats().copies).toEqual({ binary: 1, text: 1 });
    // A writer that found a type without binary form keeps to text for its life.
    await db.primary.raw(`ALTER TABLE ${altered} ALTER COLUMN n TYPE int8`);
    writer.write({ n: 2 ** 40 });
    await writer.flush();
    expect(writer.stats()).toMatchObject({
      written: 3,
      copies: { binary: 1, text: 2 },
      dropped: { rejected: 0 },
    });
    const { rows: out } = await db.primary.raw(`SELECT n::float8 AS n FROM ${altered} ORDER BY id`);
    // 1078530011 as float4 is 1078530048 (24-bit mantissa), for the row written before the change too.
    expect(out.map((r: { n: number }) => r.n)).toEqual([1_078_530_048, 1_078_530_048, 2 ** 40]);
    await writer.close();
  });
});
