import { createHash } from 'node:crypto';
import { insertStatement, rowsPerStatement } from './sql.js';
import type { RawClient, WriteAttempt } from './writer-connection.js';

/**
 * Writes rows with multi-row INSERTs, chunked so rows × columns stays within the 65,535 bind
 * parameters; the chunks of one write run in one transaction, so a retry never duplicates rows. pg's
 * own value conversion applies (arrays become PostgreSQL arrays).
 */
export class InsertSender<Row extends object> {
  readonly #table: string;
  readonly #columns: readonly (keyof Row & string)[];
  readonly #rowsPerStatement: number;
  readonly #namedStatements: boolean;
  readonly #statements = new Map<number, string>();
  #fullStatementName: string | null = null;

  /**
   * namedStatements: a full-size chunk, the common size, runs as a named prepared statement, parsed and
   * planned once per connection (the server's parse of a VALUES list of thousands of parameters was
   * ~40 % of its work per row); other sizes stay unnamed so a connection never collects one statement
   * per size. Off behind PgBouncer in transaction mode, where the next transaction may get another
   * server session.
   */
  constructor(
    table: string,
    columns: readonly (keyof Row & string)[],
    batchSize: number,
    namedStatements: boolean,
  ) {
    this.#table = table;
    this.#columns = columns;
    this.#rowsPerStatement = rowsPerStatement(columns.length, batchSize);
    this.#namedStatements = namedStatements;
  }

  async send(conn: RawClient, rows: readonly Row[], attempt: WriteAttempt): Promise<void> {
    const perStatement = this.#rowsPerStatement;
    const chunks = Math.ceil(rows.length / perStatement);
    if (chunks > 1) await conn.query('BEGIN');
    try {
      for (let start = 0; start < rows.length; start += perStatement) {
        const chunk = rows.slice(start, start + perStatement);
        const values: unknown[] = [];
        for (const row of chunk) for (const column of this.#columns) values.push(row[column] ?? null);
        const text = this.#statement(chunk.length);
        // A single statement commits as it runs: once it is sent, the rows may be stored.
        if (chunks === 1) attempt.committing = true;
        if (this.#namedStatements && chunk.length === perStatement) {
          await conn.query({ name: this.#statementName(text), text, values });
        } else {
          await conn.query(text, values);
        }
      }
      if (chunks > 1) {
        attempt.committing = true;
        await conn.query('COMMIT');
      }
    } catch (error) {
      if (chunks > 1) await Promise.resolve(conn.query('ROLLBACK')).catch(() => {});
      throw error;
    }
  }

  #statementName(text: string): string {
    this.#fullStatementName ??= `org_bw_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    return this.#fullStatementName;
  }

  #statement(rows: number): string {
    let sql = this.#statements.get(rows);
    if (sql === undefined) {
      sql = insertStatement(this.#table, this.#columns, rows);
      // At most two sizes are common (full and last); keep the cache small regardless.
      if (this.#statements.size >= 8) this.#statements.clear();
      this.#statements.set(rows, sql);
    }
    return sql;
  }
}
