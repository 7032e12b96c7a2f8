import { readFileSync } from 'node:fs';
import { undocumentedCodes } from '@org/shared-lifecycle/testing';
import { describe, expect, it } from 'vitest';
import {
  BINARY_COPY_TYPES,
  BinaryCopyEncoder,
  CopyEncoder,
  classifyError,
  connectionsFromEnv,
  copyText,
  copyValue,
  createDatabase,
  DATABASE_ERROR_CODES,
  DatabaseError,
  insertStatement,
  lsnDiff,
  parseConnectionUrl,
  parseLsn,
  redactUrl,
  rowsPerStatement,
} from '../src/index.js';

function thrown(fn: () => unknown): DatabaseError {
  try {
    fn();
  } catch (error) {
    return error as DatabaseError;
  }
  throw new Error('expected a throw');
}

describe('error catalogue', () => {
  it('documents every code in the README', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(undocumentedCodes(readme, Object.keys(DATABASE_ERROR_CODES))).toEqual([]);
  });

  it('classifies by SQLSTATE with isRetryable', () => {
    const cases: [string, string, boolean][] = [
      ['08006', 'ORG_DATABASE_CONNECTION', true],
      ['57P01', 'ORG_DATABASE_CONNECTION', true],
      ['ECONNREFUSED', 'ORG_DATABASE_CONNECTION', true],
      ['28P01', 'ORG_DATABASE_AUTH', false],
      ['3D000', 'ORG_DATABASE_UNKNOWN_DATABASE', false],
      ['57014', 'ORG_DATABASE_TIMEOUT', true],
      ['40P01', 'ORG_DATABASE_DEADLOCK', true],
      ['40001', 'ORG_DATABASE_SERIALIZATION', true],
      ['23505', 'ORG_DATABASE_CONSTRAINT', false],
      ['22P02', 'ORG_DATABASE_DATA', false],
      ['42P01', 'ORG_DATABASE_SYNTAX', false],
      ['25006', 'ORG_DATABASE_READ_ONLY', false],
      ['53300', 'ORG_DATABASE_RESOURCES', true],
      ['XX000', 'ORG_DATABASE_QUERY', false],
    ];
    for (const [state, code, retryable] of cases) {
      const error = classifyError(Object.assign(new Error(`boom ${state}`), { code: state }), {
        node: 'primary',
      });
      expect([state, error.code, error.isRetryable]).toEqual([state, code, retryable]);
      expect(error.cause).toBeInstanceOf(Error);
    }
    const acquire = Object.assign(
      new Error('Knex: Timeout acquiring a connection. The pool is probably full.'),
      {
        name: 'KnexTimeoutError',
      },
    );
    expect(classifyError(acquire).code).toBe('ORG_DATABASE_POOL_TIMEOUT');
    expect(classifyError(new Error('Connection terminated unexpectedly')).code).toBe(
      'ORG_DATABASE_CONNECTION',
    );
    expect(classifyError('weird').code).toBe('ORG_DATABASE_QUERY');
    const same = new DatabaseError('ORG_DATABASE_DEADLOCK', 'x');
    expect(classifyError(same)).toBe(same);
  });
});

describe('connection options', () => {
  it('parses URL query parameters', () => {
    expect(
      parseConnectionUrl(
        'postgresql://app:p%40ss@db.example:6543/main?connection_limit=10&pool_timeout=20&connect_timeout=10&statement_timeout=1500&application_name=svc&sslmode=disable',
      ),
    ).toEqual({
      host: 'db.example',
      port: 6543,
      user: 'app',
      password: 'p@ss',
      database: 'main',
      connectionLimit: 10,
      poolTimeoutMs: 20_000,
      connectTimeoutMs: 10_000,
      statementTimeoutMs: 1_500,
      applicationName: 'svc',
      ssl: false,
    });
  });

  it('rejects bad URLs with ORG_DATABASE_INVALID_URL naming the host, password redacted', () => {
    for (const url of [
      'mysql://u:hunter2@db.example/x',
      'postgres://u:hunter2@db.example/x?connection_limit=0',
      'postgres://u:hunter2@db.example/x?pool_timeout=soon',
      'postgres://u:hunter2@db.example/x?sslmode=maybe',
    ]) {
      const error = thrown(() => parseConnectionUrl(url));
      expect(error.code).toBe('ORG_DATABASE_INVALID_URL');
      expect(error.message).toContain('db.example');
      expect(`${error.message} ${JSON.stringify(error.details)}`).not.toContain('hunter2');
    }
    expect(thrown(() => parseConnectionUrl('not a url')).code).toBe('ORG_DATABASE_INVALID_URL');
    expect(redactUrl('postgres://u:hunter2@h/db and password=hunter2')).toBe(
      'postgres://u:***@h/db and password=***',
    );
  });

  it('rejects bad objects and options with ORG_DATABASE_INVALID_OPTION before opening anything', () => {
    const cases: unknown[] = [
      { primary: { host: 'db.example', port: 70_000, password: 'hunter2' } },
      { primary: 42 },
      { primary: 'postgres://h/db', replicas: 'postgres://r/db' },
      { primary: 'postgres://h/db', pool: { max: 0 } },
      { primary: 'postgres://h/db', lag: { maxSeconds: -1 } },
      {},
      null,
    ];
    for (const options of cases) {
      const error = thrown(() => createDatabase(options as never));
      expect(error).toBeInstanceOf(DatabaseError);
      expect(error.code).toBe('ORG_DATABASE_INVALID_OPTION');
      expect(error.message).not.toContain('hunter2');
    }
    expect(thrown(() => createDatabase({ primary: { host: 'db.example', port: 70_000 } })).message).toContain(
      'db.example:70000',
    );
  });

  it('reads DATABASE_URL and comma-separated DATABASE_REPLICA_URLS', () => {
    expect(
      connectionsFromEnv({
        DATABASE_URL: 'postgres://p/db',
        DATABASE_REPLICA_URLS: 'postgres://r1/db, postgres://r2/db,',
      }),
    ).toEqual({ primary: 'postgres://p/db', replicas: ['postgres://r1/db', 'postgres://r2/db'] });
    expect(connectionsFromEnv({ DATABASE_URL: 'postgres://p/db' }).replicas).toEqual([]);
    expect(thrown(() => connectionsFromEnv({})).code).toBe('ORG_DATABASE_INVALID_OPTION');
  });
});

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

  it('CopyEncoder formats dates exactly like toISOString, and encodes batches as copyText does', () => {
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
      Date.UTC(10_000, 0, 1),
      Date.UTC(-1, 5, 6, 7, 8, 9, 10),
      8.64e15,
      -8.64e15,
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
    for (const [column, bad] of [
      ['i', 1.5],
      ['i', '42'],
      ['i', 2 ** 31],
      ['s', 40_000],
      ['l', 2 ** 53],
      ['l', 2n ** 63n],
      ['f', '1.5'],
      ['t', new Date(Number.NaN)],
      ['t', new Date('+010000-01-01T00:00:00Z')],
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
