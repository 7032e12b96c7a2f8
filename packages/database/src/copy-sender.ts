import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { classifyError } from './classify.js';
import { BINARY_COPY_TRAILER, BinaryCopyEncoder, lockAndColumnTypesSql } from './copy-binary.js';
import { CopyEncoder } from './copy-text.js';
import { TryAgain } from './send-outcome.js';
import { copyStatement, quoteIdentifier } from './sql.js';
import type { RawClient, WriteAttempt } from './writer-connection.js';

/** SQLSTATE 22P04 bad_copy_file_format: the server could not read the binary stream itself. */
const BAD_COPY_FORMAT = '22P04';

async function rollback(conn: RawClient): Promise<void> {
  await Promise.resolve(conn.query('ROLLBACK')).catch(() => {});
}

/**
 * Writes rows with COPY … FROM STDIN through pg-copy-streams, in COPY's binary format when every
 * column type and value of the COPY has an exact binary form, else in text. Each `batchSize` rows are
 * one Buffer (one CopyData message), encoded only when the previous one went to the socket, so the
 * server parses batch n while Node encodes batch n + 1.
 */
export class CopySender<Row extends object> {
  readonly copies = { binary: 0, text: 0 };
  readonly #table: string;
  readonly #columns: readonly (keyof Row & string)[];
  readonly #batchSize: number;
  readonly #text: CopyEncoder<Row>;
  readonly #textSql: string;
  readonly #binarySql: string;
  /** undefined: types not read yet (or to be read again); null: text from now on. */
  #binary: BinaryCopyEncoder<Row> | null | undefined;

  constructor(
    table: string,
    columns: readonly (keyof Row & string)[],
    batchSize: number,
    format: 'auto' | 'text',
  ) {
    this.#table = table;
    this.#columns = columns;
    this.#batchSize = batchSize;
    this.#text = new CopyEncoder<Row>(columns);
    this.#textSql = copyStatement(table, columns, false);
    this.#binarySql = copyStatement(table, columns, true);
    this.#binary = format === 'text' ? null : undefined;
  }

  async send(conn: RawClient, rows: readonly Row[], attempt: WriteAttempt): Promise<void> {
    // A known encoder that cannot take these values, or a table with a type we cannot encode: text,
    // as one autocommit COPY (committing once its last byte is sent).
    const cached = this.#binary;
    if (cached === null || (cached !== undefined && !cached.accepts(rows))) {
      await this.#copy(conn, rows, null, attempt);
      this.copies.text++;
      return;
    }
    // Binary data is only right for the column types it was encoded for. The types are read inside
    // the COPY's transaction after taking the lock COPY takes anyway (ROW EXCLUSIVE, which conflicts
    // with ALTER TABLE), so they cannot change between the check and the COPY. One extra round trip.
    const types = await this.#lockAndReadTypes(conn);
    const binary = types?.accepts(rows) ? types : null;
    try {
      await this.#copy(conn, rows, binary, null);
      attempt.committing = true;
      await conn.query('COMMIT');
    } catch (error) {
      await rollback(conn);
      this.#binary = undefined; // read the types again next time
      if (binary !== null && (error as { code?: unknown }).code === BAD_COPY_FORMAT) {
        // The server could not read our binary stream at all: a fault of the encoder, not of the rows.
        // Text from now on, and the rows are tried again.
        this.#binary = null;
        throw new TryAgain(classifyError(error, { node: 'primary' }));
      }
      throw error;
    }
    this.copies[binary ? 'binary' : 'text']++;
  }

  async #lockAndReadTypes(conn: RawClient): Promise<BinaryCopyEncoder<Row> | null> {
    try {
      // A multi-statement query answers with one result per statement; the SELECT is the last.
      const results = (await conn.query(lockAndColumnTypesSql(quoteIdentifier(this.#table)))) as {
        rows: { name: string; oid: number }[];
      }[];
      const { rows } = results[results.length - 1]!;
      const binary = BinaryCopyEncoder.create<Row>(this.#columns, new Map(rows.map((r) => [r.name, r.oid])));
      this.#binary = binary;
      return binary;
    } catch (error) {
      await rollback(conn);
      throw error;
    }
  }

  /**
   * One COPY of rows, in binary when an encoder is given, else in text. `attempt` is set to committing
   * when the end of the data goes out (an autocommit COPY commits then); null inside a transaction.
   * A row that cannot be encoded aborts the whole COPY (CopyFail) with an EncodeError naming it.
   */
  async #copy(
    conn: RawClient,
    rows: readonly Row[],
    binary: BinaryCopyEncoder<Row> | null,
    attempt: WriteAttempt | null,
  ): Promise<void> {
    const stream = conn.query(copyFrom(binary ? this.#binarySql : this.#textSql)) as NodeJS.WritableStream;
    const batchSize = this.#batchSize;
    const text = this.#text;
    let start = 0;
    let trailer = binary !== null;
    // highWaterMark 1: the next batch is encoded only when the previous one went to the socket.
    const source = new Readable({
      objectMode: true,
      highWaterMark: 1,
      read() {
        if (start >= rows.length) {
          if (trailer) {
            trailer = false;
            this.push(BINARY_COPY_TRAILER);
          } else {
            if (attempt) attempt.committing = true;
            this.push(null);
          }
          return;
        }
        const end = Math.min(start + batchSize, rows.length);
        let chunk: Buffer;
        try {
          chunk = binary ? binary.encode(rows, start, end, start === 0) : text.encode(rows, start, end);
        } catch (error) {
          // pipeline() then aborts the COPY (CopyFail): nothing of it is committed.
          void this.destroy(error as Error);
          return;
        }
        start = end;
        this.push(chunk);
      },
    });
    await pipeline(source, stream);
  }
}
