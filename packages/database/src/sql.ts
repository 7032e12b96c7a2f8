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
const COPY_SPECIAL = /[\\\n\r\t]/g;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** One value in COPY text format. Objects and arrays are JSON (for json/jsonb columns). */
export function copyValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value.replace(COPY_SPECIAL, (ch) => COPY_ESCAPES[ch]!);
    case 'number':
    case 'bigint':
      return String(value);
    case 'boolean':
      return value ? 't' : 'f';
    case 'undefined':
      return '\\N';
    case 'object':
      if (value === null) return '\\N';
      if (value instanceof Date) return value.toISOString();
      if (value instanceof Uint8Array) return `\\\\x${Buffer.from(value).toString('hex')}`;
      return JSON.stringify(value).replace(COPY_SPECIAL, (ch) => COPY_ESCAPES[ch]!);
    default:
      return String(value).replace(COPY_SPECIAL, (ch) => COPY_ESCAPES[ch]!);
  }
}

/** Rows as COPY text: tab-separated, one line each. */
export function copyText<Row>(rows: readonly Row[], columns: readonly (keyof Row & string)[]): string {
  let text = '';
  for (const row of rows) {
    let line = '';
    for (let c = 0; c < columns.length; c++) {
      if (c > 0) line += '\t';
      line += copyValue(row[columns[c]!]);
    }
    text += `${line}\n`;
  }
  return text;
}
