import {
  BufferedSink,
  type CloseContext,
  type ErrorReporter,
  Resource,
  report,
  type SendContext,
  type SendResult,
  type SinkItem,
  stderrReporter,
} from '@org/shared-lifecycle';
import type { Knex } from 'knex';
import { columnChecksFromCatalog, type RowChecks } from './column-checks.js';
import { columnTypesSql } from './copy-binary.js';
import { CopySender } from './copy-sender.js';
import { DatabaseError } from './errors.js';
import { InsertSender } from './insert-sender.js';
import { outcomeOf } from './send-outcome.js';
import { quoteIdentifier } from './sql.js';
import { type RawClient, WriteAttempt, withConnection } from './writer-connection.js';
import {
  type BatchWriterOptions,
  type ResolvedWriterOptions,
  resolveWriterOptions,
} from './writer-options.js';

export type { BatchWriterOptions } from './writer-options.js';

/** Why rows were not written: the buffer's reasons, refused by the server, left at the close deadline. */
export type WriterDropReason = 'overflow' | 'expired' | 'oversize' | 'rejected' | 'closed';

export interface BatchWriterStats {
  name: string;
  table: string;
  mode: 'copy' | 'insert';
  /** The buffer: rows waiting for a request (rows in flight are not in it). */
  queue: { size: number; bytes: number; maxItems: number; maxBytes: number; oldestAgeMs: number };
  /** Rows the server confirmed stored. */
  written: number;
  /** Requests that stored rows (COPY statements or INSERT batches). */
  batches: number;
  /** Rows put back for another try (a request failed as a whole, or its answer was lost). */
  retried: number;
  /** Requests sent. */
  flushes: number;
  /** COPY statements that succeeded, by format (COPY mode). */
  copies: { binary: number; text: number };
  /** Every row that will never be written, by reason. */
  dropped: Record<WriterDropReason, number>;
  /** Rows whose answer was lost and that could not be tried again before they had to go: maybe stored. */
  unconfirmed: number;
  /** Rows in requests that have not answered yet. */
  inFlight: number;
  /** Of the buffered rows, those whose earlier answer was lost (sent again; maybe stored already). */
  inDoubt: number;
  /** Rows accepted and not yet settled: buffered + in flight. What the writer still owes the table. */
  pending: number;
  requests: { total: number; failed: number; inFlight: number; peak: number };
  /** Requests allowed in flight now (widens after clean answers up to maxConcurrency, 1 after a failure). */
  window: number;
  /** Requests split to find refused rows. */
  splits: number;
  /** ms until the next try while pausing after a failure, else 0. */
  backoffMs: number;
  /** Code of the last failure, e.g. ORG_DATABASE_CONNECTION. */
  lastError: string | null;
  closed: boolean;
}

/** What the database hands a writer it creates. */
export interface WriterWiring {
  /** Called once when close() is done (the database forgets the writer). */
  onClosed?: () => void;
  /** False behind PgBouncer in transaction mode: INSERT mode uses no named prepared statements. */
  namedStatements?: boolean;
}

interface ColumnTypeRow {
  name: string;
  oid: number;
  typmod: number;
  not_null: boolean;
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

/** A value-free description of refused rows, for reports. */
function sampleOf(error: unknown): Record<string, unknown> {
  if (!(error instanceof DatabaseError)) return { message: String((error as Error)?.message ?? error) };
  const d = error.details ?? {};
  return {
    code: error.code,
    ...(error.sqlState ? { sqlState: error.sqlState } : {}),
    ...(d.row === undefined ? {} : { row: d.row }),
    ...(d.column === undefined ? {} : { column: d.column }),
    ...(d.constraint === undefined ? {} : { constraint: d.constraint }),
    message: error.message,
  };
}

/**
 * Accepts rows now and writes them later in batches (COPY or multi-row INSERT), on the lifecycle
 * package's BufferedSink: a bounded buffer with counted drops, a flush timer, a window of requests,
 * retries with backoff, in-doubt tracking, and a final flush that keeps retrying until close()'s
 * deadline. This class is the sender: one request is one COPY (or one INSERT batch) on one pooled
 * connection, and its failure is turned into what the sink needs to know — rows refused for their data
 * (the server names the row in COPY errors; otherwise the sink splits the batch to find it), try again
 * (with whether it may have committed), or rejected for good.
 */
export class BatchWriter<Row extends object> extends Resource {
  readonly name: string;
  readonly table: string;
  readonly columns: readonly (keyof Row & string)[];
  readonly mode: 'copy' | 'insert';
  readonly batchSize: number;
  readonly batchesPerCopy: number;
  readonly copyFormat: 'auto' | 'text';
  readonly flushIntervalMs: number;
  readonly closeTimeoutMs: number;
  readonly #knex: Knex;
  readonly #sink: BufferedSink<Row>;
  readonly #copy: CopySender<Row> | null;
  readonly #insert: InsertSender<Row> | null;
  readonly #onError: ErrorReporter;
  readonly #options: ResolvedWriterOptions<Row>;
  readonly #userOnRejected: BatchWriterOptions<Row>['onRejected'];
  readonly #wiring: WriterWiring;
  #batches = 0;
  #lastError: string | null = null;
  #checks: Promise<RowChecks<Row>> | null = null;

  constructor(knex: Knex, options: BatchWriterOptions<Row>, wiring: WriterWiring = {}) {
    const resolved = resolveWriterOptions(options);
    const onError = options.onError ?? stderrReporter;
    super(`database.${resolved.name}`, { closeTimeoutMs: resolved.closeTimeoutMs, onError });
    this.#options = resolved;
    this.#onError = onError;
    this.#wiring = wiring;
    this.#userOnRejected = options.onRejected;
    this.#knex = knex;
    this.name = resolved.name;
    this.table = resolved.table;
    this.columns = resolved.columns;
    this.mode = resolved.mode;
    this.batchSize = resolved.batchSize;
    this.batchesPerCopy = resolved.batchesPerCopy;
    this.copyFormat = resolved.copyFormat;
    this.flushIntervalMs = resolved.flushIntervalMs;
    this.closeTimeoutMs = resolved.closeTimeoutMs;
    this.#copy =
      resolved.mode === 'copy'
        ? new CopySender<Row>(resolved.table, resolved.columns, resolved.batchSize, resolved.copyFormat)
        : null;
    this.#insert =
      resolved.mode === 'insert'
        ? new InsertSender<Row>(
            resolved.table,
            resolved.columns,
            resolved.batchSize,
            wiring.namedStatements ?? true,
          )
        : null;
    const source = `database.${resolved.name}`;
    const sizeOf = resolved.sizeOf ?? estimateSize;
    this.#sink = new BufferedSink<Row>({
      name: source,
      send: (batch, ctx) => this.#send(batch, ctx),
      maxItems: resolved.maxItems,
      ...(resolved.maxBytes === undefined ? {} : { maxBytes: resolved.maxBytes, sizeOf }),
      ...(resolved.maxAgeMs === undefined ? {} : { maxAgeMs: resolved.maxAgeMs }),
      dropFraction: resolved.dropFraction,
      batchSize: resolved.mode === 'copy' ? resolved.batchSize * resolved.batchesPerCopy : resolved.batchSize,
      maxConcurrency: resolved.maxConcurrency,
      flushIntervalMs: resolved.flushIntervalMs,
      requestTimeoutMs: resolved.requestTimeoutMs,
      backoff: resolved.backoff,
      closeTimeoutMs: resolved.closeTimeoutMs,
      onDrop: (reason, values) => this.#reportDrop(reason, values.length),
      onRejected: (values, error) => this.#rejected(values, error),
      onRequestFailed: (error, info) => {
        report(this.#onError, error, { source, rows: info.items, inDoubt: info.inDoubt, retry: true });
      },
      onError,
    });
  }

  /**
   * Buffers a row. Returns false when it was not buffered (larger than maxBytes: counted as oversize).
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
    return this.#sink.push(row);
  }

  /** Sends what is buffered now (ignoring a running backoff once); resolves when it is settled. Never rejects. */
  flush(): Promise<void> {
    return this.#sink.flush();
  }

  /**
   * The column checks for this writer's columns as the server describes them (types, lengths, NOT
   * NULL), read once: `problems(row)` lists what PostgreSQL would refuse, so a service can answer 422
   * before it accepts a row.
   */
  columnChecks(): Promise<RowChecks<Row>> {
    this.#checks ??= this.#readChecks();
    this.#checks.catch(() => {
      this.#checks = null;
    });
    return this.#checks;
  }

  stats(): BatchWriterStats {
    const s = this.#sink.stats();
    return {
      name: this.name,
      table: this.table,
      mode: this.mode,
      queue: {
        size: s.buffered,
        bytes: s.bufferedBytes,
        maxItems: this.#options.maxItems,
        maxBytes: this.#options.maxBytes ?? Number.POSITIVE_INFINITY,
        oldestAgeMs: s.oldestAgeMs,
      },
      written: s.sent,
      batches: this.#batches,
      retried: s.retried,
      flushes: s.requests.total,
      copies: { ...(this.#copy?.copies ?? { binary: 0, text: 0 }) },
      dropped: { ...s.dropped },
      unconfirmed: s.unconfirmed,
      inFlight: s.inFlight,
      inDoubt: s.inDoubt,
      pending: s.buffered + s.inFlight,
      requests: { ...s.requests },
      window: s.window,
      splits: s.splits,
      backoffMs: s.backoffMs,
      lastError: this.#lastError,
      closed: this.closed,
    };
  }

  protected async onClose(ctx: CloseContext): Promise<void> {
    try {
      await this.#sink.close(ctx);
    } finally {
      this.#wiring.onClosed?.();
    }
  }

  async #send(batch: readonly SinkItem<Row>[], ctx: SendContext): Promise<SendResult> {
    const rows = batch.map((item) => item.value);
    const attempt = new WriteAttempt();
    try {
      await withConnection(this.#knex, ctx.signal, (conn: RawClient) =>
        this.#copy ? this.#copy.send(conn, rows, attempt) : this.#insert!.send(conn, rows, attempt),
      );
      this.#batches++;
      return { kind: 'stored' };
    } catch (error) {
      const result = outcomeOf(error, {
        attempt,
        rows: rows.length,
        copy: this.#copy !== null,
        reportValues: this.#options.reportValues,
        signal: ctx.signal,
      });
      if (result.kind !== 'stored' && result.kind !== 'items') {
        this.#lastError = (result.error as DatabaseError).code ?? 'ORG_DATABASE_QUERY';
      }
      return result;
    }
  }

  async #readChecks(): Promise<RowChecks<Row>> {
    const result = (await this.#knex.raw(columnTypesSql(quoteIdentifier(this.table)))) as {
      rows: ColumnTypeRow[];
    };
    return columnChecksFromCatalog<Row>(
      result.rows.map((r) => ({ name: r.name, oid: r.oid, typmod: r.typmod, notNull: r.not_null })),
      this.columns,
    );
  }

  #rejected(rows: readonly Row[], error: unknown): void {
    report(
      this.#onError,
      new DatabaseError(
        'ORG_DATABASE_ROWS_REJECTED',
        `${this.name}: ${rows.length} row(s) refused by the server and dropped`,
        {
          details: { writer: this.name, reason: 'rejected', count: rows.length, sample: sampleOf(error) },
        },
      ),
      { source: `database.${this.name}` },
    );
    const hook = this.#userOnRejected;
    if (hook) {
      try {
        hook(
          rows,
          error instanceof DatabaseError
            ? error
            : new DatabaseError('ORG_DATABASE_QUERY', String(error), { cause: error }),
        );
      } catch (hookError) {
        report(this.#onError, hookError, { source: `database.${this.name}`, stage: 'onRejected' });
      }
    }
  }

  #reportDrop(reason: string, count: number): void {
    const what =
      reason === 'unconfirmed'
        ? `${count} row(s) whose answer was lost could not be tried again: they may or may not be stored`
        : `${count} row(s) dropped (${reason})`;
    report(
      this.#onError,
      new DatabaseError('ORG_DATABASE_ROWS_DROPPED', `${this.name}: ${what}`, {
        details: { writer: this.name, reason, count },
      }),
      { source: `database.${this.name}` },
    );
  }
}
