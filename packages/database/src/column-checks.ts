import { BINARY_COPY_TYPES } from './copy-binary.js';

/**
 * Column types the checks know: the ones the batch writer encodes, by their SQL names or aliases, with
 * a length for the character types (`varchar(64)`, `character varying(64)`, `char(2)`).
 */
export type ColumnType = string;

/** A column's type, and whether it refuses NULL. */
export interface ColumnSpec {
  type: ColumnType;
  notNull?: boolean;
}

/** What is wrong with one value. Names the column and the problem, never the value. */
export interface ColumnProblem {
  column: string;
  problem: string;
}

export interface RowChecks<Row = Record<string, unknown>> {
  /** The columns checked, with their kinds (`unknown` for a type the checks do not know: only NULL is checked). */
  readonly columns: Readonly<Record<string, { kind: ColumnKind; notNull: boolean; length: number | null }>>;
  /** Every problem of the row's values PostgreSQL would refuse (or silently change); [] when it can be stored. */
  problems(row: Row): ColumnProblem[];
  /** The problem of one value for one column, or null. */
  check(column: string, value: unknown): string | null;
}

export type ColumnKind =
  | 'text'
  | 'int2'
  | 'int4'
  | 'int8'
  | 'float4'
  | 'float8'
  | 'numeric'
  | 'bool'
  | 'timestamp'
  | 'date'
  | 'uuid'
  | 'json'
  | 'jsonb'
  | 'bytea'
  | 'unknown';

const KIND_BY_NAME: Record<string, ColumnKind> = {
  text: 'text',
  varchar: 'text',
  'character varying': 'text',
  char: 'text',
  character: 'text',
  bpchar: 'text',
  name: 'text',
  citext: 'text',
  int2: 'int2',
  smallint: 'int2',
  int4: 'int4',
  int: 'int4',
  integer: 'int4',
  int8: 'int8',
  bigint: 'int8',
  float4: 'float4',
  real: 'float4',
  float8: 'float8',
  'double precision': 'float8',
  numeric: 'numeric',
  decimal: 'numeric',
  bool: 'bool',
  boolean: 'bool',
  timestamp: 'timestamp',
  timestamptz: 'timestamp',
  'timestamp with time zone': 'timestamp',
  'timestamp without time zone': 'timestamp',
  date: 'date',
  uuid: 'uuid',
  json: 'json',
  jsonb: 'jsonb',
  bytea: 'bytea',
};

const KIND_BY_OID = new Map<number, ColumnKind>([
  [BINARY_COPY_TYPES.bool, 'bool'],
  [BINARY_COPY_TYPES.bytea, 'bytea'],
  [BINARY_COPY_TYPES.int2, 'int2'],
  [BINARY_COPY_TYPES.int4, 'int4'],
  [BINARY_COPY_TYPES.int8, 'int8'],
  [700, 'float4'],
  [BINARY_COPY_TYPES.float8, 'float8'],
  [1700, 'numeric'],
  [BINARY_COPY_TYPES.text, 'text'],
  [BINARY_COPY_TYPES.varchar, 'text'],
  [BINARY_COPY_TYPES.bpchar, 'text'],
  [BINARY_COPY_TYPES.json, 'json'],
  [BINARY_COPY_TYPES.jsonb, 'jsonb'],
  [BINARY_COPY_TYPES.timestamp, 'timestamp'],
  [BINARY_COPY_TYPES.timestamptz, 'timestamp'],
  [1082, 'date'],
  [BINARY_COPY_TYPES.uuid, 'uuid'],
]);

/** PostgreSQL's earliest timestamp and date: 4714-11-24 BC (Julian day 0). Its latest are past any Date's. */
const MIN_TIMESTAMP_MS = -210_866_803_200_000;
/** Deeper JSON is refused: JSON.stringify overflows its stack near 8,000 levels, PostgreSQL near 20,000. */
export const MAX_JSON_DEPTH = 1_000;
/** A field's most bytes (PostgreSQL's 1 GB varlena limit). */
const MAX_FIELD_BYTES = 1_073_741_823;
const FLOAT4_MAX = 3.4028234663852886e38;
const INT_RANGES = {
  int2: [-32_768, 32_767],
  int4: [-2_147_483_648, 2_147_483_647],
} as const;
const INT8_MIN = -(2n ** 63n);
const INT8_MAX = 2n ** 63n - 1n;
const INTEGER_TEXT = /^\s*[+-]?\d+\s*$/;
const NUMBER_TEXT = /^\s*(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?|[+-]?infinity|[+-]?inf|nan)\s*$/i;
// PostgreSQL's uuid input: 32 hex digits, optionally in braces, with a hyphen allowed after any group of four.
const UUID_TEXT = /^\{?[0-9a-f]{4}(?:-?[0-9a-f]{4}){7}\}?$/i;
const BOOL_TEXT = /^\s*(t|true|y|yes|on|1|f|false|n|no|off|0)\s*$/i;
// bytea input: hex (\\x0102…) or the escape format (octal \\ooo and \\\\ escapes, anything else as it is).
const BYTEA_TEXT = /^(?:\\x(?:[0-9a-f]{2})*|(?:[^\\]|\\[0-3][0-7]{2}|\\\\)*)$/i;
// A UTF-16 surrogate without its pair: not Unicode; UTF-8 encoding turns it into U+FFFD.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function kindOfName(type: string): { kind: ColumnKind; length: number | null } {
  const match = /^\s*([a-z][a-z0-9 ]*?)\s*(?:\(\s*(\d+)\s*\))?\s*(\[\])?\s*$/i.exec(type);
  if (!match || match[3]) return { kind: 'unknown', length: null };
  const kind = KIND_BY_NAME[match[1]!.toLowerCase().replace(/\s+/g, ' ')] ?? 'unknown';
  const length = kind === 'text' && match[2] ? Number(match[2]) : null;
  return { kind, length };
}

/** The kind and length of a column as pg_attribute describes it (type OID of the base type, typmod). */
export function kindOfOid(oid: number, typmod: number): { kind: ColumnKind; length: number | null } {
  const kind = KIND_BY_OID.get(oid) ?? 'unknown';
  // varchar(n) and char(n) keep n + 4 in atttypmod; -1 means no limit.
  const length =
    (oid === BINARY_COPY_TYPES.varchar || oid === BINARY_COPY_TYPES.bpchar) && typmod > 4 ? typmod - 4 : null;
  return { kind, length };
}

function textProblem(text: string, length: number | null, jsonb = false): string | null {
  if (text.includes('\u0000')) {
    return jsonb
      ? 'contains a NUL character (U+0000), which jsonb cannot hold'
      : 'contains a NUL character (U+0000), which PostgreSQL text cannot hold';
  }
  if (LONE_SURROGATE.test(text))
    return 'contains a lone UTF-16 surrogate (not Unicode; it would be stored as U+FFFD)';
  if (text.length > MAX_FIELD_BYTES / 3 && Buffer.byteLength(text) > MAX_FIELD_BYTES) {
    return 'is larger than 1 GB, the most PostgreSQL stores in one field';
  }
  if (length !== null && text.length > length) {
    const chars = [...text];
    // Too long is refused unless the excess is all spaces (PostgreSQL then truncates).
    if (chars.length > length && chars.slice(length).some((ch) => ch !== ' ')) {
      return `is longer than ${length} characters`;
    }
  }
  return null;
}

function intProblem(kind: 'int2' | 'int4' | 'int8', value: unknown): string | null {
  let n: bigint;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return 'is not an integer';
    if (kind === 'int8' && !Number.isSafeInteger(value)) {
      return 'is an integer beyond 2^53 that a number cannot hold exactly; pass a bigint or a string';
    }
    n = BigInt(value);
  } else if (typeof value === 'bigint') {
    n = value;
  } else if (typeof value === 'string' && INTEGER_TEXT.test(value)) {
    n = BigInt(value.trim());
  } else {
    return 'is not an integer';
  }
  if (kind === 'int8') return n < INT8_MIN || n > INT8_MAX ? 'is out of range for bigint' : null;
  const [min, max] = INT_RANGES[kind];
  return n < BigInt(min) || n > BigInt(max)
    ? `is out of range for ${kind === 'int2' ? 'smallint' : 'integer'} [${min}, ${max}]`
    : null;
}

function floatProblem(kind: 'float4' | 'float8', value: unknown): string | null {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && NUMBER_TEXT.test(value))
    n = Number(value.trim().replace(/^([+-]?)inf(inity)?$/i, '$1Infinity'));
  else return 'is not a number';
  if (kind === 'float4' && Number.isFinite(n)) {
    if (Math.abs(n) > FLOAT4_MAX || (n !== 0 && Math.fround(n) === 0)) return 'is out of range for real';
  }
  return null;
}

/** Date.parse() takes days a month does not have (2024-02-30 is 1 March); PostgreSQL refuses them. */
const ISO_DAY = /^\s*([+-]?\d{4,6})-(\d{2})-(\d{2})/;

function timestampProblem(value: unknown, what: string): string | null {
  let ms: number;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === 'string') {
    ms = Date.parse(value);
    const day = ISO_DAY.exec(value);
    if (day && !Number.isNaN(ms)) {
      const check = new Date(0);
      check.setUTCFullYear(Number(day[1]), Number(day[2]) - 1, Number(day[3]));
      if (check.getUTCMonth() !== Number(day[2]) - 1 || check.getUTCDate() !== Number(day[3])) {
        return `is not a valid ${what} (no such day)`;
      }
    }
  } else return `is not a ${what} (a Date or an ISO 8601 string)`;
  if (Number.isNaN(ms)) return `is not a valid ${what}`;
  if (ms < MIN_TIMESTAMP_MS) return `is out of range for a ${what} (before 4714-11-24 BC)`;
  return null;
}

/**
 * The problem of a JSON value for a json or jsonb column, found without recursion (so depth cannot
 * overflow the stack): what JSON.stringify would throw on (a BigInt, a cycle, too deep) or silently
 * change (NaN and ±Infinity become null), and, for jsonb, strings it refuses (NUL; a lone surrogate,
 * which JSON.stringify writes as an escape jsonb cannot decode). json keeps the text as it is, escapes
 * included. A string at the top is the JSON text itself, as the writer sends it.
 */
function jsonProblem(value: unknown, jsonb: boolean): string | null {
  let root: unknown = value;
  if (typeof value === 'string') {
    try {
      root = JSON.parse(value);
    } catch {
      return 'is a string that is not JSON text (a string value is sent as JSON text)';
    }
  } else if (typeof value === 'boolean') {
    return 'is a boolean, which COPY sends as t/f (no JSON); pass the JSON text "true" or "false"';
  }
  const seen = new Set<object>();
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    switch (typeof item) {
      case 'string': {
        const problem = jsonb ? textProblem(item, null, true) : null;
        if (problem) return `has a string that ${problem}`;
        continue;
      }
      case 'number':
        if (!Number.isFinite(item)) return `has ${item}, which JSON cannot hold (it would be stored as null)`;
        continue;
      case 'bigint':
        return 'has a BigInt, which JSON.stringify refuses';
      case 'object': {
        if (item === null) continue;
        if (depth > MAX_JSON_DEPTH) return `is nested deeper than ${MAX_JSON_DEPTH} levels`;
        if (seen.has(item)) return 'has a cycle';
        const json = (item as { toJSON?: unknown }).toJSON;
        if (typeof json === 'function') {
          if (item instanceof Date && Number.isNaN(item.getTime())) return 'has an invalid Date';
          continue; // Dates and the like: their toJSON() text
        }
        seen.add(item);
        if (Array.isArray(item)) {
          for (const element of item) stack.push([element, depth + 1]);
        } else {
          for (const [key, element] of Object.entries(item)) {
            const problem = jsonb ? textProblem(key, null, true) : null;
            if (problem) return `has a key that ${problem}`;
            stack.push([element, depth + 1]);
          }
        }
        continue;
      }
      default:
        continue; // undefined, functions, symbols: left out, as JSON.stringify does
    }
  }
  return null;
}

function valueProblem(kind: ColumnKind, length: number | null, value: unknown): string | null {
  switch (kind) {
    case 'text':
      if (typeof value === 'string') return textProblem(value, length);
      if (value instanceof Date && Number.isNaN(value.getTime())) return 'is an invalid Date';
      if (
        typeof value === 'object' &&
        value !== null &&
        !(value instanceof Uint8Array) &&
        !(value instanceof Date)
      ) {
        return jsonProblem(value, false);
      }
      return null;
    case 'int2':
    case 'int4':
    case 'int8':
      return intProblem(kind, value);
    case 'float4':
    case 'float8':
      return floatProblem(kind, value);
    case 'numeric':
      if (typeof value === 'bigint') return null;
      if (typeof value === 'number' || (typeof value === 'string' && NUMBER_TEXT.test(value))) return null;
      return 'is not a number';
    case 'bool':
      return typeof value === 'boolean' ||
        value === 0 ||
        value === 1 ||
        (typeof value === 'string' && BOOL_TEXT.test(value))
        ? null
        : 'is not a boolean';
    case 'timestamp':
      return timestampProblem(value, 'timestamp');
    case 'date':
      return timestampProblem(value, 'date');
    case 'uuid':
      return typeof value === 'string' && UUID_TEXT.test(value) ? null : 'is not a UUID';
    case 'json':
    case 'jsonb':
      return jsonProblem(value, kind === 'jsonb');
    case 'bytea':
      return value instanceof Uint8Array || (typeof value === 'string' && BYTEA_TEXT.test(value))
        ? null
        : 'is not bytes (a Buffer or Uint8Array, or bytea text such as \\x0102)';
    case 'unknown':
      return null;
  }
}

type Columns = Record<string, { kind: ColumnKind; notNull: boolean; length: number | null }>;

function makeChecks<Row>(columns: Columns): RowChecks<Row> {
  const names = Object.keys(columns);
  const check = (column: string, value: unknown): string | null => {
    const spec = columns[column];
    if (!spec) return null;
    if (value === null || value === undefined) return spec.notNull ? 'must not be null' : null;
    return valueProblem(spec.kind, spec.length, value);
  };
  return {
    columns,
    check,
    problems(row: Row): ColumnProblem[] {
      const problems: ColumnProblem[] = [];
      for (const column of names) {
        const problem = check(column, (row as Record<string, unknown>)[column]);
        if (problem) problems.push({ column, problem });
      }
      return problems;
    },
  };
}

/**
 * Checks of the values PostgreSQL would refuse for columns of these types, the ones the batch writer
 * encodes (text, varchar(n), char(n), int2/4/8, float4/8, numeric, bool, timestamp(tz), date, uuid,
 * json, jsonb, bytea): ranges, NUL characters, lone surrogates, lengths, JSON that cannot be stored or
 * would change. Validate at the edge with them, so that what a service accepts is what it can store.
 * A type the checks do not know only checks `notNull`.
 */
export function columnChecks<Row = Record<string, unknown>>(
  types: Readonly<Record<string, ColumnType | ColumnSpec>>,
): RowChecks<Row> {
  const columns: Columns = {};
  for (const [column, spec] of Object.entries(types)) {
    const { type, notNull = false } = typeof spec === 'string' ? { type: spec } : spec;
    columns[column] = { ...kindOfName(type), notNull };
  }
  return makeChecks(columns);
}

/** The same checks from what pg_attribute says (type OID of the base type, typmod, NOT NULL). */
export function columnChecksFromCatalog<Row>(
  rows: readonly { name: string; oid: number; typmod: number; notNull: boolean }[],
  only: readonly string[],
): RowChecks<Row> {
  const columns: Columns = {};
  for (const name of only) {
    const row = rows.find((candidate) => candidate.name === name);
    columns[name] = row
      ? { ...kindOfOid(row.oid, row.typmod), notNull: row.notNull }
      : { kind: 'unknown', notNull: false, length: null };
  }
  return makeChecks(columns);
}
