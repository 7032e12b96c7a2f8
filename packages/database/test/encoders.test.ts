import { describe, expect, it } from 'vitest';
import { BINARY_COPY_TYPES, BinaryCopyEncoder } from '../src/copy-binary.js';
import { CopyEncoder, copyText, copyValue, EncodeError } from '../src/copy-text.js';
import { lsnDiff, parseLsn } from '../src/lsn.js';
import { insertStatement, rowsPerStatement } from '../src/sql.js';

describe('SQL helpers', () => {
  it('chunks INSERTs under the 65,535-parameter limit', () => {
    expect(rowsPerStatement(3, 1_000)).toBe(1_000);
    expect(rowsPerStatement(3, 100_000)).toBe(21_845);
    expect(rowsPerStatement(70_000, 10)).toBe(1);
    expect(insertStatement('s.t', ['a', 'b"c'], 2)).toBe(
      'INSERT INTO "s"."t" ("a","b""c") VALUES ($1,$2),($3,$4)',
    );
  });

  it('encodes COPY text', () => {
    const text = copyText(
      [
        {
          a: 'x\ty\\z\n',
          b: null,
          c: true,
          d: new Date(0),
          e: { k: 'v' },
          f: Buffer.from([1, 255]),
          g: undefined,
        },
      ],
      ['a', 'b', 'c', 'd', 'e', 'f', 'g'],
    );
    expect(text).toBe('x\\ty\\\\z\\n\t\\N\tt\t1970-01-01T00:00:00.000Z\t{"k":"v"}\t\\\\x01ff\t\\N\n');
  });

  it('CopyEncoder formats dates exactly like toISOString for years 1-9999, and encodes batches as copyText does', () => {
    const encoder = new CopyEncoder<{ at: unknown }>(['at']);
    // Day boundaries, leap days, before 1970, far years, the same millisecond twice in a row.
    const fixed = [
      0,
      -1,
      1,
      86_399_999,
      86_400_000,
      -86_400_000,
      Date.UTC(2024, 1, 29, 23, 59, 59, 999),
      Date.UTC(2024, 2, 1),
      Date.UTC(1900, 0, 1, 12),
      Date.UTC(9999, 11, 31, 23, 59, 59, 999),
      Date.UTC(1, 0, 1),
    ];
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const randomMs = Array.from({ length: 5_000 }, () => Math.floor((random() - 0.3) * 2 ** 42));
    for (const ms of [...fixed, ...fixed, ...randomMs]) {
      const date = new Date(ms);
      expect(encoder.date(date)).toBe(date.toISOString());
      expect(copyValue(date)).toBe(date.toISOString());
    }
    expect(() => encoder.date(new Date(Number.NaN))).toThrowError(RangeError);
    expect(() => copyValue(new Date(Number.NaN))).toThrowError(RangeError);
    // Other years as PostgreSQL reads them (toISOString's +010000-… and -000001-… it refuses); the
    // server's reading of these is checked in copy-binary.test.ts.
    expect(encoder.date(new Date(Date.UTC(10_000, 0, 1)))).toBe('10000-01-01T00:00:00.000Z');
    expect(encoder.date(new Date(8.64e15))).toBe('275760-09-13T00:00:00.000Z');
    const oneBc = new Date(0);
    oneBc.setUTCFullYear(0, 5, 6);
    expect(encoder.date(oneBc)).toBe('0001-06-06T00:00:00.000Z BC');
    const twoBc = new Date(0);
    twoBc.setUTCFullYear(-1, 5, 6);
    twoBc.setUTCHours(7, 8, 9, 10);
    expect(encoder.date(twoBc)).toBe('0002-06-06T07:08:09.010Z BC');

    const rows = randomMs.slice(0, 300).map((ms, i) => ({
      a: i % 3 === 0 ? `tab\t${i}\\\n` : `naïve ✓ ${i}`,
      b: i % 4 === 0 ? null : i / 7,
      c: new Date(ms),
      d: i % 5 === 0 ? { k: [i, 'x\ty'] } : undefined,
      e: i % 2 === 0,
    }));
    const columns = ['a', 'b', 'c', 'd', 'e'] as const;
    const rowEncoder = new CopyEncoder<(typeof rows)[number]>(columns);
    expect(rowEncoder.encode(rows).toString('utf8')).toBe(copyText(rows, columns));
    expect(rowEncoder.encode(rows, 100, 200)).toEqual(Buffer.from(copyText(rows.slice(100, 200), columns)));
    expect(rowEncoder.encode(rows, 5, 5).length).toBe(0);
    // A value that cannot be encoded names its row (within the rows given) and column.
    const bad = [...rows.slice(0, 3), { ...rows[3]!, c: new Date(Number.NaN) }];
    const error = (() => {
      try {
        rowEncoder.encode(bad, 1, 4);
      } catch (e) {
        return e as EncodeError;
      }
    })();
    expect(error).toBeInstanceOf(EncodeError);
    expect(error).toMatchObject({ index: 3, column: 'c' });
    expect(error!.cause).toBeInstanceOf(RangeError);
  });

  it('BinaryCopyEncoder: only types and values with an exact binary form', () => {
    const T = BINARY_COPY_TYPES;
    expect(BinaryCopyEncoder.create(['a', 'b'], new Map([['a', T.int4]]))).toBeNull(); // b unknown
    expect(BinaryCopyEncoder.create(['a'], new Map([['a', 1_700]]))).toBeNull(); // numeric
    const types = new Map<string, number>([
      ['i', T.int4],
      ['s', T.int2],
      ['l', T.int8],
      ['f', T.float8],
      ['t', T.timestamptz],
      ['b', T.bool],
      ['u', T.uuid],
      ['j', T.jsonb],
      ['x', T.text],
    ]);
    const enc = BinaryCopyEncoder.create<Record<string, unknown>>([...types.keys()], types)!;
    const ok = {
      i: -5,
      s: 300,
      l: 2n ** 62n,
      f: -0,
      t: new Date(0),
      b: false,
      u: 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11',
      j: [1],
      x: 7,
    };
    expect(enc.accepts([ok, {}])).toBe(true);
    // Every year PostgreSQL holds, from 4714-11-24 BC on.
    expect(
      enc.accepts([
        { ...ok, t: new Date('+010000-01-01T00:00:00Z') },
        { ...ok, t: new Date(-210_866_803_200_000) },
      ]),
    ).toBe(true);
    for (const [column, bad] of [
      ['i', 1.5],
      ['i', '42'],
      ['i', 2 ** 31],
      ['s', 40_000],
      ['l', 2 ** 53],
      ['l', 2n ** 63n],
      ['f', '1.5'],
      ['t', new Date(Number.NaN)],
      ['t', new Date(-8.64e15)],
      ['t', 0],
      ['b', 1],
      ['u', 'not-a-uuid'],
      ['j', true],
      ['j', new Date(0)],
    ] as const) {
      expect(enc.accepts([ok, { ...ok, [column]: bad }]), `${column} = ${String(bad)}`).toBe(false);
    }
    // Header, one tuple of 9 fields, and the null bitmap of an empty row (all -1).
    const buf = enc.encode([ok, {}], 0, 2, true);
    expect(buf.subarray(0, 11).toString('latin1')).toBe('PGCOPY\n\xff\r\n\0');
    expect(buf.readInt16BE(19)).toBe(9);
    expect(buf.subarray(buf.length - 2 - 9 * 4)).toEqual(
      Buffer.concat([Buffer.from([0, 9]), Buffer.alloc(9 * 4, 0xff)]),
    );
  });

  it('parses LSNs and diffs them, never negative', () => {
    expect(parseLsn('0/16B3748')).toBe(0x16b3748n);
    expect(parseLsn('1/0')).toBe(2n ** 32n);
    expect(parseLsn('junk')).toBeNull();
    expect(lsnDiff(parseLsn('1/10'), parseLsn('1/0'))).toBe(16);
    expect(lsnDiff(parseLsn('1/0'), parseLsn('1/10'))).toBe(0);
    expect(lsnDiff(null, 1n)).toBeNull();
  });
});
