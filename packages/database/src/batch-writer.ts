import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  aborted,
  BoundedQueue,
  type BoundedQueueStats,
  type CloseContext,
  checkNumber,
  type DropReason,
  type ErrorReporter,
  OwnedInterval,
  type QueueEntry,
  Resource,
  report,
  stderrReporter,
} from '@org/shared-lifecycle';
import type { Knex } from 'knex';
import { from as copyFrom } from 'pg-copy-streams';
import { BINARY_COPY_TRAILER, BinaryCopyEncoder, lockAndColumnTypesSql } from './copy-binary.js';
import { classifyError, DatabaseError } from './errors.js';
import { CopyEncoder, insertStatement, quoteIdentifier, rowsPerStatement } from './sql.js';

export interface BatchWriterOptions<Row> {
  /** Target table, optionally `schema.table`. */
  table: string;
  /** Columns written, in order; each row supplies a value (or null/undefined) for each. */
  columns: readonly (keyof Row & string)[];
  /** 'copy' (COPY … FROM STDIN, default) or 'insert' (multi-row INSERT under the 65 535-parameter limit). */
  mode?: 'copy' | 'insert';
  /** Rows per COPY or INSERT batch; reaching it in the queue starts a flush. Default 1 000. */
  batchSize?: number;
  /**
   * COPY mode: one COPY statement streams up to this many batches (encoded one batch at a time, so the
   * server parses batch n while batch n+1 is encoded). 1 = one COPY per batch. Default 10.
   */
  batchesPerCopy?: number;
  /**
   * COPY mode: 'auto' (default) sends COPY's binary format when every column's type and every value of
   * a COPY have an exact binary form (text, varchar, char, int2/4/8, float8, bool, timestamp(tz), uuid,
   * json, jsonb, bytea; see README), which spares the server its text parsing; else the text format.
   * 'text' always sends text.
   */
  copyFormat?: 'auto' | 'text';
  /** Longest time a row waits for a flush. Default 1 000 ms. */
  flushIntervalMs?: number;
  /** Queue cap in rows. Default 10 000. */
  maxItems?: number;
  /** Queue cap in bytes as measured by sizeOf. Default unlimited. */
  maxBytes?: number;
  /** Rows older than this are dropped instead of written. Default: never. */
  maxAgeMs?: number;
  /** When a cap is hit, this fraction of the oldest rows is dropped at once. Default 0.2. */
  dropFraction?: number;
  /** Size of a row in bytes, for maxBytes. Default: a rough estimate from the column values. */
  sizeOf?: (row: Row) => number;
  /** Deadline of the final flush in close(). Default 5 000 ms. */
  closeTimeoutMs?: number;
  /** Names the writer in stats and error reports. */
  name?: string;
  onError?: ErrorReporter;
}

export type WriterDropReason = DropReason | 'rejected' | 'closed';

export interface BatchWriterStats {
  name: string;
  table: string;
  mode: 'copy' | 'insert';
  queue: BoundedQueueStats;
  /** Rows the server accepted. */
  written: number;
  /** Batches the server accepted. */
  batches: number;
  /**
   * Writes that failed with a retryable error (no connection within the pool timeout, connection lost,
   * deadlock, …); their rows are back at the front of the queue for the next flush.
   */
  retried: number;
  flushes: number;
  /** COPY statements that succeeded, by format (COPY mode). */
  copies: { binary: number; text: number };
  /** Every row that will never be written, by reason; overflow/expired/oversize come from the queue. */
  dropped: Record<WriterDropReason, number>;
  lastError: string | null;
  lastFlushMs: number | null;
  flushing: boolean;
  closed: boolean;
}

interface RawClient {
  query(query: unknown, values?: unknown[]): unknown;
  __knex__disposed?: unknown;
}

function estimateSize(row: unknown): number {
  let bytes = 16;
  for (const value of Object.values(row as Record<string, unknown>)) {
    if (typeof value === 'string') bytes += value.length * 2;
    else if (value !== null && typeof value === 'object') bytes += JSON.stringify(value)?.length ?? 8;
    else bytes += 8;
  }
  return bytes;
}

let writerCount = 0;

/**
 * Buffers rows in a bounded queue and writes them in batches: a flush starts when batchSize rows are
 * queued or flushIntervalMs has passed, never two at once. A retryable failure puts the batch back
 * (the queue's caps still hold); any other failure drops it, counted and reported. close() stops
 * accepting rows and makes a final flush within its deadline.
 */
export class BatchWriter<Row extends object> extends Resource {
  readonly name: string;
  readonly table: string;
  readonly columns: readonly (keyof Row & string)[];
  readonly mode: 'copy' | 'insert';
  readonly batchSize: number;
  readonly flushIntervalMs: number;
  readonly batchesPerCopy: number;
  readonly copyFormat: 'auto' | 'text';
  readonly closeTimeoutMs: number;
  readonly #knex: Knex;
  readonly #queue: BoundedQueue<Row>;
  readonly #interval: OwnedInterval;
  readonly #onError: ErrorReporter;
  readonly #rowsPerStatement: number;
  readonly #statements = new Map<number, string>();
  readonly #copySql: string;
  readonly #encoder: CopyEncoder<Row>;
  /** undefined: types not read yet (or to be read again); null: some column has no binary form. */
  #binary: BinaryCopyEncoder<Row> | null | undefined;
  readonly #copies = { binary: 0, text: 0 };
  readonly #dropped: Record<'rejected' | 'closed', number> = { rejected: 0, closed: 0 };
  #flushRequested = false;
  #written = 0;
  #batches = 0;
  #retried = 0;
  #flushes = 0;
  #inFlightRows = 0;
  #lastError: string | null = null;
  #lastFlushMs: number | null = null;
  readonly #onClosed: (() => void) | undefined;

  /** onClosed: called once when close() is done (the database forgets the writer). */
  constructor(knex: Knex, options: BatchWriterOptions<Row>, onClosed?: () => void) {
    const name = options.name ?? `batch-writer-${++writerCount}`;
    const closeTimeoutMs = checkNumber(`${name}.closeTimeoutMs`, options.closeTimeoutMs ?? 5_000, { min: 1 });
    super(`database.${name}`, {
      closeTimeoutMs,
      ...(options.onError ? { onError: options.onError } : {}),
    });
    this.name = name;
    this.closeTimeoutMs = closeTimeoutMs;
    if (typeof options.table !== 'string' || options.table === '') {
      throw new DatabaseError('ORG_DATABASE_INVALID_OPTION', `${name}: table must be a non-empty string`, {
        details: { option: 'table' },
      });
    }
    if (
      !Array.isArray(options.columns) ||
      options.columns.length === 0 ||
      options.columns.some((c) => typeof c !== 'string' || c === '')
    ) {
      throw new DatabaseError(
        'ORG_DATABASE_INVALID_OPTION',
        `${name}: columns must be a non-empty list of names`,
        {
          details: { option: 'columns' },
        },
      );
    }
    const mode = options.mode ?? 'copy';
    if (mode !== 'copy' && mode !== 'insert') {
      throw new DatabaseError('ORG_DATABASE_INVALID_OPTION', `${name}: mode must be 'copy' or 'insert'`, {
        details: { option: 'mode', value: mode },
      });
    }
    this.table = options.table;
    this.columns = [...options.columns];
    this.mode = mode;
    this.batchSize = checkNumber(`${name}.batchSize`, options.batchSize ?? 1_000, { min: 1, integer: true });
    this.flushIntervalMs = checkNumber(`${name}.flushIntervalMs`, options.flushIntervalMs ?? 1_000, {
      min: 1,
      max: 2 ** 31 - 1,
    });
    this.batchesPerCopy = checkNumber(`${name}.batchesPerCopy`, options.batchesPerCopy ?? 10, {
      min: 1,
      integer: true,
    });
    const copyFormat = options.copyFormat ?? 'auto';
    if (copyFormat !== 'auto' && copyFormat !== 'text') {
      throw new DatabaseError('ORG_DATABASE_INVALID_OPTION', `${name}: copyFormat must be 'auto' or 'text'`, {
        details: { option: 'copyFormat', value: copyFormat },
      });
    }
    this.copyFormat = copyFormat;
    this.#binary = copyFormat === 'text' ? null : undefined;
    this.#knex = knex;
    this.#onClosed = onClosed;
    this.#onError = options.onError ?? stderrReporter;
    this.#rowsPerStatement = rowsPerStatement(this.columns.length, this.batchSize);
    this.#encoder = new CopyEncoder<Row>(this.columns);
    this.#copySql = `COPY ${quoteIdentifier(this.table)} (${this.columns.map(quoteIdentifier).join(',')}) FROM STDIN`;
    const queueOptions = {
      maxItems: options.maxItems ?? 10_000,
      dropFraction: options.dropFraction ?? 0.2,
      onDrop: (reason: DropReason, count: number) => this.#reportDrop(reason, count),
      ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
      ...(options.maxAgeMs === undefined ? {} : { maxAgeMs: options.maxAgeMs }),
    };
    this.#queue = new BoundedQueue<Row>({ ...queueOptions, sizeOf: options.sizeOf ?? estimateSize });
    this.#interval = new OwnedInterval((signal) => this.#flush(signal), {
      intervalMs: this.flushIntervalMs,
      name: `database.${name}`,
      onError: this.#onError,
    }).start();
  }

  /**
   * Queues a row. Returns false when the row alone exceeds the byte cap (counted as oversize).
   * Throws ORG_DATABASE_INVALID_ROW for a non-object and ORG_LIFECYCLE_CLOSED after close().
   */
  write(row: Row): boolean {
    this.assertOpen('write');
    if (row === null || typeof row !== 'object' || Array.isArray(row)) {
      throw new DatabaseError('ORG_DATABASE_INVALID_ROW', `${this.name}.write() needs a row object`, {
        details: {
          writer: this.name,
          type: row === null ? 'null' : Array.isArray(row) ? 'array' : typeof row,
        },
      });
    }
    const accepted = this.#queue.push(row);
    if (this.#queue.size >= this.batchSize && !this.#flushRequested) {
      this.#flushRequested = true;
      void this.#interval.trigger();
    }
    return accepted;
  }

  /** Writes everything queued now; resolves when the flush is done. Never rejects (errors are reported). */
  flush(): Promise<void> {
    return this.#interval.trigger();
  }

  stats(): BatchWriterStats {
    const queue = this.#queue.stats();
    return {
      name: this.name,
      table: this.table,
      mode: this.mode,
      queue,
      written: this.#written,
      batches: this.#batches,
      retried: this.#retried,
      flushes: this.#flushes,
      copies: { ...this.#copies },
      dropped: { ...queue.dropped, ...this.#dropped },
      lastError: this.#lastError,
      lastFlushMs: this.#lastFlushMs,
      flushing: this.#interval.running,
      closed: this.closed,
    };
  }

  protected async onClose(ctx: CloseContext): Promise<void> {
    const final = (async () => {
      await this.#interval.stop();
      await this.#flush(undefined, true);
    })();
    // Past the deadline whatever is still queued will not be written.
    await Promise.race([final, aborted(ctx.signal)]);
    const left = this.#queue.drain().length;
    const unknown = this.#inFlightRows;
    if (left > 0) this.#dropped.closed += left;
    if (left > 0 || unknown > 0) {
      report(
        this.#onError,
        new DatabaseError(
          'ORG_DATABASE_ROWS_DROPPED',
          `${this.name}: close() deadline passed with ${left} row(s) unwritten` +
            (unknown > 0 ? ` and ${unknown} row(s) in a batch still in flight` : ''),
          { details: { writer: this.name, reason: 'closed', count: left, inFlight: unknown } },
        ),
        { source: `database.${this.name}` },
      );
    }
    this.#onClosed?.();
  }

  async #flush(_signal?: AbortSignal, final = false): Promise<void> {
    this.#flushRequested = false;
    if (this.#queue.size === 0) return;
    this.#flushes++;
    const started = performance.now();
    try {
      while (this.#queue.size > 0) {
        if (!(await this.#writeNext(final))) break;
        // Rows keep arriving during a long flush: a write() that hits batchSize asks for one more run.
        this.#flushRequested = false;
      }
    } finally {
      this.#lastFlushMs = performance.now() - started;
    }
  }

  /**
   * Acquires a connection, then takes the next batch and writes it (one COPY or one INSERT batch).
   * False when nothing was written and the flush should stop for now (queue empty, or a retryable
   * failure: the batch is back at the front of the queue).
   */
  async #writeNext(final: boolean): Promise<boolean> {
    let batch: QueueEntry<Row>[] = [];
    try {
      await this.#withConnection(async (conn) => {
        // Taken only once a connection is ready, so rows written while it was being acquired (e.g.
        // the rest of a burst whose batchSize-th row started this flush) go in this COPY.
        batch = this.#queue.take(
          this.mode === 'copy' ? this.batchSize * this.batchesPerCopy : this.batchSize,
        );
        if (batch.length === 0) return;
        const rows = batch.map((entry) => entry.value);
        this.#inFlightRows = rows.length;
        if (this.mode === 'copy') await this.#copy(conn, rows);
        else await this.#insert(conn, rows);
      });
      if (batch.length === 0) return false;
      this.#written += batch.length;
      this.#batches++;
      return true;
    } catch (error) {
      const cause = classifyError(error, { node: 'primary' });
      this.#lastError = cause.code;
      const count = batch.length;
      if (count === 0 || (cause.isRetryable && !final)) {
        // No connection (nothing was taken), or a retryable failure: the rows wait for the next flush.
        this.#retried++;
        this.#queue.requeue(batch);
        report(this.#onError, cause, { source: `database.${this.name}`, rows: count, retry: true });
        return false;
      }
      this.#dropped.rejected += count;
      report(
        this.#onError,
        new DatabaseError(
          'ORG_DATABASE_ROWS_DROPPED',
          `${this.name}: ${count} row(s) rejected: ${cause.message}`,
          {
            cause,
            details: { writer: this.name, reason: 'rejected', count },
          },
        ),
        { source: `database.${this.name}` },
      );
      return true;
    } finally {
      this.#inFlightRows = 0;
    }
  }

  async #withConnection(work: (client: RawClient) => Promise<void>): Promise<void> {
    const client = this.#knex.client as {
      acquireConnection(): Promise<RawClient>;
      releaseConnection(conn: RawClient): Promise<unknown>;
    };
    const conn = await client.acquireConnection();
    try {
      await work(conn);
    } catch (error) {
      // A connection that failed mid-COPY may be in an unknown protocol state: the pool discards it.
      if (classifyError(error).code === 'ORG_DATABASE_CONNECTION') conn.__knex__disposed = error;
      throw error;
    } finally {
      await client.releaseConnection(conn);
    }
  }

  async #copy(conn: RawClient, rows: Row[]): Promise<void> {
    // A known encoder that cannot take these values, or a table with a type we cannot encode: text.
    const cached = this.#binary;
    if (cached === null || (cached !== undefined && !cached.accepts(rows))) {
      await this.#copyOn(conn, rows, null);
      this.#copies.text++;
      return;
    }
    // Binary data is only right for the column types it was encoded for. The types are read inside
    // the COPY's transaction after taking the lock COPY takes anyway (ROW EXCLUSIVE, which conflicts
    // with ALTER TABLE), so they cannot change between the check and the COPY. One extra round trip.
    const types = await this.#lockAndReadTypes(conn);
    const binary = types?.accepts(rows) ? types : null;
    try {
      await this.#copyOn(conn, rows, binary);
      await conn.query('COMMIT');
    } catch (error) {
      await Promise.resolve(conn.query('ROLLBACK')).catch(() => {});
      this.#binary = undefined; // read the types again next time
      if (binary === null || classifyError(error).isRetryable) throw error;
      // The server refused a binary COPY: the same rows as text decide whether they are rejected.
      await this.#copyOn(conn, rows, null);
      this.#copies.text++;
      return;
    }
    this.#copies[binary ? 'binary' : 'text']++;
  }

  async #lockAndReadTypes(conn: RawClient): Promise<BinaryCopyEncoder<Row> | null> {
    try {
      // A multi-statement query answers with one result per statement; the SELECT is the last.
      const results = (await conn.query(lockAndColumnTypesSql(quoteIdentifier(this.table)))) as {
        rows: { name: string; oid: number }[];
      }[];
      const { rows } = results[results.length - 1]!;
      const binary = BinaryCopyEncoder.create<Row>(this.columns, new Map(rows.map((r) => [r.name, r.oid])));
      this.#binary = binary;
      return binary;
    } catch (error) {
      await Promise.resolve(conn.query('ROLLBACK')).catch(() => {});
      throw error;
    }
  }

  /** One COPY of rows, in binary when an encoder is given, else in text. */
  async #copyOn(conn: RawClient, rows: Row[], binary: BinaryCopyEncoder<Row> | null): Promise<void> {
    const stream = conn.query(
      copyFrom(binary ? `${this.#copySql} (FORMAT binary)` : this.#copySql),
    ) as NodeJS.WritableStream;
    const { batchSize } = this;
    const encoder = this.#encoder;
    let start = 0;
    let trailer = binary !== null;
    // Encoded lazily, one batch (one Buffer, one CopyData message) at a time: with a highWaterMark
    // of 1 the next batch is encoded only when the previous one went to the socket, so the server
    // parses batch n while batch n+1 is encoded. (Readable.from() encoded up to 16 batches in one
    // synchronous burst before the server had any data, which serialised Node and the server.)
    const source = new Readable({
      objectMode: true,
      highWaterMark: 1,
      read() {
        if (start >= rows.length) {
          if (trailer) {
            trailer = false;
            this.push(BINARY_COPY_TRAILER);
          } else {
            this.push(null);
          }
          return;
        }
        const end = Math.min(start + batchSize, rows.length);
        let chunk: Buffer;
        try {
          chunk = binary ? binary.encode(rows, start, end, start === 0) : encoder.encode(rows, start, end);
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

  async #insert(conn: RawClient, rows: Row[]): Promise<void> {
    const chunks = Math.ceil(rows.length / this.#rowsPerStatement);
    // Several statements for one batch run in one transaction, so a retry never duplicates rows.
    if (chunks > 1) await conn.query('BEGIN');
    try {
      for (let start = 0; start < rows.length; start += this.#rowsPerStatement) {
        const chunk = rows.slice(start, start + this.#rowsPerStatement);
        const values: unknown[] = [];
        for (const row of chunk) for (const column of this.columns) values.push(row[column] ?? null);
        const text = this.#statement(chunk.length);
        if (chunk.length === this.#rowsPerStatement) {
          // A full chunk, the common size: a named statement, parsed and planned once per connection
          // (the server's parse of a VALUES list of thousands of parameters was ~40 % of its work per
          // row). Other sizes stay unnamed so a connection never collects one statement per size.
          await conn.query({ name: this.#statementName(text), text, values });
        } else {
          await conn.query(text, values);
        }
      }
      if (chunks > 1) await conn.query('COMMIT');
    } catch (error) {
      if (chunks > 1) await Promise.resolve(conn.query('ROLLBACK')).catch(() => {});
      throw error;
    }
  }

  #fullStatementName: string | null = null;

  #statementName(text: string): string {
    this.#fullStatementName ??= `org_bw_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    return this.#fullStatementName;
  }

  #statement(rows: number): string {
    let sql = this.#statements.get(rows);
    if (sql === undefined) {
      sql = insertStatement(this.table, this.columns, rows);
      // At most two sizes are common (full and last); keep the cache small regardless.
      if (this.#statements.size >= 8) this.#statements.clear();
      this.#statements.set(rows, sql);
    }
    return sql;
  }

  #reportDrop(reason: DropReason, count: number): void {
    report(
      this.#onError,
      new DatabaseError('ORG_DATABASE_ROWS_DROPPED', `${this.name}: ${count} row(s) dropped (${reason})`, {
        details: { writer: this.name, reason, count },
      }),
      { source: `database.${this.name}` },
    );
  }
}
