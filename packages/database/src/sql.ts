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

/** `COPY "t" ("a","b") FROM STDIN`, in binary with `binary`. */
export function copyStatement(table: string, columns: readonly string[], binary: boolean): string {
  const sql = `COPY ${quoteIdentifier(table)} (${columns.map(quoteIdentifier).join(',')}) FROM STDIN`;
  return binary ? `${sql} (FORMAT binary)` : sql;
}
