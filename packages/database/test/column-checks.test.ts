import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { columnChecks, createDatabase, type Database } from '../src/index.js';
import { harnessEnv, uniqueName } from './helpers.js';

const env = harnessEnv();

const lone = '😀'.slice(0, 1);
let deep: unknown = 1;
for (let i = 0; i < 1_001; i++) deep = [deep];

/**
 * Values per column type, each written through the batch writer into a column of that type. The server
 * decides: a value it refuses, or one it stores changed (text and JSON, where a change is silent), must
 * be a problem for the checks; a value it stores as given must not be, except where the checks are
 * stricter on purpose (listed in STRICTER).
 */
const CASES: Record<string, unknown[]> = {
  text: [
    'plain',
    '',
    'naïve ✓ 😀',
    'a\u0000b',
    'a\ud800b',
    '\udc00z',
    lone,
    'tab\tnew\nline',
    'x'.repeat(20_000),
    42,
    { k: 'v' },
  ],
  'varchar(5)': ['abcde', 'abcdef', 'abc', 'ab✓😀e', 'ab✓😀ef'],
  'char(3)': ['ab', 'abc', 'abcd'],
  int2: [0, 32_767, 32_768, -32_768, -32_769, 1.5, '12', ' 7 ', 'x', 12n],
  int4: [
    2 ** 31 - 1,
    2 ** 31,
    -(2 ** 31),
    -(2 ** 31) - 1,
    1.5,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    '42',
    '4.2',
    true,
  ],
  int8: [
    2 ** 53 - 1,
    -(2 ** 53) + 1,
    2n ** 63n - 1n,
    2n ** 63n,
    -(2n ** 63n),
    -(2n ** 63n) - 1n,
    '9223372036854775807',
    1.5,
    2 ** 53 + 2,
  ],
  float4: [1.5, 3.4e38, 3.5e38, -3.5e38, 1e-40, 1e-46, Number.NaN, Number.NEGATIVE_INFINITY, '2.5', 'x'],
  float8: [1e308, -0, Number.NaN, Number.POSITIVE_INFINITY, 'abc', '1e5'],
  numeric: [1.5, '1e5', 'x', Number.NaN, Number.POSITIVE_INFINITY, 10n],
  bool: [true, false, 't', 'yes', 'off', 'maybe', 1, 0, 2],
  timestamptz: [
    new Date(0),
    new Date(Number.NaN),
    new Date(-8.64e15),
    new Date(8.64e15),
    new Date(-210_866_803_200_000),
    new Date(-210_866_803_200_001),
    '2024-01-01T00:00:00Z',
    '2024-02-30T00:00:00Z',
    'not a date',
  ],
  date: [new Date(0), new Date(-8.64e15), '2024-02-29', '2023-02-29', 'x'],
  uuid: [
    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11',
    '{a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11}',
    'a0eebc999c0b4ef8bb6d6bb9bd380a11',
    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1',
    'not-a-uuid',
    123,
  ],
  json: [
    { a: 1 },
    '{"a":1}',
    'not json',
    true,
    42,
    { a: Number.NaN },
    { a: 1n },
    { a: '\u0000' },
    { a: '\ud800' },
    [1, 'x'],
  ],
  jsonb: [
    { a: 1 },
    { a: 'nul\u0000' },
    { 'nul\u0000key': 1 },
    { a: `lone${lone}` },
    { a: Number.POSITIVE_INFINITY },
    { a: new Date(0) },
    '"a JSON string"',
    deep,
  ],
  bytea: [Buffer.from([0, 1, 255]), '\\x0102', '\\x012', 'plain', 'a\\b', 'a\\\\b', '\\001', 7],
};

/** Values the checks refuse although the server takes them, on purpose (see the README). */
const STRICTER = new Set<string>([
  'int8 9007199254740994', // a number past 2^53: the caller may already have lost its exact value
  `jsonb ${JSON.stringify(deep).length}`, // deeper than MAX_JSON_DEPTH (1,000)
  'bytea 7', // a number is sent as its text ("7", one byte 0x37): almost surely not what was meant
]);

/** Deep equality of what the server gave back and what was written, NaN and Infinity included. */
function sameJson(a: unknown, b: unknown): boolean {
  if (typeof b === 'number') return a === b;
  if (b instanceof Date) return a === b.toISOString();
  if (Array.isArray(b))
    return Array.isArray(a) && a.length === b.length && b.every((v, i) => sameJson(a[i], v));
  if (b !== null && typeof b === 'object') {
    if (a === null || typeof a !== 'object') return false;
    const keys = Object.keys(b);
    return (
      keys.length === Object.keys(a).length &&
      keys.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
    );
  }
  return a === b;
}

function show(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
  } catch {
    return String(value);
  }
}

function key(type: string, value: unknown): string {
  if (type === 'jsonb' && value === deep) return `jsonb ${JSON.stringify(deep).length}`;
  return `${type} ${typeof value === 'bigint' ? `${value}n` : typeof value === 'object' && !(value instanceof Date) ? show(value) : String(value)}`;
}

describe('column checks agree with the server', () => {
  let db: Database;
  const tables = new Map<string, string>();
  beforeAll(async () => {
    db = createDatabase({ primary: env.primary, onError: () => {} });
    for (const type of Object.keys(CASES)) {
      const name = uniqueName('checks');
      tables.set(type, name);
      const extra = type === 'varchar(5)' ? `, c_nn ${type} NOT NULL DEFAULT 'x'` : '';
      await db.primary.raw(`CREATE TABLE ${name} (id int PRIMARY KEY, c ${type}${extra})`);
    }
  });
  afterAll(async () => {
    for (const name of tables.values()) await db.primary.raw(`DROP TABLE IF EXISTS ${name}`);
    await db.close();
  });

  it('a value is a problem exactly when the server refuses it or stores it changed', async () => {
    const disagreements: string[] = [];
    for (const [type, values] of Object.entries(CASES)) {
      const table = tables.get(type)!;
      const checks = columnChecks({ c: type });
      const refused = new Set<number>();
      const writer = db.createBatchWriter<{ id: number; c: unknown }>({
        table,
        columns: ['id', 'c'],
        flushIntervalMs: 60_000,
        onError: () => {},
        onRejected: (rows) => {
          for (const row of rows) refused.add(row.id);
        },
      });
      for (const [id, c] of values.entries()) writer.write({ id, c });
      await writer.close();
      const { rows } = await db.primary.raw(`SELECT id, c FROM ${table}`);
      const back = new Map<number, unknown>(rows.map((r: { id: number; c: unknown }) => [r.id, r.c]));
      values.forEach((value, id) => {
        const serverSays = refused.has(id) ? 'refused' : !back.has(id) ? 'missing' : 'stored';
        let changed = false;
        if (serverSays === 'stored' && type === 'text')
          changed = typeof value === 'string' && back.get(id) !== value;
        if (serverSays === 'stored' && (type === 'json' || type === 'jsonb')) {
          // What was meant: the JSON text itself, or the value, with non-finite numbers kept as they are.
          const meant = typeof value === 'string' ? JSON.parse(value) : value;
          changed = !sameJson(back.get(id), meant);
        }
        const problem = checks.check('c', value);
        const bad = serverSays !== 'stored' || changed;
        const name = key(type, value);
        if (bad !== (problem !== null) && !(problem !== null && STRICTER.has(name))) {
          disagreements.push(
            `${name}: server ${serverSays}${changed ? ' (changed)' : ''}, checks say ${problem ?? 'fine'}`,
          );
        }
      });
    }
    expect(disagreements).toEqual([]);
  });

  it('NOT NULL, from a declared spec and from the server’s catalogue (the writer’s columnChecks())', async () => {
    const declared = columnChecks<{ c: unknown; c_nn: unknown }>({
      c: 'int4',
      c_nn: { type: 'int4', notNull: true },
    });
    expect(declared.problems({ c: null, c_nn: null })).toEqual([
      { column: 'c_nn', problem: 'must not be null' },
    ]);
    const writer = db.createBatchWriter<{ id: number; c: unknown; c_nn: unknown }>({
      table: tables.get('varchar(5)')!,
      columns: ['id', 'c', 'c_nn'],
    });
    const fromServer = await writer.columnChecks();
    expect(fromServer.columns).toEqual({
      id: { kind: 'int4', notNull: true, length: null },
      c: { kind: 'text', notNull: false, length: 5 },
      c_nn: { kind: 'text', notNull: true, length: 5 },
    });
    expect(fromServer.problems({ id: 1.5, c: 'abcdef', c_nn: undefined })).toEqual([
      { column: 'id', problem: 'is not an integer' },
      { column: 'c', problem: 'is longer than 5 characters' },
      { column: 'c_nn', problem: 'must not be null' },
    ]);
    expect(await writer.columnChecks()).toBe(fromServer);
    await writer.close();
  });
});
