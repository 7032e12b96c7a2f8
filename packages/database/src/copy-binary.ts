import { CopyEncoder, EncodeError } from './copy-text.js';

/**
 * PostgreSQL type OIDs whose binary COPY representation the writer produces. A domain counts as its
 * base type (the server's domain_recv runs the base type's receive function, then the domain's checks).
 */
export const BINARY_COPY_TYPES = {
  bool: 16,
  bytea: 17,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  json: 114,
  float8: 701,
  bpchar: 1042,
  varchar: 1043,
  timestamp: 1114,
  timestamptz: 1184,
  uuid: 2950,
  jsonb: 3802,
} as const;

/**
 * One simple-protocol round trip: opens a transaction, takes the lock COPY takes anyway (ROW EXCLUSIVE,
 * which conflicts with ALTER TABLE, so the types cannot change until the COPY commits), and reads the
 * columns with their type OIDs (a domain as its base type). `table` is the quoted identifier.
 */
export function lockAndColumnTypesSql(table: string): string {
  return `BEGIN; LOCK TABLE ${table} IN ROW EXCLUSIVE MODE; ${columnTypesSql(table)}`;
}

/** The table's columns with their type OIDs (a domain as its base type). `table` is the quoted identifier. */
export function columnTypesSql(table: string): string {
  const literal = `'${table.replace(/'/g, "''")}'`;
  return (
    'SELECT a.attname AS name, ' +
    "(CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END)::int AS oid, " +
    "(CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END)::int AS typmod, " +
    "(a.attnotnull OR (t.typtype = 'd' AND t.typnotnull)) AS not_null " +
    'FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid ' +
    `WHERE a.attrelid = ${literal}::regclass AND a.attnum > 0 AND NOT a.attisdropped`
  );
}

/** `PGCOPY\n\377\r\n\0`, flags 0, header extension length 0. */
const HEADER = Buffer.from([
  0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
]);
/** The file trailer: a tuple field count of -1. */
export const BINARY_COPY_TRAILER: Buffer = Buffer.from([0xff, 0xff]);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PG_EPOCH_MS = 946_684_800_000; // 2000-01-01T00:00:00Z
const TWO_32 = 2 ** 32;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** PostgreSQL's earliest timestamp, 4714-11-24 BC (Julian day 0); its latest is past any Date's. */
const MIN_TS_MS = -210_866_803_200_000;
/** |ms since 2000| below this: microseconds stay exact in a double (< 2^53). */
const EXACT_MS = 9_000_000_000_000;

type Kind =
  | 'bool'
  | 'bytea'
  | 'int2'
  | 'int4'
  | 'int8'
  | 'float8'
  | 'text'
  | 'json'
  | 'jsonb'
  | 'ts'
  | 'uuid';

const KIND_BY_OID = new Map<number, Kind>([
  [BINARY_COPY_TYPES.bool, 'bool'],
  [BINARY_COPY_TYPES.bytea, 'bytea'],
  [BINARY_COPY_TYPES.int2, 'int2'],
  [BINARY_COPY_TYPES.int4, 'int4'],
  [BINARY_COPY_TYPES.int8, 'int8'],
  [BINARY_COPY_TYPES.float8, 'float8'],
  [BINARY_COPY_TYPES.text, 'text'],
  [BINARY_COPY_TYPES.varchar, 'text'],
  [BINARY_COPY_TYPES.bpchar, 'text'],
  [BINARY_COPY_TYPES.json, 'json'],
  [BINARY_COPY_TYPES.jsonb, 'jsonb'],
  [BINARY_COPY_TYPES.timestamp, 'ts'],
  [BINARY_COPY_TYPES.timestamptz, 'ts'],
  [BINARY_COPY_TYPES.uuid, 'uuid'],
]);

/** A safe integer as a big-endian int64, without allocating a BigInt. */
function writeSafeInt64(buf: Buffer, n: number, at: number): void {
  const high = Math.floor(n / TWO_32);
  buf.writeInt32BE(high, at);
  buf.writeUInt32BE(n - high * TWO_32, at + 4);
}

function isPlainJson(value: object): boolean {
  return !(value instanceof Date) && !(value instanceof Uint8Array);
}

/**
 * Encodes rows in COPY's binary format for columns of known types. The server then skips text
 * parsing (timestamps, floats, integers), which was about a third of its COPY work on the benchmark
 * table. `accepts()` says whether every value of some rows has an exact binary form with the same
 * meaning the text format gives it; when not, the writer uses the text format for that COPY, so the
 * result never depends on the format. Values are never coerced: a string for an integer column, a
 * number for a timestamp, a fractional number for an integer, an out-of-range integer all go as text
 * (where the server accepts or rejects them as it always did).
 */
export class BinaryCopyEncoder<Row = Record<string, unknown>> {
  readonly columns: readonly (keyof Row & string)[];
  readonly #kinds: Kind[];
  /** For the text-like kinds: the same text the text format sends, before COPY escaping. */
  readonly #text = new CopyEncoder<Row>([]);

  /** Null when some column's type has no binary encoding here. */
  static create<Row>(
    columns: readonly (keyof Row & string)[],
    oidByColumn: ReadonlyMap<string, number>,
  ): BinaryCopyEncoder<Row> | null {
    const kinds: Kind[] = [];
    for (const column of columns) {
      const kind = KIND_BY_OID.get(oidByColumn.get(column) ?? 0);
      if (kind === undefined) return null;
      kinds.push(kind);
    }
    return new BinaryCopyEncoder<Row>(columns, kinds);
  }

  private constructor(columns: readonly (keyof Row & string)[], kinds: Kind[]) {
    this.columns = [...columns];
    this.#kinds = kinds;
  }

  /** True when every value of rows start..end-1 has a binary form (see the class comment). */
  accepts(rows: readonly Row[], start = 0, end = rows.length): boolean {
    const { columns } = this;
    const kinds = this.#kinds;
    for (let c = 0; c < columns.length; c++) {
      const column = columns[c]!;
      const kind = kinds[c]!;
      for (let i = start; i < end; i++) {
        const value: unknown = rows[i]![column];
        if (value === null || value === undefined) continue;
        if (!BinaryCopyEncoder.#fits(kind, value)) return false;
      }
    }
    return true;
  }

  static #fits(kind: Kind, value: unknown): boolean {
    switch (kind) {
      case 'text':
        return true; // the text format's own rendering of any value, unescaped
      case 'int4':
        return typeof value === 'number' && (value | 0) === value;
      case 'float8':
        return typeof value === 'number';
      case 'ts': {
        // A valid Date PostgreSQL can hold (the text format writes every such year as it reads them).
        const ms = value instanceof Date ? value.getTime() : Number.NaN;
        return ms >= MIN_TS_MS;
      }
      case 'int8':
        return typeof value === 'bigint'
          ? value >= INT64_MIN && value <= INT64_MAX
          : typeof value === 'number' && Number.isSafeInteger(value);
      case 'int2':
        return typeof value === 'number' && Number.isInteger(value) && value >= -32_768 && value <= 32_767;
      case 'bool':
        return typeof value === 'boolean';
      case 'json':
      case 'jsonb':
        // Not booleans: the text format sends t/f, which is no JSON (the server rejects it either way).
        return (
          typeof value === 'string' ||
          typeof value === 'number' ||
          (typeof value === 'object' && isPlainJson(value as object))
        );
      case 'uuid':
        return typeof value === 'string' && UUID.test(value);
      case 'bytea':
        return value instanceof Uint8Array;
    }
  }

  /**
   * Rows start..end-1 as binary tuples. `header` prepends the file header (the first chunk of a
   * COPY); the caller sends BINARY_COPY_TRAILER after the last. Call accepts() on the rows first.
   */
  encode(rows: readonly Row[], start = 0, end = rows.length, header = false): Buffer {
    const { columns } = this;
    const kinds = this.#kinds;
    const fields = columns.length;
    let buf = Buffer.allocUnsafe(Math.max(256, (end - start) * (2 + fields * 12) + HEADER.length));
    let at = 0;
    const room = (bytes: number): void => {
      if (at + bytes <= buf.length) return;
      const next = Buffer.allocUnsafe(Math.max(buf.length * 2, at + bytes));
      buf.copy(next, 0, 0, at);
      buf = next;
    };
    if (header) {
      HEADER.copy(buf, 0);
      at = HEADER.length;
    }
    let i = start;
    let c = 0;
    try {
      for (; i < end; i++) {
        const row = rows[i]!;
        room(2 + fields * 12);
        buf.writeInt16BE(fields, at);
        at += 2;
        for (c = 0; c < fields; c++) {
          const value: unknown = row[columns[c]!];
          room(12);
          if (value === null || value === undefined) {
            buf.writeInt32BE(-1, at);
            at += 4;
            continue;
          }
          switch (kinds[c]!) {
            case 'int4':
              buf.writeInt32BE(4, at);
              buf.writeInt32BE(value as number, at + 4);
              at += 8;
              break;
            case 'float8':
              buf.writeInt32BE(8, at);
              // -0 as 0: the text format sends `${-0}`, which is "0".
              buf.writeDoubleBE((value as number) === 0 ? 0 : (value as number), at + 4);
              at += 12;
              break;
            case 'ts': {
              buf.writeInt32BE(8, at);
              const ms = (value as Date).getTime() - PG_EPOCH_MS;
              if (ms > -EXACT_MS && ms < EXACT_MS) {
                writeSafeInt64(buf, ms * 1_000, at + 4);
              } else {
                buf.writeBigInt64BE(BigInt(ms) * 1_000n, at + 4);
              }
              at += 12;
              break;
            }
            case 'int8':
              buf.writeInt32BE(8, at);
              if (typeof value === 'bigint') buf.writeBigInt64BE(value, at + 4);
              else writeSafeInt64(buf, value as number, at + 4);
              at += 12;
              break;
            case 'int2':
              buf.writeInt32BE(2, at);
              buf.writeInt16BE(value as number, at + 4);
              at += 6;
              break;
            case 'bool':
              buf.writeInt32BE(1, at);
              buf[at + 4] = value ? 1 : 0;
              at += 5;
              break;
            case 'uuid':
              buf.writeInt32BE(16, at);
              buf.write((value as string).replace(/-/g, ''), at + 4, 16, 'hex');
              at += 20;
              break;
            case 'bytea': {
              const bytes = value as Uint8Array;
              room(4 + bytes.length);
              buf.writeInt32BE(bytes.length, at);
              buf.set(bytes, at + 4);
              at += 4 + bytes.length;
              break;
            }
            case 'text':
            case 'json':
            case 'jsonb': {
              const kind = kinds[c]!;
              const text = typeof value === 'string' ? value : this.#text.raw(value);
              const prefix = kind === 'jsonb' ? 1 : 0;
              room(5 + text.length * 3);
              if (prefix === 1) buf[at + 4] = 1; // jsonb binary format version
              const written = buf.write(text, at + 4 + prefix, 'utf8');
              buf.writeInt32BE(written + prefix, at);
              at += 4 + prefix + written;
              break;
            }
          }
        }
      }
    } catch (error) {
      throw new EncodeError(i, columns[c] ?? '', error);
    }
    return buf.subarray(0, at);
  }
}
