// Backslash, newline, carriage return and tab are the characters COPY's text format escapes.
const COPY_SPECIAL = /[\\\n\r\t]/;
const COPY_SPECIAL_ALL = /[\\\n\r\t]/g;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const escapeChar = (ch: string): string => COPY_ESCAPES[ch]!;
const DAY_MS = 86_400_000;
const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const THREE_DIGITS = Array.from({ length: 1_000 }, (_, i) => String(i).padStart(3, '0'));

function escapeCopy(text: string): string {
  // test() first: most values have nothing to escape, and replace() with a callback is not free.
  return COPY_SPECIAL.test(text) ? text.replace(COPY_SPECIAL_ALL, escapeChar) : text;
}

/** A row the encoder could not encode (an invalid Date, a BigInt or a cycle in JSON, …): which one and why. */
export class EncodeError extends Error {
  /** Position of the row in the rows given to encode(). */
  readonly index: number;
  readonly column: string;

  constructor(index: number, column: string, cause: unknown) {
    super(`row ${index}, column ${column}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'EncodeError';
    this.index = index;
    this.column = column;
  }
}

/**
 * `YYYY-MM-DDT` of a day in the form PostgreSQL reads: toISOString()'s for years 1–9999; without the
 * sign and padding of its extended years above (`10000-…`, PostgreSQL refuses `+010000-…`); and for
 * year 0 and before the BC year (astronomical year 0 is 1 BC), which the caller suffixes with ` BC`.
 */
function dayPrefix(iso: string): { prefix: string; bc: boolean } {
  const t = iso.indexOf('T') + 1;
  if (iso[0] === '+') return { prefix: `${Number(iso.slice(1, 7))}${iso.slice(7, t)}`, bc: false };
  if (iso[0] === '-') {
    const year = String(1 + Number(iso.slice(1, 7))).padStart(4, '0');
    return { prefix: `${year}${iso.slice(7, t)}`, bc: true };
  }
  if (iso.startsWith('0000-')) return { prefix: `0001${iso.slice(4, t)}`, bc: true };
  return { prefix: iso.slice(0, t), bc: false };
}

/**
 * COPY text encoder of one writer: rows → one Buffer per batch. `Date#toISOString()` was most of the
 * encoding time (a runtime call per value), so dates are formatted here from the epoch milliseconds,
 * with the `YYYY-MM-DDT` prefix kept per day and the last text kept per millisecond (rows written
 * together share both). Dates of every year a JavaScript Date can hold are written as PostgreSQL reads
 * them (see dayPrefix); for years 1–9999 the text is exactly toISOString()'s.
 */
export class CopyEncoder<Row = Record<string, unknown>> {
  readonly columns: readonly (keyof Row & string)[];
  #day = Number.NaN;
  #dayPrefix = '';
  #daySuffix = '';
  #lastMs = Number.NaN;
  #lastDate = '';

  constructor(columns: readonly (keyof Row & string)[]) {
    this.columns = [...columns];
  }

  /** Rows start..end-1 as COPY text in UTF-8: tab-separated, one line each. Throws EncodeError. */
  encode(rows: readonly Row[], start = 0, end = rows.length): Buffer {
    return Buffer.from(this.text(rows, start, end), 'utf8');
  }

  /** Rows start..end-1 as COPY text. Throws EncodeError naming the row (relative to `rows`) and column. */
  text(rows: readonly Row[], start = 0, end = rows.length): string {
    const { columns } = this;
    const last = columns.length - 1;
    if (last < 0) return '\n'.repeat(Math.max(0, end - start));
    let text = '';
    let i = start;
    let c = 0;
    try {
      for (; i < end; i++) {
        const row = rows[i]!;
        for (c = 0; c < last; c++) text += `${this.value(row[columns[c]!])}\t`;
        text += `${this.value(row[columns[last]!])}\n`;
      }
    } catch (error) {
      throw new EncodeError(i, columns[c] ?? '', error);
    }
    return text;
  }

  /** One value in COPY text format. Objects and arrays are JSON (for json/jsonb columns). */
  value(value: unknown): string {
    switch (typeof value) {
      case 'string':
        return escapeCopy(value);
      case 'number':
      case 'bigint':
        return `${value}`;
      case 'boolean':
        return value ? 't' : 'f';
      case 'undefined':
        return '\\N';
      case 'object':
        if (value === null) return '\\N';
        if (value instanceof Date) return this.date(value);
        if (value instanceof Uint8Array) return `\\\\x${Buffer.from(value).toString('hex')}`;
        return escapeCopy(JSON.stringify(value));
      default:
        return escapeCopy(String(value));
    }
  }

  /** A non-null value as the text the server receives, before COPY's escaping. */
  raw(value: unknown): string {
    switch (typeof value) {
      case 'string':
        return value;
      case 'number':
      case 'bigint':
        return `${value}`;
      case 'boolean':
        return value ? 't' : 'f';
      case 'object':
        if (value instanceof Date) return this.date(value);
        if (value instanceof Uint8Array) return `\\x${Buffer.from(value).toString('hex')}`;
        return String(JSON.stringify(value));
      default:
        return String(value);
    }
  }

  /**
   * The date as PostgreSQL reads it: toISOString()'s text for years 1–9999 (and its RangeError for an
   * invalid date), other years as dayPrefix() describes.
   */
  date(date: Date): string {
    const ms = date.getTime();
    if (ms === this.#lastMs) return this.#lastDate;
    const day = Math.floor(ms / DAY_MS);
    if (day !== this.#day) {
      const { prefix, bc } = dayPrefix(date.toISOString()); // RangeError for an invalid date
      this.#dayPrefix = prefix;
      this.#daySuffix = bc ? ' BC' : '';
      this.#day = day;
    }
    let rest = ms - day * DAY_MS;
    const hours = Math.floor(rest / 3_600_000);
    rest -= hours * 3_600_000;
    const minutes = Math.floor(rest / 60_000);
    rest -= minutes * 60_000;
    const seconds = Math.floor(rest / 1_000);
    const text = `${this.#dayPrefix}${TWO_DIGITS[hours]}:${TWO_DIGITS[minutes]}:${TWO_DIGITS[seconds]}.${THREE_DIGITS[rest - seconds * 1_000]}Z${this.#daySuffix}`;
    this.#lastMs = ms;
    this.#lastDate = text;
    return text;
  }
}

const sharedEncoder = new CopyEncoder<Record<string, unknown>>([]);

/** One value in COPY text format. Objects and arrays are JSON (for json/jsonb columns). */
export function copyValue(value: unknown): string {
  return sharedEncoder.value(value);
}

/** Rows as COPY text: tab-separated, one line each. */
export function copyText<Row>(rows: readonly Row[], columns: readonly (keyof Row & string)[]): string {
  return new CopyEncoder<Row>(columns).text(rows);
}
