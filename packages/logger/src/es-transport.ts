import { randomBytes } from 'node:crypto';
import type { Client } from '@elastic/elasticsearch';
import {
  Backoff,
  type BackoffOptions,
  BoundedQueue,
  CloseOnce,
  type CloseOptions,
  checkNumber,
  type ErrorReporter,
  OwnedInterval,
  type QueueEntry,
  report,
  stderrReporter,
} from '@org/shared-lifecycle';
import TransportStream from 'winston-transport';
import {
  type EcsFormatOptions,
  ecsLine,
  type InfoLike,
  kEcsLine,
  MESSAGE,
  type ServiceInfo,
} from './ecs-format.js';
import { LoggerError, type LoggerErrorCode } from './errors.js';
import {
  type BufferedDoc,
  type BulkOp,
  bulkOperations,
  dataStreamName,
  isRetryableStatus,
  readBulkResponse,
} from './es-bulk.js';
import { DEFAULT_REDACT_KEYS } from './sanitize.js';

export interface ElasticsearchTransportOptions {
  /** Elasticsearch URL(s). Required unless `client` is given. */
  node?: string | string[];
  /** A client you own (it is not closed by close()). Default: one is created from node + clientOptions. */
  client?: Client;
  /** Extra options for the created client (auth, tls, headers…). maxRetries is always 0 and sniffing off. */
  clientOptions?: Omit<ClientOptions, 'node' | 'nodes' | 'maxRetries'>;
  /** Data stream `logs-<dataset>-<namespace>` written with `create`. Default dataset 'generic', namespace 'default'. */
  dataStream?: { dataset?: string; namespace?: string };
  /** Write to this named index (with `index` ops) instead of a data stream. */
  index?: string;
  /** Put an index template for the target at start (PUT _index_template). Default false. */
  indexTemplate?: boolean | { name?: string; body?: Record<string, unknown> };
  /** Send a stable `_id` per entry, so a re-sent entry is answered 409 instead of stored twice. Default true. */
  documentIds?: boolean;
  /** Buffer cap in entries. Default 1000. */
  maxBufferedEntries?: number;
  /** Buffer cap in UTF-8 bytes of the JSON lines. Default 4 MiB. */
  maxBufferedBytes?: number;
  /** An entry larger than this is refused (dropped.oversize). Default 256 KiB (createLogger truncates before this). */
  maxEntryBytes?: number;
  /** Entries older than this are dropped at flush (dropped.expired). Default 1 h. */
  maxEntryAgeMs?: number;
  /** Fraction of the oldest entries dropped at once when the buffer is full. Default 0.2. */
  dropFraction?: number;
  /** Entries per _bulk request. Default 100. */
  batchSize?: number;
  /** Bytes per _bulk request. Default 5 MiB. */
  maxBatchBytes?: number;
  /** _bulk requests one flush keeps in flight at once (a sliding window). Default 4. */
  maxConcurrentRequests?: number;
  /** Period of the (unref'd) flush timer. Default 1000 ms. */
  flushIntervalMs?: number;
  /** Processing budget of one flush. Default 5000 ms. */
  maxFlushMs?: number;
  /** Timeout of one _bulk request (also capped by what is left of the flush budget). Default 5000 ms. */
  requestTimeoutMs?: number;
  /** Default deadline of close(). Default 5000 ms. */
  closeTimeoutMs?: number;
  /** Backoff after a failed request. Default initial 500 ms, max 30 s, factor 2, jitter 0.5. */
  backoff?: BackoffOptions;
  /** Minimum level for this transport. Default: the logger's. */
  level?: string;
  /** The error channel. Default: one line on stderr. */
  onError?: ErrorReporter;
  /** Rate limit of repeated reports of the same code. Default 60 000 ms. */
  reportIntervalMs?: number;
  /** Service fields for entries that did not come through createLogger's format. */
  service?: ServiceInfo;
  /** Clock (tests). Default Date.now. */
  now?: () => number;
}

export interface ElasticsearchTransportStats {
  /** Entries waiting in the buffer. */
  buffered: number;
  /** Their size in bytes. */
  bufferedBytes: number;
  /** Entries in _bulk requests that have not answered yet. */
  inFlight: number;
  maxBuffered: number;
  maxBufferedBytes: number;
  /** Entries handed to the transport. logged = sent + buffered + inFlight + sum(dropped). */
  logged: number;
  /** Entries Elasticsearch confirmed. */
  sent: number;
  dropped: { overflow: number; expired: number; oversize: number; rejected: number; closed: number };
  /** Entries put back for another try (item-level 429/5xx and whole failed batches). */
  retries: number;
  /** _bulk requests made, and how many failed as a whole. */
  requests: number;
  failedRequests: number;
  /** False after a connection-level failure (refused, reset, timeout) until a request succeeds. */
  reachable: boolean;
  /** ms until the next attempt while backing off, else 0. */
  backoffMs: number;
  /** Duration of the last flush that sent something, ms; null before the first. */
  lastFlushMs: number | null;
  lastError: { code: string; message: string; at: number } | null;
  /** Age of the oldest buffered entry, ms. */
  oldestAgeMs: number;
  closed: boolean;
}

interface SendResult {
  requeue: QueueEntry<BufferedDoc>[];
  /** The request failed as a whole, or items were pushed back (429): back off before the next try. */
  backOff: boolean;
}

const MiB = 1024 * 1024;

/**
 * The official client, imported when the first transport needs it: the module and its transport
 * stack cost about 40 MB of RSS at import, which a service without ELASTICSEARCH_URL never pays.
 */
async function loadClient(options: ClientOptions): Promise<Client> {
  const { Client } = await import('@elastic/elasticsearch');
  return new Client(options);
}

/** The HTTP status of the client's ResponseError (read by shape: a client passed in may come from another copy of the module). */
function responseStatus(error: unknown): number | undefined {
  if (!(error instanceof Error) || error.name !== 'ResponseError') return undefined;
  const status = (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' ? status : undefined;
}

type ClientOptions = ConstructorParameters<typeof Client>[0];

/**
 * A winston transport that writes ECS JSON lines to Elasticsearch with _bulk, through a buffer capped
 * in entries, bytes and age. log() only enqueues; an unref'd timer (or a full batch) flushes.
 */
export class ElasticsearchTransport extends TransportStream implements AsyncDisposable {
  readonly target: string;
  readonly #op: BulkOp;
  /** Loaded on first use (see loadClient): a logger without Elasticsearch never loads the client. */
  readonly #client: Promise<Client>;
  readonly #ownsClient: boolean;
  readonly #queue: BoundedQueue<BufferedDoc>;
  readonly #timer: OwnedInterval;
  readonly #lifecycle: CloseOnce;
  readonly #abort = new AbortController();
  readonly #backoff: Backoff;
  readonly #onError: ErrorReporter;
  readonly #now: () => number;
  readonly #withIds: boolean;
  readonly #idPrefix: string;
  readonly #batchSize: number;
  readonly #maxBatchBytes: number;
  readonly #maxConcurrent: number;
  readonly #maxFlushMs: number;
  readonly #requestTimeoutMs: number;
  readonly #reportIntervalMs: number;
  readonly #fallbackFormat: EcsFormatOptions;
  readonly #lastReported = new Map<LoggerErrorCode, number>();
  #seq = 0;
  #logged = 0;
  #sent = 0;
  #inFlight = 0;
  #rejected = 0;
  #closedDrops = 0;
  #retries = 0;
  #requests = 0;
  #failedRequests = 0;
  #reachable = true;
  #nextAttemptAt = 0;
  #lastFlushMs: number | null = null;
  #lastError: ElasticsearchTransportStats['lastError'] = null;
  #flushQueued = false;
  #forceNext = false;
  #closeStarted = false;
  #closing: Promise<void> | null = null;
  #template: Promise<void> | null = null;

  constructor(options: ElasticsearchTransportOptions) {
    super(options.level === undefined ? {} : { level: options.level });
    if (options.client === undefined && (options.node === undefined || options.node.length === 0)) {
      throw new LoggerError(
        'ORG_LOGGER_INVALID_OPTION',
        'ElasticsearchTransport needs `node` (URL) or `client`',
        {
          details: { option: 'node' },
        },
      );
    }
    this.#onError = options.onError ?? stderrReporter;
    this.#now = options.now ?? Date.now;
    this.#withIds = options.documentIds ?? true;
    this.#idPrefix = `${randomBytes(6).toString('base64url')}-`;
    this.#batchSize = num('batchSize', options.batchSize ?? 100, 1, 10_000, true);
    this.#maxBatchBytes = num('maxBatchBytes', options.maxBatchBytes ?? 5 * MiB, 1);
    this.#maxConcurrent = num('maxConcurrentRequests', options.maxConcurrentRequests ?? 4, 1, 64, true);
    this.#maxFlushMs = num('maxFlushMs', options.maxFlushMs ?? 5000, 1);
    this.#requestTimeoutMs = num('requestTimeoutMs', options.requestTimeoutMs ?? 5000, 1);
    this.#reportIntervalMs = num('reportIntervalMs', options.reportIntervalMs ?? 60_000, 0);
    const maxBufferedBytes = num('maxBufferedBytes', options.maxBufferedBytes ?? 4 * MiB, 1);
    this.#queue = wrapOption(
      () =>
        new BoundedQueue<BufferedDoc>({
          maxItems: options.maxBufferedEntries ?? 1000,
          maxBytes: maxBufferedBytes,
          maxEntryBytes: Math.min(options.maxEntryBytes ?? 256 * 1024, maxBufferedBytes),
          maxAgeMs: options.maxEntryAgeMs ?? 60 * 60 * 1000,
          dropFraction: options.dropFraction ?? 0.2,
          now: this.#now,
          onDrop: (reason, count) => this.#onDrop(reason, count),
        }),
    );
    this.#backoff = wrapOption(() => new Backoff({ initialMs: 500, maxMs: 30_000, ...options.backoff }));
    if (options.index !== undefined) {
      if (typeof options.index !== 'string' || options.index === '') {
        throw new LoggerError('ORG_LOGGER_INVALID_OPTION', 'index must be a non-empty string', {
          details: { option: 'index', value: options.index },
        });
      }
      this.target = options.index;
      this.#op = 'index';
    } else {
      this.target = dataStreamName(
        options.dataStream?.dataset ?? 'generic',
        options.dataStream?.namespace ?? 'default',
      );
      this.#op = 'create';
    }
    this.#fallbackFormat = {
      service: options.service ?? { name: 'unknown' },
      redact: new Set(DEFAULT_REDACT_KEYS),
      maxDepth: 10,
      maxMembers: 1000,
      maxStringLength: 64 * 1024,
      maxEntryBytes: this.#queue.maxEntryBytes,
      now: this.#now,
    };
    this.#timer = wrapOption(
      () =>
        new OwnedInterval(() => this.#flush(this.#takeForce()), {
          intervalMs: options.flushIntervalMs ?? 1000,
          name: 'ElasticsearchTransport.flush',
          onError: this.#onError,
        }),
    );
    this.#lifecycle = new CloseOnce('ElasticsearchTransport', (ctx) => this.#shutdown(ctx.signal), {
      defaultTimeoutMs: num('closeTimeoutMs', options.closeTimeoutMs ?? 5000, 0),
      onError: this.#onError,
    });
    if (options.client !== undefined) {
      this.#client = Promise.resolve(options.client);
      this.#ownsClient = false;
    } else {
      this.#client = loadClient({
        ...options.clientOptions,
        node: options.node as string | string[],
        maxRetries: 0,
        sniffOnStart: false,
        sniffOnConnectionFault: false,
        sniffInterval: false,
      });
      // A failed load is reported by the request that awaits it, never as an unhandled rejection.
      this.#client.catch(() => undefined);
      this.#ownsClient = true;
    }
    if (options.indexTemplate) this.#template = this.#putTemplate(options.indexTemplate, options);
    this.#timer.start();
  }

  /** Enqueues the entry and calls back at once: the log call never waits on the network. */
  override log(info: InfoLike, callback: () => void): void {
    try {
      this.#enqueue(info);
    } catch (error) {
      // #enqueue only fails on a bug; the entry is counted as dropped rather than lost silently.
      this.#closedDrops++;
      this.#report('ORG_LOGGER_FORMAT_FAILED', 'could not buffer an entry', error);
    }
    callback();
  }

  #enqueue(info: InfoLike): void {
    this.#logged++;
    if (this.#closeStarted) {
      this.#closedDrops++;
      return;
    }
    const formatted = (info as Record<symbol, unknown>)[MESSAGE];
    const line =
      (info as Record<symbol, unknown>)[kEcsLine] === true && typeof formatted === 'string'
        ? formatted
        : ecsLine(info, this.#fallbackFormat);
    const doc: BufferedDoc = { line, id: this.#idPrefix + (this.#seq++).toString(36) };
    this.#queue.push(doc, Buffer.byteLength(line));
    if (!this.#flushQueued && this.#queue.size >= this.#batchSize && this.#now() >= this.#nextAttemptAt) {
      this.#flushQueued = true;
      void this.#timer.trigger();
    }
  }

  /**
   * Flushes now, ignoring a running backoff (one attempt), and resolves when that flush is done.
   * Never rejects; failures are in stats() and on the error channel.
   */
  flush(): Promise<void> {
    if (this.#closeStarted) return this.#closing ?? Promise.resolve();
    this.#forceNext = true;
    return this.#timer.trigger();
  }

  /** Resolves when the index template bootstrap (if any) has settled. */
  templateReady(): Promise<void> {
    return this.#template ?? Promise.resolve();
  }

  stats(): ElasticsearchTransportStats {
    const queue = this.#queue.stats();
    return {
      buffered: queue.size,
      bufferedBytes: queue.bytes,
      inFlight: this.#inFlight,
      maxBuffered: queue.maxItems,
      maxBufferedBytes: queue.maxBytes,
      logged: this.#logged,
      sent: this.#sent,
      dropped: {
        overflow: queue.dropped.overflow,
        expired: queue.dropped.expired,
        oversize: queue.dropped.oversize,
        rejected: this.#rejected,
        closed: this.#closedDrops,
      },
      retries: this.#retries,
      requests: this.#requests,
      failedRequests: this.#failedRequests,
      reachable: this.#reachable,
      backoffMs: Math.max(0, this.#nextAttemptAt - this.#now()),
      lastFlushMs: this.#lastFlushMs,
      lastError: this.#lastError === null ? null : { ...this.#lastError },
      oldestAgeMs: queue.oldestAgeMs,
      closed: this.#closeStarted,
    };
  }

  /**
   * Stops the timer, makes a final flush within the deadline (default closeTimeoutMs), closes the
   * client it created, and leaves no handles. Idempotent; never rejects: what could not be sent is
   * counted in dropped.closed and reported as ORG_LOGGER_ES_CLOSE_UNSENT.
   */
  override close(options: CloseOptions = {}): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closeStarted = true;
    let finished!: () => void;
    const done = new Promise<void>((resolve) => {
      finished = resolve;
    });
    this.#closeFinished = finished;
    this.#closing = this.#lifecycle
      .close(options)
      .catch((error: unknown) => {
        this.#abort.abort(error);
        this.#setLastError('ORG_LOGGER_ES_CLOSE_UNSENT', error);
      })
      .then(() => done);
    return this.#closing;
  }

  #closeFinished: (() => void) | null = null;

  override [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #shutdown(signal: AbortSignal): Promise<void> {
    const onAbort = () => this.#abort.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await this.#timer.stop();
      await this.#template?.catch(() => undefined);
      // Final flush: ignore the backoff, keep going while requests succeed.
      while (this.#queue.size > 0 && !this.#abort.signal.aborted) {
        const failedBefore = this.#failedRequests;
        const sentBefore = this.#sent;
        await this.#flush(true);
        if (this.#failedRequests !== failedBefore || this.#sent === sentBefore) break;
      }
      const unsent = this.#queue.drain().length;
      if (unsent > 0) {
        this.#closedDrops += unsent;
        this.#report(
          'ORG_LOGGER_ES_CLOSE_UNSENT',
          `${unsent} buffered log entries could not be delivered before close()`,
          this.#lastError?.message,
          { unsent },
          true,
        );
      }
      if (this.#ownsClient) await this.#client.then((client) => client.close()).catch(() => undefined);
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.#closeFinished?.();
    }
  }

  #takeForce(): boolean {
    const force = this.#forceNext;
    this.#forceNext = false;
    return force;
  }

  async #flush(force: boolean): Promise<void> {
    this.#flushQueued = false;
    this.#queue.dropExpired();
    if (this.#queue.size === 0) return;
    if (!force && this.#now() < this.#nextAttemptAt) return;
    const started = this.#now();
    const t0 = performance.now();
    // A sliding window of requests: as one answers, the next full batch goes out, so delivery keeps
    // up with a producer that yields rarely. A partial batch is sent only when nothing is in flight.
    const inFlight = new Map<number, Promise<{ key: number; result: SendResult }>>();
    let nextKey = 0;
    let backingOff = false;
    try {
      while (!this.#abort.signal.aborted) {
        const remaining = started + this.#maxFlushMs - this.#now();
        // While recovering from failures, probe with one request instead of a full window.
        const limit = this.#backoff.attempt > 0 ? 1 : this.#maxConcurrent;
        while (
          !backingOff &&
          remaining > 0 &&
          inFlight.size < limit &&
          this.#queue.size > 0 &&
          (inFlight.size === 0 || this.#queue.size >= this.#batchSize)
        ) {
          const batch = this.#queue.take(this.#batchSize, this.#maxBatchBytes);
          if (batch.length === 0) break;
          const key = nextKey++;
          inFlight.set(
            key,
            this.#send(batch, remaining).then((result) => ({ key, result })),
          );
        }
        if (inFlight.size === 0) break;
        const { key, result } = await Promise.race(inFlight.values());
        inFlight.delete(key);
        if (result.requeue.length > 0) {
          this.#retries += result.requeue.length;
          this.#queue.requeue(result.requeue);
        }
        if (result.backOff) {
          if (!backingOff) {
            backingOff = true;
            this.#nextAttemptAt = this.#now() + this.#backoff.next();
          }
        } else if (!backingOff) {
          this.#backoff.reset();
          this.#nextAttemptAt = 0;
        }
      }
    } finally {
      this.#lastFlushMs = performance.now() - t0;
    }
    if (
      !this.#closeStarted &&
      !this.#flushQueued &&
      this.#queue.size >= this.#batchSize &&
      this.#now() >= this.#nextAttemptAt
    ) {
      // More than a batch came in meanwhile: go again right after this run.
      this.#flushQueued = true;
      void this.#timer.trigger();
    }
  }

  async #send(batch: QueueEntry<BufferedDoc>[], remainingMs: number): Promise<SendResult> {
    this.#inFlight += batch.length;
    this.#requests++;
    const docs = batch.map((entry) => entry.value);
    // One controller per request: the client dispatches its own timeout 'abort' on the signal it is
    // given, and undici's built-in timeouts are too coarse for short deadlines; so we time requests here.
    const controller = new AbortController();
    const onClose = () => controller.abort(this.#abort.signal.reason);
    this.#abort.signal.addEventListener('abort', onClose, { once: true });
    const timeoutMs = Math.max(1, Math.min(this.#requestTimeoutMs, remainingMs));
    const timer = setTimeout(
      () =>
        controller.abort(
          new LoggerError('ORG_LOGGER_ES_REQUEST_FAILED', `_bulk timed out after ${timeoutMs} ms`),
        ),
      timeoutMs,
    );
    timer.unref();
    try {
      const response = await (await this.#client).bulk(
        {
          index: this.target,
          operations: bulkOperations(docs, this.#op, this.#withIds) as never,
          filter_path: 'errors,items.*.status,items.*.error.type,items.*.error.reason',
        },
        { maxRetries: 0, signal: controller.signal },
      );
      this.#reachable = true;
      const outcome = readBulkResponse(response, batch.length, this.#withIds);
      this.#sent += outcome.sent;
      if (outcome.rejected.length > 0) {
        this.#rejected += outcome.rejected.length;
        this.#report(
          'ORG_LOGGER_ES_ITEMS_REJECTED',
          `Elasticsearch rejected ${outcome.rejected.length} of ${batch.length} log entries (first: ${outcome.sample?.status} ${outcome.sample?.type ?? ''} ${outcome.sample?.reason ?? ''})`,
          undefined,
          { rejected: outcome.rejected.length, sample: outcome.sample, target: this.target },
        );
      }
      if (outcome.malformed) {
        this.#report('ORG_LOGGER_ES_BAD_RESPONSE', 'a _bulk response did not answer every item', undefined, {
          expected: batch.length,
        });
      }
      return { requeue: outcome.retry.map((i) => batch[i]!), backOff: outcome.retry.length > 0 };
    } catch (error) {
      const status = responseStatus(error);
      if (status !== undefined && !isRetryableStatus(status)) {
        this.#reachable = true;
        this.#rejected += batch.length;
        this.#report(
          'ORG_LOGGER_ES_BATCH_REJECTED',
          `Elasticsearch rejected a _bulk request of ${batch.length} entries with status ${status}`,
          error,
          { status, target: this.target },
        );
        return { requeue: [], backOff: true };
      }
      this.#failedRequests++;
      // A 429/5xx answer means the cluster is there but pushing back; no answer means unreachable.
      this.#reachable = status !== undefined;
      this.#report(
        'ORG_LOGGER_ES_REQUEST_FAILED',
        `_bulk request failed (${status ?? errorName(error)}); ${batch.length} entries put back, backing off`,
        error,
        { status, target: this.target },
      );
      return { requeue: batch, backOff: true };
    } finally {
      clearTimeout(timer);
      this.#abort.signal.removeEventListener('abort', onClose);
      this.#inFlight -= batch.length;
    }
  }

  async #putTemplate(
    option: true | { name?: string; body?: Record<string, unknown> },
    options: ElasticsearchTransportOptions,
  ): Promise<void> {
    const name = (option === true ? undefined : option.name) ?? `${this.target}-template`;
    const pattern =
      options.index !== undefined ? this.target : `${this.target.split('-').slice(0, 2).join('-')}-*`;
    const body = (option === true ? undefined : option.body) ?? {
      index_patterns: [pattern],
      ...(options.index === undefined ? { data_stream: {} } : {}),
      priority: 200,
      template: {
        mappings: {
          properties: {
            '@timestamp': { type: 'date' },
            message: { type: 'match_only_text' },
            'log.level': { type: 'keyword' },
            service: {
              properties: {
                name: { type: 'keyword' },
                version: { type: 'keyword' },
                environment: { type: 'keyword' },
              },
            },
            trace: { properties: { id: { type: 'keyword' } } },
            error: {
              properties: {
                type: { type: 'keyword' },
                message: { type: 'match_only_text' },
                stack_trace: { type: 'wildcard' },
              },
            },
          },
        },
      },
    };
    try {
      await (await this.#client).indices.putIndexTemplate({ name, ...body } as never, {
        maxRetries: 0,
        signal: this.#abort.signal,
      });
    } catch (error) {
      this.#report(
        'ORG_LOGGER_ES_TEMPLATE_FAILED',
        `could not put index template ${name}`,
        error,
        { name },
        true,
      );
    }
  }

  #onDrop(reason: string, count: number): void {
    this.#report(
      'ORG_LOGGER_ES_DROPPED',
      `dropped ${count} log entries (${reason}); see stats().dropped`,
      undefined,
      { reason, count, buffered: this.#queue.size },
    );
  }

  #setLastError(code: string, error: unknown): void {
    this.#lastError = {
      code,
      message: error instanceof Error ? error.message : String(error),
      at: this.#now(),
    };
  }

  /** Reports through the error channel, at most once per reportIntervalMs per code unless `always`. */
  #report(
    code: LoggerErrorCode,
    message: string,
    cause: unknown,
    details: Record<string, unknown> = {},
    always = false,
  ): void {
    const error = new LoggerError(code, message, { cause, details });
    this.#setLastError(code, cause instanceof Error ? `${message}: ${cause.message}` : message);
    const now = this.#now();
    const last = this.#lastReported.get(code);
    if (!always && last !== undefined && now - last < this.#reportIntervalMs) return;
    this.#lastReported.set(code, now);
    report(this.#onError, error, { source: 'ElasticsearchTransport', code, target: this.target });
  }
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

function num(
  name: string,
  value: unknown,
  min: number,
  max = Number.POSITIVE_INFINITY,
  integer = false,
): number {
  return wrapOption(() => checkNumber(name, value, { min, max, integer }));
}

/** Re-throws the lifecycle package's option errors as this package's ORG_LOGGER_INVALID_OPTION. */
function wrapOption<T>(make: () => T): T {
  try {
    return make();
  } catch (error) {
    const details = (error as { details?: Record<string, unknown> }).details;
    throw new LoggerError(
      'ORG_LOGGER_INVALID_OPTION',
      error instanceof Error ? error.message : String(error),
      {
        cause: error,
        ...(details === undefined ? {} : { details }),
      },
    );
  }
}
