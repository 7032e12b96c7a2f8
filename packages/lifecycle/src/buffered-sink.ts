// BufferedSink: accepts items now and ships them later, in batches, through a sender, every item accounted for.
import { BoundedQueue } from './bounded-queue.js';
import type { CloseContext } from './close-context.js';
import { Resource } from './close-once.js';
import { LifecycleError } from './errors.js';
import { OwnedInterval, sleep } from './owned-timer.js';
import { type ErrorReporter, report, stderrReporter } from './report.js';
import type { Entry, Request, Slot } from './sink-entry.js';
import { SinkLosses } from './sink-losses.js';
import { closeTimeoutOf, flushIntervalOf, queueOptions, sinkSettings } from './sink-options.js';
import { sortItems } from './sink-result.js';
import { SplitQueue, splitRefused } from './sink-splits.js';
import type { BufferedSinkOptions, BufferedSinkStats, Sender, SendResult } from './sink-types.js';
import { SendWindow } from './sink-window.js';

/**
 * Accepts items now and ships them later, in batches, through a sender (log entries to Elasticsearch,
 * rows to PostgreSQL). Every item is in exactly one state — buffered, in flight, sent, unconfirmed, or
 * dropped by a named reason — and the counts add up: received = buffered + inFlight + sent +
 * unconfirmed + Σ dropped.
 *
 * - The buffer is a BoundedQueue (items, bytes, age); what it drops is counted by reason.
 * - A full batch goes at once; a partial one when the owned, unref'd flush timer comes round.
 * - Up to `window` requests are in flight; the window fills whenever the buffer holds a batch and
 *   adapts (AIMD): each clean answer widens it by one, an answer with pushed-back items halves it (once
 *   per round trip, without a pause; stored items in it reset the backoff), a request failing as a
 *   whole — or one whose items were all pushed back at a window of one — pauses sending with
 *   exponential backoff and probes with one request.
 * - Items put back go again as soon as the window allows, without waiting for the flush timer.
 * - Failed and pushed-back items go back to the front of the buffer; items whose answer was lost are
 *   marked in doubt and sent again (a sender with stable ids cannot duplicate them); an in-doubt item
 *   that has to go is counted `unconfirmed`, never as dropped.
 * - A batch refused for its data is split until the refused items are found; only they are dropped
 *   (`rejected`, handed to onRejected), the rest are stored.
 * - close() stops accepting, then keeps flushing and retrying (with backoff) until everything is sent or
 *   its deadline passes; then in-flight requests are aborted and what is left is counted.
 */
export class BufferedSink<T> extends Resource {
  readonly name: string;
  readonly batchSize: number;
  readonly maxBatchBytes: number;
  readonly maxConcurrency: number;
  readonly requestTimeoutMs: number;
  readonly isolateBelow: number;
  readonly resendInDoubt: boolean;
  readonly #send: Sender<T>;
  readonly #queue: BoundedQueue<Slot<T>>;
  readonly #splits = new SplitQueue<T>();
  readonly #requests = new Set<Request<T>>();
  readonly #window: SendWindow;
  readonly #timer: OwnedInterval;
  readonly #onError: ErrorReporter;
  readonly #options: BufferedSinkOptions<T>;
  readonly #losses: SinkLosses<T>;
  readonly #waiters: (() => void)[] = [];
  /** Buffered items (in the queue or the splits) whose earlier answer was lost. */
  #inDoubt = 0;
  #inFlightItems = 0;
  #received = 0;
  #sent = 0;
  #retried = 0;
  #splitCount = 0;
  #totalRequests = 0;
  #failedRequests = 0;
  #peakRequests = 0;
  #flushDue = false;
  #pumpQueued = false;
  #closing = false;
  #stopped = false;

  constructor(options: BufferedSinkOptions<T>) {
    const closeTimeoutMs = closeTimeoutOf(options);
    super(options.name, { closeTimeoutMs, ...(options.onError ? { onError: options.onError } : {}) });
    const settings = sinkSettings(options);
    this.name = settings.name;
    this.#send = settings.send;
    this.#options = options;
    this.#onError = options.onError ?? stderrReporter;
    this.batchSize = settings.batchSize;
    this.maxBatchBytes = settings.maxBatchBytes;
    this.maxConcurrency = settings.maxConcurrency;
    this.requestTimeoutMs = settings.requestTimeoutMs;
    this.isolateBelow = settings.isolateBelow;
    this.resendInDoubt = settings.resendInDoubt;
    this.#losses = new SinkLosses(this.name, options, this.#onError, (count) => {
      this.#inDoubt -= count;
    });
    this.#queue = new BoundedQueue<Slot<T>>(
      queueOptions(options, (reason, entries) => this.#losses.queueDrop(reason, entries)),
    );
    this.#window = new SendWindow(this.maxConcurrency, options.backoff, () => this.#pump());
    this.#timer = new OwnedInterval(() => this.#tick(), {
      intervalMs: flushIntervalOf(options),
      name: `${this.name}.flush`,
      onError: this.#onError,
    }).start();
  }

  /**
   * Buffers an item. `bytes` overrides sizeOf. Returns false when the item is not buffered: larger than
   * maxItemBytes (dropped.oversize) or offered after close() started (dropped.closed). Never throws.
   */
  push(value: T, bytes?: number): boolean {
    this.#received++;
    if (this.#closing) {
      this.#losses.closed(value);
      return false;
    }
    const slot: Slot<T> = { value, inDoubt: false, attempts: 0 };
    if (!(bytes === undefined ? this.#queue.push(slot) : this.#queue.push(slot, bytes))) return false;
    if (
      !this.#pumpQueued &&
      this.#queue.size >= this.batchSize &&
      this.#requests.size < this.#window.size &&
      performance.now() >= this.#window.pauseUntil
    ) {
      this.#pumpQueued = true;
      queueMicrotask(() => this.#pump());
    }
    return true;
  }

  /**
   * Sends everything buffered now, ignoring a running backoff once, and resolves when the buffer is
   * empty or a request failed (what failed stays buffered). Never rejects.
   */
  async flush(): Promise<void> {
    if (this.#closing) return;
    this.#window.resume();
    for (;;) {
      this.#flushDue = true;
      this.#pump();
      if (this.#requests.size === 0) return;
      await this.#nextSettle();
      if (this.#requests.size === 0 && performance.now() < this.#window.pauseUntil) return;
    }
  }

  stats(): BufferedSinkStats {
    const queue = this.#queue.stats();
    return {
      received: this.#received,
      buffered: queue.size + this.#splits.items,
      bufferedBytes: queue.bytes + this.#splits.bytes,
      inDoubt: this.#inDoubt,
      inFlight: this.#inFlightItems,
      sent: this.#sent,
      unconfirmed: this.#losses.unconfirmed,
      dropped: { ...this.#losses.dropped },
      retried: this.#retried,
      splits: this.#splitCount,
      requests: {
        total: this.#totalRequests,
        failed: this.#failedRequests,
        inFlight: this.#requests.size,
        peak: this.#peakRequests,
      },
      window: this.#window.size,
      maxConcurrency: this.maxConcurrency,
      backoffMs: Math.max(0, Math.round(this.#window.pauseUntil - performance.now())),
      oldestAgeMs: queue.oldestAgeMs,
      closed: this.closed,
    };
  }

  protected async onClose(ctx: CloseContext): Promise<void> {
    this.#closing = true;
    await this.#timer.stop();
    // The final flush starts at once and retries at its own pace, whatever the backoff had reached.
    this.#window.resetBackoff();
    this.#window.resume();
    const cut = () => this.#cutOff(ctx.signal.reason);
    ctx.signal.addEventListener('abort', cut, { once: true });
    try {
      while (!ctx.signal.aborted) {
        this.#flushDue = true;
        this.#pump();
        if (this.#requests.size > 0) {
          await this.#nextSettle();
        } else if (this.#bufferedItems() === 0) {
          break;
        } else {
          // Paused after a failure: wait out the backoff, within the deadline, and try again.
          await sleep(Math.max(0, this.#window.pauseUntil - performance.now()), ctx.signal, {
            ref: true,
          }).catch(() => {});
        }
      }
      if (ctx.signal.aborted) cut();
      // Aborted requests settle soon (a sender honours its signal); their items are then counted below.
      while (this.#requests.size > 0) await this.#nextSettle();
    } finally {
      ctx.signal.removeEventListener('abort', cut);
      this.#stopped = true;
      this.#window.stop();
    }
    const left = [...this.#queue.drain()];
    left.push(...this.#splits.drain());
    this.#losses.lose('closed', left);
  }

  #tick(): void {
    if (this.#bufferedItems() === 0) return;
    this.#flushDue = true;
    this.#pump();
  }

  #bufferedItems(): number {
    return this.#queue.size + this.#splits.items;
  }

  /** Dispatches batches while the window has room (and the buffer a full batch, or a flush is due). */
  #pump(): void {
    this.#pumpQueued = false;
    if (this.#stopped) return;
    if (performance.now() < this.#window.pauseUntil) {
      this.#window.armWake();
      return;
    }
    while (this.#requests.size < this.#window.size) {
      let entries = this.#splits.popFront();
      let split = false;
      if (entries) {
        split = true;
      } else {
        const size = this.#queue.size;
        const full = size >= this.batchSize || this.#queue.bytes >= this.maxBatchBytes;
        if (size === 0 || (!full && !this.#flushDue && !this.#closing)) break;
        entries = this.#queue.take(this.batchSize, this.maxBatchBytes);
        if (entries.length === 0) break;
      }
      for (const entry of entries) if (entry.value.inDoubt) this.#inDoubt--;
      this.#dispatch(entries, split);
    }
    if (this.#bufferedItems() === 0) this.#flushDue = false;
  }

  #dispatch(entries: Entry<T>[], split: boolean): void {
    const controller = new AbortController();
    const timeoutMs = this.requestTimeoutMs;
    const timer = setTimeout(
      () =>
        controller.abort(
          new LifecycleError(
            'ORG_LIFECYCLE_SEND_TIMEOUT',
            `${this.name}: request timed out after ${timeoutMs} ms`,
            {
              details: { timeoutMs },
            },
          ),
        ),
      timeoutMs,
    );
    timer.unref();
    const request: Request<T> = {
      entries,
      controller,
      timer,
      split,
      seq: this.#totalRequests,
      settled: false,
    };
    this.#requests.add(request);
    this.#inFlightItems += entries.length;
    this.#totalRequests++;
    this.#peakRequests = Math.max(this.#peakRequests, this.#requests.size);
    const items = entries.map((entry) => entry.value);
    let sending: Promise<SendResult>;
    try {
      sending = this.#send(items, { signal: controller.signal, timeoutMs, final: this.#closing });
    } catch (error) {
      sending = Promise.reject(error);
    }
    Promise.resolve(sending).then(
      (result) => this.#settle(request, result),
      (error: unknown) => {
        // A sender must answer with a SendResult; a throw is a bug there. Its items may have been sent.
        report(this.#onError, error, { source: this.name, stage: 'send' });
        this.#settle(request, { kind: 'failed', error, inDoubt: true });
      },
    );
  }

  #settle(request: Request<T>, result: SendResult): void {
    if (request.settled) return;
    request.settled = true;
    clearTimeout(request.timer);
    this.#requests.delete(request);
    const { entries } = request;
    this.#inFlightItems -= entries.length;
    for (const entry of entries) entry.value.attempts++;
    try {
      this.#apply(request, result);
    } catch (error) {
      // A malformed result (bad indexes): keep the items rather than lose them.
      report(this.#onError, error, { source: this.name, stage: 'result' });
      this.#putBack(request, entries);
    }
    for (const wake of this.#waiters.splice(0)) wake();
    this.#pump();
  }

  #apply(request: Request<T>, result: SendResult): void {
    const { entries } = request;
    switch (result.kind) {
      case 'stored':
        this.#sent += entries.length;
        this.#window.succeeded();
        return;
      case 'items': {
        const { back, refused, lost, stored, retried } = sortItems(entries, result, this.resendInDoubt);
        this.#sent += stored;
        if (refused.length > 0) this.#losses.reject(refused, result.error);
        if (retried === entries.length && this.#window.size === 1) this.#window.failed();
        else if (retried > 0)
          this.#window.pushedBack(request.seq, retried < entries.length, this.#totalRequests);
        else this.#window.succeeded();
        this.#putBack(request, back);
        this.#losses.unconfirm(lost);
        return;
      }
      case 'failed':
        this.#failedRequests++;
        if (result.inDoubt) for (const entry of entries) entry.value.inDoubt = true;
        this.#window.failed();
        this.#losses.observe(() =>
          this.#options.onRequestFailed?.(result.error, {
            items: entries.length,
            inDoubt: result.inDoubt,
            attempt: this.#window.attempt,
          }),
        );
        if (result.inDoubt && !this.resendInDoubt) this.#losses.unconfirm(entries);
        else this.#putBack(request, entries);
        return;
      case 'refused':
        this.#isolate(entries, result);
        return;
      case 'rejected':
        this.#losses.reject(entries, result.error);
        return;
      default:
        throw new LifecycleError('ORG_LIFECYCLE_TASK_FAILED', `${this.name}: unknown send result`, {
          details: { kind: (result as { kind?: unknown }).kind },
        });
    }
  }

  /** A batch refused for its data: drop the item the sender names, or split the batch to find it. */
  #isolate(entries: Entry<T>[], result: { error: unknown; index?: number }): void {
    const { rejected, again, split } = splitRefused(entries, result.index, this.isolateBelow);
    if (rejected.length > 0) this.#losses.reject(rejected, result.error);
    if (split) this.#splitCount++;
    this.#pushSplits(again);
  }

  /** Puts batches at the front of the splits, in order. */
  #pushSplits(batches: Entry<T>[][]): void {
    for (let i = batches.length - 1; i >= 0; i--) {
      const batch = batches[i]!;
      this.#splits.pushFront(batch);
      for (const entry of batch) if (entry.value.inDoubt) this.#inDoubt++;
    }
  }

  #putBack(request: Request<T>, entries: Entry<T>[]): void {
    if (entries.length === 0) return;
    this.#retried += entries.length;
    // They have waited for a batch once already: they go again as soon as the window (or the pause)
    // allows, not at the next flush tick.
    this.#flushDue = true;
    if (request.split) {
      this.#pushSplits([entries]);
      return;
    }
    // Counted as buffered first: what the queue has no room for comes back through SinkLosses.lose().
    for (const entry of entries) if (entry.value.inDoubt) this.#inDoubt++;
    this.#queue.requeue(entries);
  }

  /** The close deadline passed (or destroy()): no new requests, and the ones in flight are aborted. */
  #cutOff(reason: unknown): void {
    this.#stopped = true;
    this.#window.stop();
    for (const request of this.#requests) request.controller.abort(reason);
  }

  #nextSettle(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}
