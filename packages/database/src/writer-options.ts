import type { BackoffOptions, ErrorReporter } from '@org/shared-lifecycle';
import type { DatabaseError } from './errors.js';
import { check, invalidOption } from './options.js';

export interface BatchWriterOptions<Row> {
  /** Target table, optionally `schema.table`. */
  table: string;
  /** Columns written, in order; each row supplies a value (or null/undefined) for each. */
  columns: readonly (keyof Row & string)[];
  /** 'copy' (COPY … FROM STDIN, default) or 'insert' (multi-row INSERT under the 65 535-parameter limit). */
  mode?: 'copy' | 'insert';
  /** Rows per batch: one COPY data message, or one INSERT request. Default 1 000. */
  batchSize?: number;
  /**
   * COPY mode: one COPY statement (one request) streams up to this many batches, encoded one batch
   * at a time, so the server parses batch n while batch n+1 is encoded. 1 = one COPY per batch. Default 10.
   */
  batchesPerCopy?: number;
  /**
   * COPY mode: 'auto' (default) sends COPY's binary format when every column's type and every value of
   * a COPY have an exact binary form (see README), which spares the server its text parsing; else the
   * text format. 'text' always sends text.
   */
  copyFormat?: 'auto' | 'text';
  /** Longest time a row waits before its request goes out. Default 1 000 ms. */
  flushIntervalMs?: number;
  /**
   * Requests in flight at once, each on its own pooled connection. Default 1: rows commit in the
   * order written, and on the 2-core box the benchmark measures one COPY at a time is faster than two
   * (the server's backend, not Node, is the bottleneck). Raise it for a server with cores to spare.
   */
  maxConcurrency?: number;
  /** A request that has not answered after this is aborted (its connection cut) and tried again. Default 30 000 ms. */
  requestTimeoutMs?: number;
  /** Pause after a request that failed as a whole (no connection, …). Default 200 ms doubling to 5 s, jittered. */
  backoff?: BackoffOptions;
  /** Buffer cap in rows (rows in flight not counted). Default 10 000. */
  maxItems?: number;
  /** Buffer cap in bytes as measured by sizeOf. Default unlimited. */
  maxBytes?: number;
  /** Rows older than this are dropped instead of written. Default: never. */
  maxAgeMs?: number;
  /** When a cap is hit, this fraction of the oldest rows is dropped at once. Default 0.2. */
  dropFraction?: number;
  /** Size of a row in bytes, for maxBytes. Default: a rough estimate from the column values. */
  sizeOf?: (row: Row) => number;
  /** Deadline of the final flush in close() when none is given. Default 5 000 ms. */
  closeTimeoutMs?: number;
  /**
   * Rows PostgreSQL refused for their data (class 22 or 23, or a value the writer cannot encode) and that
   * were dropped: the place to dead-letter them. `error` names the SQLSTATE, column and row; its cause is
   * the server's error.
   */
  onRejected?: (rows: readonly Row[], error: DatabaseError) => void;
  /** Keep row values in reports of refused rows (the server quotes them in messages). Default false. */
  reportValues?: boolean;
  /** Names the writer in stats and error reports. */
  name?: string;
  onError?: ErrorReporter;
}

export interface ResolvedWriterOptions<Row> {
  name: string;
  table: string;
  columns: readonly (keyof Row & string)[];
  mode: 'copy' | 'insert';
  batchSize: number;
  batchesPerCopy: number;
  copyFormat: 'auto' | 'text';
  flushIntervalMs: number;
  maxConcurrency: number;
  requestTimeoutMs: number;
  closeTimeoutMs: number;
  maxItems: number;
  maxBytes: number | undefined;
  maxAgeMs: number | undefined;
  dropFraction: number;
  sizeOf: ((row: Row) => number) | undefined;
  backoff: BackoffOptions;
  reportValues: boolean;
}

let writerCount = 0;

/** Checks a writer's options (ORG_DATABASE_INVALID_OPTION naming the option) and fills in the defaults. */
export function resolveWriterOptions<Row>(options: BatchWriterOptions<Row>): ResolvedWriterOptions<Row> {
  if (options === null || typeof options !== 'object') {
    throw invalidOption('createBatchWriter() needs an options object', 'options');
  }
  const name = check.string('name', options.name, `batch-writer-${++writerCount}`);
  const option = (key: string) => `${name}.${key}`;
  const table = check.string(option('table'), options.table);
  if (
    !Array.isArray(options.columns) ||
    options.columns.length === 0 ||
    options.columns.some((c) => typeof c !== 'string' || c === '')
  ) {
    throw invalidOption(`${name}: columns must be a non-empty list of names`, option('columns'));
  }
  if (options.onRejected !== undefined) check.fn(option('onRejected'), options.onRejected);
  const backoff = options.backoff ?? {};
  if (backoff === null || typeof backoff !== 'object')
    throw invalidOption(`${name}: backoff must be an object`, option('backoff'));
  return {
    name,
    table,
    columns: [...options.columns],
    mode: check.oneOf(option('mode'), options.mode, ['copy', 'insert'], 'copy'),
    batchSize: check.number(option('batchSize'), options.batchSize, {
      default: 1_000,
      min: 1,
      integer: true,
    }),
    batchesPerCopy: check.number(option('batchesPerCopy'), options.batchesPerCopy, {
      default: 10,
      min: 1,
      integer: true,
    }),
    copyFormat: check.oneOf(option('copyFormat'), options.copyFormat, ['auto', 'text'], 'auto'),
    flushIntervalMs: check.number(option('flushIntervalMs'), options.flushIntervalMs, {
      default: 1_000,
      min: 1,
      max: 2 ** 31 - 1,
    }),
    maxConcurrency: check.number(option('maxConcurrency'), options.maxConcurrency, {
      default: 1,
      min: 1,
      max: 64,
      integer: true,
    }),
    requestTimeoutMs: check.number(option('requestTimeoutMs'), options.requestTimeoutMs, {
      default: 30_000,
      min: 1,
      max: 2 ** 31 - 1,
    }),
    closeTimeoutMs: check.number(option('closeTimeoutMs'), options.closeTimeoutMs, {
      default: 5_000,
      min: 0,
    }),
    maxItems: check.number(option('maxItems'), options.maxItems, { default: 10_000, min: 1, integer: true }),
    maxBytes:
      options.maxBytes === undefined
        ? undefined
        : check.number(option('maxBytes'), options.maxBytes, { min: 1 }),
    maxAgeMs:
      options.maxAgeMs === undefined
        ? undefined
        : check.number(option('maxAgeMs'), options.maxAgeMs, { min: 1 }),
    dropFraction: check.number(option('dropFraction'), options.dropFraction, {
      default: 0.2,
      min: 0.001,
      max: 1,
    }),
    sizeOf: options.sizeOf === undefined ? undefined : check.fn(option('sizeOf'), options.sizeOf),
    backoff: {
      initialMs: check.number(option('backoff.initialMs'), backoff.initialMs, { default: 200, min: 1 }),
      maxMs: check.number(option('backoff.maxMs'), backoff.maxMs, { default: 5_000, min: 1 }),
      ...(backoff.factor === undefined
        ? {}
        : { factor: check.number(option('backoff.factor'), backoff.factor, { min: 1 }) }),
      ...(backoff.jitter === undefined
        ? {}
        : { jitter: check.number(option('backoff.jitter'), backoff.jitter, { min: 0, max: 1 }) }),
    },
    reportValues: check.boolean(option('reportValues'), options.reportValues, false),
  };
}
