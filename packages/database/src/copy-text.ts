/** The most bind parameters one PostgreSQL statement accepts (the protocol counts them in an Int16). */
export const MAX_BIND_PARAMETERS = 65_535;

/** Quotes an identifier; `schema.table` is quoted part by part. */
export function quoteIdentifier(name: string): string {
  return name
    .split('.')
    .map((part) => `"${part.replace(/"/g, '""')}"`)
    .join('.');
}

/** `INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4), …` for `rows` rows. */
export function insertStatement(table: string, columns: readonly string[], rows: number): string {
  const parts: string[] = [];
  let n = 1;
  for (let r = 0; r < rows; r++) {
    const row: string[] = [];
    for (let c = 0; c < columns.length; c++) row.push(`$${n++}`);
    parts.push(`(${row.join(',')})`);
  }
  return `INSERT INTO ${quoteIdentifier(table)} (${columns.map(quoteIdentifier).join(',')}) VALUES ${parts.join(',')}`;
}

/** Rows per INSERT so that rows × columns stays within the bind-parameter limit. */
export function rowsPerStatement(columns: number, batchSize: number): number {
  return Math.max(1, Math.min(batchSize, Math.floor(MAX_BIND_PARAMETERS / Math.max(1, columns))));
}

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

/**
 * COPY text encoder of one writer: rows → one Buffer per batch. Output is byte for byte what
 * copyText() gives; it is only faster. `Date#toISOString()` was most of the encoding time (a runtime
 * call per value), so dates are formatted here from the epoch milliseconds, with the `YYYY-MM-DDT`
 * prefix kept per day and the last text kept per millisecond (rows written together share both).
 */
export class CopyEncoder<Row = Record<string, unknown>> {
  readonly columns: readonly (keyof Row & string)[];
  #day = Number.NaN;
  #dayPrefix = '';
  #lastMs = Number.NaN;
  #lastDate = '';

  constructor(columns: readonly (keyof Row & string)[]) {
    this.columns = [...columns];
  }

  /** Rows start..end-1 as COPY text in UTF-8: tab-separated, one line each. */
  encode(rows: readonly Row[], start = 0, end = rows.length): Buffer {
    return Buffer.from(this.text(rows, start, end), 'utf8');
  }

  /** Rows start..end-1 as COPY text. */
  text(rows: readonly Row[], start = 0, end = rows.length): string {
    const { columns } = this;
    const last = columns.length - 1;
    if (last < 0) return '\n'.repeat(Math.max(0, end - start));
    let text = '';
    for (let i = start; i < end; i++) {
      const row = rows[i]!;
      for (let c = 0; c < last; c++) text += `${this.value(row[columns[c]!])}\t`;
      text += `${this.value(row[columns[last]!])}\n`;
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

  /** Same text as `date.toISOString()` (and the same RangeError for an invalid date). */
  date(date: Date): string {
    const ms = date.getTime();
    if (ms === this.#lastMs) return this.#lastDate;
    const day = Math.floor(ms / DAY_MS);
    if (day !== this.#day) {
      const iso = date.toISOString(); // throws RangeError for an invalid date, as before
      this.#dayPrefix = iso.slice(0, iso.indexOf('T') + 1);
      this.#day = day;
    }
    let rest = ms - day * DAY_MS;
    const hours = Math.floor(rest / 3_600_000);
    rest -= hours * 3_600_000;
    const minutes = Math.floor(rest / 60_000);
    rest -= minutes * 60_000;
    const seconds = Math.floor(rest / 1_000);
    const text = `${this.#dayPrefix}${TWO_DIGITS[hours]}:${TWO_DIGITS[minutes]}:${TWO_DIGITS[seconds]}.${THREE_DIGITS[rest - seconds * 1_000]}Z`;
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
