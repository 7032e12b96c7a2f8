import { randomBytes } from 'node:crypto';
import type { Client } from '@elastic/elasticsearch';
import {
  aborted,
  BufferedSink,
  type CloseContext,
  type CloseOptions,
  createCloseContext,
  type ErrorReporter,
  report,
  stderrReporter,
} from '@org/shared-lifecycle';
import TransportStream from 'winston-transport';
import { ecsLine } from './ecs-format.js';
import { type InfoLike, kEcsLine, MESSAGE } from './ecs-info.js';
import type { EcsFormatOptions } from './ecs-options.js';
import { LoggerError } from './errors.js';
import type { BufferedDoc } from './es-bulk.js';
import { loadClient, safeCause } from './es-client.js';
import { TransportReporter } from './es-reporter.js';
import { BulkSender } from './es-sender.js';
import { indexTemplate, putIndexTemplate } from './es-template.js';
import {
  type ElasticsearchTransportOptions,
  type ResolvedTransportOptions,
  resolveTransportOptions,
  wrapOption,
} from './es-transport-options.js';
import { type ElasticsearchTransportStats, transportStats } from './es-transport-stats.js';
import { DEFAULT_REDACT_KEYS } from './sanitize.js';

export type { ElasticsearchTransportOptions } from './es-transport-options.js';
export type { ElasticsearchTransportStats } from './es-transport-stats.js';

const NAME = 'ElasticsearchTransport';

/**
 * A winston transport that writes ECS JSON lines to Elasticsearch with `_bulk`. The buffering, the
 * window of requests, the backoff, the retries, the in-doubt tracking and the final flush are the
 * lifecycle package's BufferedSink; this class turns log calls into documents with stable ids, and
 * its BulkSender turns each `_bulk` answer into what became of each entry.
 *
 * The winston contract: `log(info, callback?)` buffers the entry, emits 'logged' and calls back at
 * once (it never waits on the network and never throws); problems are reported on `onError` and
 * emitted as 'warn' (rate-limited per code); 'error' only when the client cannot be created at all.
 * winston's remove()/clear()/close() unpipe the transport, which closes it (final flush within
 * closeTimeoutMs).
 */
export class ElasticsearchTransport extends TransportStream implements AsyncDisposable {
  readonly target: string;
  readonly #options: ResolvedTransportOptions;
  /** Loaded on first use (see loadClient): a logger without Elasticsearch never loads the client. */
  readonly #client: Promise<Client>;
  readonly #ownsClient: boolean;
  readonly #sink: BufferedSink<BufferedDoc>;
  readonly #sender: BulkSender;
  readonly #reporter: TransportReporter;
  readonly #onError: ErrorReporter;
  readonly #fallbackFormat: EcsFormatOptions;
  readonly #idPrefix: string;
  /** Aborts the template request when close() runs out of time. */
  readonly #abort = new AbortController();
  readonly #template: Promise<void> | null = null;
  #seq = 0;
  /** Entries that could not be handed to the sink (not serializable): counted in dropped.rejected. */
  #unbuffered = 0;
  #closing: Promise<void> | null = null;
  /** close() started: entries are no longer formatted (the closed sink counts them dropped.closed). */
  #closed = false;

  constructor(options: ElasticsearchTransportOptions) {
    const resolved = resolveTransportOptions(options);
    super(options.level === undefined ? {} : { level: options.level });
    this.#options = resolved;
    this.target = resolved.target;
    this.#onError = options.onError ?? stderrReporter;
    const now = options.now ?? Date.now;
    this.#idPrefix = `${randomBytes(6).toString('base64url')}-`;
    this.#reporter = new TransportReporter({
      onError: this.#onError,
      intervalMs: resolved.reportIntervalMs,
      now,
      target: resolved.target,
      onReport: (error) => this.emit('warn', error),
    });
    if (options.client !== undefined) {
      this.#client = Promise.resolve(options.client);
      this.#ownsClient = false;
    } else {
      checkNodes(options.node as string | string[]);
      this.#client = loadClient({ ...options.clientOptions, node: options.node as string | string[] });
      this.#ownsClient = true;
      // A client that cannot be created is the one failure the transport cannot recover from.
      this.#client.catch((error: unknown) => this.#fatal(error));
    }
    this.#sender = new BulkSender({
      client: this.#client,
      target: resolved.target,
      op: resolved.op,
      withIds: resolved.withIds,
      reporter: this.#reporter,
    });
    this.#sink = wrapOption(
      () =>
        new BufferedSink<BufferedDoc>({
          name: NAME,
          send: this.#sender.send,
          maxItems: resolved.maxBufferedEntries,
          maxBytes: resolved.maxBufferedBytes,
          maxItemBytes: resolved.maxEntryBytes,
          maxAgeMs: resolved.maxEntryAgeMs,
          dropFraction: resolved.dropFraction,
          batchSize: resolved.batchSize,
          maxBatchBytes: resolved.maxBatchBytes,
          maxConcurrency: resolved.maxConcurrentRequests,
          flushIntervalMs: resolved.flushIntervalMs,
          requestTimeoutMs: resolved.requestTimeoutMs,
          closeTimeoutMs: resolved.closeTimeoutMs,
          resendInDoubt: resolved.withIds,
          ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
          onDrop: (reason, values) => this.#dropped(reason, values.length),
          onRejected: (values, error) => this.#rejected(values.length, error),
          onError: this.#onError,
          now,
        }),
    );
    this.#fallbackFormat = {
      service: options.service ?? { name: 'unknown' },
      redact: new Set(DEFAULT_REDACT_KEYS),
      maxDepth: 10,
      maxMembers: 1000,
      maxStringLength: 64 * 1024,
      maxEntryBytes: resolved.maxEntryBytes,
      now,
    };
    if (options.indexTemplate) {
      this.#template = putIndexTemplate(
        this.#client,
        indexTemplate(options.indexTemplate, resolved.target, resolved.op === 'create'),
        this.#abort.signal,
        this.#reporter,
      );
    }
  }

  /**
   * Buffers the entry, emits 'logged' when it was accepted, then calls back (the callback is
   * optional). Never waits on the network and never throws: an entry it cannot take is counted.
   */
  override log(info: InfoLike, callback?: () => void): void {
    let accepted = false;
    try {
      accepted = this.#enqueue(info);
    } catch (error) {
      // An entry that cannot be read at all (a hostile object handed to the transport directly): counted
      // in dropped.rejected, not lost silently.
      this.#unbuffered++;
      this.#reporter.report('ORG_LOGGER_FORMAT_FAILED', 'could not buffer a log entry', error);
    }
    if (accepted && this.listenerCount('logged') > 0) {
      try {
        this.emit('logged', info);
      } catch (error) {
        report(this.#onError, error, { source: NAME, stage: "'logged' listener" });
      }
    }
    callback?.();
  }

  #enqueue(info: InfoLike): boolean {
    if (this.#closed) return this.#sink.push({ line: '', id: '' }, 0);
    const line = preformatted(info) ?? ecsLine(info, this.#fallbackFormat);
    const doc: BufferedDoc = { line, id: this.#idPrefix + (this.#seq++).toString(36) };
    return this.#sink.push(doc, Buffer.byteLength(line));
  }

  /**
   * Sends what is buffered now, ignoring a running backoff once, and resolves when the buffer is empty
   * or a request failed (what failed stays buffered). Never rejects; failures are in stats() and on the
   * error channel. After close() it resolves with the close.
   */
  flush(): Promise<void> {
    if (this.#closing) return this.#closing;
    return this.#sink.flush();
  }

  /** Resolves when the index template bootstrap (if any) has settled. */
  templateReady(): Promise<void> {
    return this.#template ?? Promise.resolve();
  }

  stats(): ElasticsearchTransportStats {
    return transportStats(this.#sink.stats(), {
      unbuffered: this.#unbuffered,
      alreadyStored: this.#sender.alreadyStored,
      maxBuffered: this.#options.maxBufferedEntries,
      maxBufferedBytes: this.#options.maxBufferedBytes,
      reachable: this.#sender.reachable,
      lastRequestMs: this.#sender.lastRequestMs,
      lastError: this.#reporter.lastError,
      closed: this.#closed,
    });
  }

  /**
   * Stops accepting entries, sends what is buffered — retrying with backoff until the deadline
   * (default closeTimeoutMs) — then closes the client it created and leaves no handles. Idempotent;
   * never rejects: what could not be delivered is counted (dropped.closed, or unconfirmed when its
   * answer was lost) and reported as ORG_LOGGER_ES_CLOSE_UNSENT. winston calls it when the transport
   * is removed from a logger.
   */
  override close(options?: CloseOptions | CloseContext): Promise<void> {
    if (this.#closing === null) {
      this.#closed = true;
      this.#closing = this.#shutdown(options).catch((error: unknown) => {
        report(this.#onError, error, { source: NAME, stage: 'close' });
      });
    }
    return this.#closing;
  }

  override [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** The deadline is the sink's close (which reports a close that ran past it). */
  async #shutdown(options: CloseOptions | CloseContext | undefined): Promise<void> {
    const ctx = createCloseContext(options, { defaultTimeoutMs: this.#options.closeTimeoutMs });
    const onAbort = () => this.#abort.abort(ctx.signal.reason);
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    const before = this.#sink.stats();
    try {
      // The sink stops accepting at once (synchronously: a later entry is counted dropped.closed); a
      // template request still under way ends by the deadline too.
      const sinkClosed = this.#sink.close(ctx);
      await Promise.all([sinkClosed, this.#template && Promise.race([this.#template, aborted(ctx.signal)])]);
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
      ctx[Symbol.dispose]();
    }
    const after = this.#sink.stats();
    const unsent = after.dropped.closed - before.dropped.closed;
    const unconfirmed = after.unconfirmed - before.unconfirmed;
    if (unsent + unconfirmed > 0) {
      this.#reporter.report(
        'ORG_LOGGER_ES_CLOSE_UNSENT',
        `close() could not deliver ${unsent + unconfirmed} log entries before its deadline (${unsent} not sent, ${unconfirmed} sent without an answer)`,
        undefined,
        { unsent, unconfirmed, lastError: this.#reporter.lastError?.message },
        true,
      );
    }
    if (this.#ownsClient) await this.#client.then((client) => client.close()).catch(() => undefined);
  }

  #dropped(reason: 'overflow' | 'expired' | 'oversize' | 'closed' | 'unconfirmed', count: number): void {
    if (reason === 'closed') return; // reported once, by close()
    if (reason === 'unconfirmed') {
      this.#reporter.report(
        'ORG_LOGGER_ES_UNCONFIRMED',
        `${count} log entries whose answer was lost had to go before they could be sent again; they may be stored (see stats().unconfirmed)`,
        undefined,
        { count },
      );
      return;
    }
    this.#reporter.report(
      'ORG_LOGGER_ES_DROPPED',
      `dropped ${count} log entries (${reason}); see stats().dropped`,
      undefined,
      { reason, count, buffered: this.#sink.stats().buffered },
    );
  }

  #rejected(count: number, error: unknown): void {
    const known = error instanceof LoggerError ? error : undefined;
    this.#reporter.report(
      known?.code === 'ORG_LOGGER_ES_BATCH_REJECTED'
        ? 'ORG_LOGGER_ES_BATCH_REJECTED'
        : 'ORG_LOGGER_ES_ITEMS_REJECTED',
      `${known?.message ?? 'Elasticsearch rejected log entries'}: ${count} dropped (dropped.rejected)`,
      known?.cause,
      { ...known?.details, rejected: count },
    );
  }

  #fatal(error: unknown): void {
    this.#reporter.report(
      'ORG_LOGGER_ES_REQUEST_FAILED',
      'the Elasticsearch client could not be created; entries cannot be delivered',
      safeCause(error),
      {},
      true,
    );
    if (this.listenerCount('error') > 0) {
      this.emit(
        'error',
        new LoggerError('ORG_LOGGER_ES_REQUEST_FAILED', 'the Elasticsearch client could not be created', {
          cause: safeCause(error),
        }),
      );
    }
  }
}

/** The ECS line createLogger's format put on the entry, if it did (a hostile object: none). */
function preformatted(info: InfoLike): string | undefined {
  try {
    const fields = info as Record<symbol, unknown>;
    const formatted = fields[MESSAGE];
    return fields[kEcsLine] === true && typeof formatted === 'string' ? formatted : undefined;
  } catch {
    return undefined;
  }
}

/** The node URL(s) must parse: a typo is an option error at creation, not a failure on every request. */
function checkNodes(node: string | string[]): void {
  for (const url of Array.isArray(node) ? node : [node]) {
    const parsed = typeof url === 'string' && URL.canParse(url) ? new URL(url) : undefined;
    if (parsed === undefined || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
      throw new LoggerError('ORG_LOGGER_INVALID_OPTION', 'node must be an http(s) URL or a list of them', {
        details: { option: 'node' },
      });
    }
  }
}
