import { Backoff } from './backoff.js';
import { BoundedQueue, type DropReason, type QueueEntry } from './bounded-queue.js';
import type { CloseContext } from './close-context.js';
import { Resource } from './close-once.js';
import { Deque } from './deque.js';
import { LifecycleError } from './errors.js';
import { optionChecks } from './options.js';
import { OwnedInterval, sleep } from './owned-timer.js';
import { type ErrorReporter, report, stderrReporter } from './report.js';
import type {
  BufferedSinkOptions,
  BufferedSinkStats,
  Sender,
  SendResult,
  SinkDropReason,
  SinkItem,
} from './sink-types.js';

/** An item's state inside the sink; the sender sees it as a read-only SinkItem. */
interface Slot<T> extends SinkItem<T> {
  readonly value: T;
  inDoubt: boolean;
  attempts: number;
}

type Entry<T> = QueueEntry<Slot<T>>;

interface Request<T> {
  readonly entries: Entry<T>[];
  readonly controller: AbortController;
  readonly timer: NodeJS.Timeout;
  /** The batch was part of a split: if it fails it goes back to the splits, not into the buffer. */
  readonly split: boolean;
  /** Requests dispatched before this one (orders answers against the last window decrease). */
  readonly seq: number;
  settled: boolean;
}

const check = optionChecks(
  (message, details) => new LifecycleError('ORG_LIFECYCLE_INVALID_OPTION', message, { details }),
);

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
  readonly #splits = new Deque<Entry<T>[]>();
  readonly #requests = new Set<Request<T>>();
  readonly #backoff: Backoff;
  readonly #timer: OwnedInterval;
  readonly #onError: ErrorReporter;
  readonly #options: BufferedSinkOptions<T>;
  readonly #dropped: Record<SinkDropReason, number> = {
    overflow: 0,
    expired: 0,
    oversize: 0,
    rejected: 0,
    closed: 0,
  };
  readonly #waiters: (() => void)[] = [];
  #splitItems = 0;
  #splitBytes = 0;
  /** Buffered items (in the queue or the splits) whose earlier answer was lost. */
  #inDoubt = 0;
  #inFlightItems = 0;
  #received = 0;
  #sent = 0;
  #unconfirmed = 0;
  #retried = 0;
  #splitCount = 0;
  #totalRequests = 0;
  #failedRequests = 0;
  #peakRequests = 0;
  #window: number;
  /** Requests dispatched before the last window decrease: their answers do not decrease it again. */
  #decreasedAt = 0;
  #pauseUntil = 0;
  #wake: NodeJS.Timeout | null = null;
  #flushDue = false;
  #pumpQueued = false;
  #closing = false;
  #stopped = false;

  constructor(options: BufferedSinkOptions<T>) {
    const closeTimeoutMs = check.number('closeTimeoutMs', options.closeTimeoutMs, { default: 5000, min: 0 });
    super(options.name, { closeTimeoutMs, ...(options.onError ? { onError: options.onError } : {}) });
    this.name = check.string('name', options.name);
    this.#send = check.fn('send', options.send);
    this.#options = options;
    this.#onError = options.onError ?? stderrReporter;
    this.batchSize = check.number('batchSize', options.batchSize, { min: 1, integer: true });
    this.maxBatchBytes = check.number('maxBatchBytes', options.maxBatchBytes, {
      default: Number.POSITIVE_INFINITY,
      min: 1,
    });
    this.maxConcurrency = check.number('maxConcurrency', options.maxConcurrency, {
      default: 4,
      min: 1,
      max: 1024,
      integer: true,
    });
    this.requestTimeoutMs = check.number('requestTimeoutMs', options.requestTimeoutMs, {
      default: 30_000,
      min: 1,
      max: 2 ** 31 - 1,
    });
    this.isolateBelow = check.number('isolateBelow', options.isolateBelow, {
      default: 4,
      min: 1,
      integer: true,
    });
    this.resendInDoubt = check.boolean('resendInDoubt', options.resendInDoubt, true);
    this.#window = this.maxConcurrency;
    const sizeOf = options.sizeOf;
    this.#queue = new BoundedQueue<Slot<T>>({
      maxItems: options.maxItems,
      ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
      ...(options.maxItemBytes === undefined ? {} : { maxEntryBytes: options.maxItemBytes }),
      ...(options.maxAgeMs === undefined ? {} : { maxAgeMs: options.maxAgeMs }),
      ...(options.dropFraction === undefined ? {} : { dropFraction: options.dropFraction }),
      ...(sizeOf ? { sizeOf: (slot: Slot<T>) => sizeOf(slot.value) } : {}),
      ...(options.now ? { now: options.now } : {}),
      onDrop: (reason, _count, entries) => this.#onQueueDrop(reason, entries),
    });
    this.#backoff = new Backoff({ initialMs: 500, maxMs: 30_000, ...options.backoff });
    this.#timer = new OwnedInterval(() => this.#tick(), {
      intervalMs: check.number('flushIntervalMs', options.flushIntervalMs, {
        default: 1000,
        min: 1,
        max: 2 ** 31 - 1,
      }),
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
      this.#dropped.closed++;
      this.#observe(() => this.#options.onDrop?.('closed', [value]));
      return false;
    }
    const slot: Slot<T> = { value, inDoubt: false, attempts: 0 };
    if (!(bytes === undefined ? this.#queue.push(slot) : this.#queue.push(slot, bytes))) return false;
    if (
      !this.#pumpQueued &&
      this.#queue.size >= this.batchSize &&
      this.#requests.size < this.#window &&
      performance.now() >= this.#pauseUntil
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
    this.#resume();
    for (;;) {
      this.#flushDue = true;
      this.#pump();
      if (this.#requests.size === 0) return;
      await this.#nextSettle();
      if (this.#requests.size === 0 && performance.now() < this.#pauseUntil) return;
    }
  }

  stats(): BufferedSinkStats {
    const queue = this.#queue.stats();
    return {
      received: this.#received,
      buffered: queue.size + this.#splitItems,
      bufferedBytes: queue.bytes + this.#splitBytes,
      inDoubt: this.#inDoubt,
      inFlight: this.#inFlightItems,
      sent: this.#sent,
      unconfirmed: this.#unconfirmed,
      dropped: { ...this.#dropped },
      retried: this.#retried,
      splits: this.#splitCount,
      requests: {
        total: this.#totalRequests,
        failed: this.#failedRequests,
        inFlight: this.#requests.size,
        peak: this.#peakRequests,
      },
      window: this.#window,
      maxConcurrency: this.maxConcurrency,
      backoffMs: Math.max(0, Math.round(this.#pauseUntil - performance.now())),
      oldestAgeMs: queue.oldestAgeMs,
      closed: this.closed,
    };
  }

  protected async onClose(ctx: CloseContext): Promise<void> {
    this.#closing = true;
    await this.#timer.stop();
    // The final flush starts at once and retries at its own pace, whatever the backoff had reached.
    this.#backoff.reset();
    this.#resume();
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
          await sleep(Math.max(0, this.#pauseUntil - performance.now()), ctx.signal, { ref: true }).catch(
            () => {},
          );
        }
      }
      if (ctx.signal.aborted) cut();
      // Aborted requests settle soon (a sender honours its signal); their items are then counted below.
      while (this.#requests.size > 0) await this.#nextSettle();
    } finally {
      ctx.signal.removeEventListener('abort', cut);
      this.#stopped = true;
      this.#clearWake();
    }
    const left = [...this.#queue.drain()];
    for (let batch = this.#splits.popFront(); batch; batch = this.#splits.popFront()) left.push(...batch);
    this.#splitItems = 0;
    this.#splitBytes = 0;
    this.#lose('closed', left);
  }

  #tick(): void {
    if (this.#bufferedItems() === 0) return;
    this.#flushDue = true;
    this.#pump();
  }

  #bufferedItems(): number {
    return this.#queue.size + this.#splitItems;
  }

  /** Dispatches batches while the window has room (and the buffer a full batch, or a flush is due). */
  #pump(): void {
    this.#pumpQueued = false;
    if (this.#stopped) return;
    if (performance.now() < this.#pauseUntil) {
      this.#armWake();
      return;
    }
    while (this.#requests.size < this.#window) {
      let entries = this.#splits.popFront();
      let split = false;
      if (entries) {
        split = true;
        this.#splitItems -= entries.length;
        for (const entry of entries) this.#splitBytes -= entry.bytes;
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
        this.#succeeded();
        return;
      case 'items': {
        const retry = indexSet(result.retry, entries.length);
        const unknown = indexSet(result.unknown, entries.length);
        const rejected = indexSet(result.rejected, entries.length);
        const back: Entry<T>[] = [];
        const refused: Entry<T>[] = [];
        const lost: Entry<T>[] = [];
        for (let i = 0; i < entries.length; i++) {
          const entry = entries[i]!;
          if (rejected.has(i)) refused.push(entry);
          else if (unknown.has(i)) {
            entry.value.inDoubt = true;
            (this.resendInDoubt ? back : lost).push(entry);
          } else if (retry.has(i)) back.push(entry);
          else this.#sent++;
        }
        if (refused.length > 0) this.#reject(refused, result.error);
        if (retry.size === entries.length && this.#window === 1) this.#failed();
        else if (retry.size > 0) this.#pushedBack(request, retry.size < entries.length);
        else this.#succeeded();
        this.#putBack(request, back);
        this.#unconfirm(lost);
        return;
      }
      case 'failed':
        this.#failedRequests++;
        if (result.inDoubt) for (const entry of entries) entry.value.inDoubt = true;
        this.#failed();
        this.#observe(() =>
          this.#options.onRequestFailed?.(result.error, {
            items: entries.length,
            inDoubt: result.inDoubt,
            attempt: this.#backoff.attempt,
          }),
        );
        if (result.inDoubt && !this.resendInDoubt) this.#unconfirm(entries);
        else this.#putBack(request, entries);
        return;
      case 'refused':
        this.#isolate(entries, result);
        return;
      case 'rejected':
        this.#reject(entries, result.error);
        return;
      default:
        throw new LifecycleError('ORG_LIFECYCLE_TASK_FAILED', `${this.name}: unknown send result`, {
          details: { kind: (result as { kind?: unknown }).kind },
        });
    }
  }

  /** A batch refused for its data: drop the item the sender names, or split the batch to find it. */
  #isolate(entries: Entry<T>[], result: { error: unknown; index?: number }): void {
    const index = result.index;
    if (index !== undefined && Number.isInteger(index) && index >= 0 && index < entries.length) {
      this.#reject([entries[index]!], result.error);
      // What came before the refused item went through unrefused: it goes again on its own, so a later
      // refusal among the items after it does not send it a third time.
      this.#pushSplits([entries.slice(0, index), entries.slice(index + 1)].filter((part) => part.length > 0));
      return;
    }
    if (entries.length === 1) {
      this.#reject(entries, result.error);
      return;
    }
    this.#splitCount++;
    if (entries.length <= this.isolateBelow) {
      this.#pushSplits(entries.map((entry) => [entry]));
    } else {
      const half = Math.ceil(entries.length / 2);
      this.#pushSplits([entries.slice(0, half), entries.slice(half)]);
    }
  }

  /** Puts batches at the front of the splits, in order. */
  #pushSplits(batches: Entry<T>[][]): void {
    for (let i = batches.length - 1; i >= 0; i--) {
      const batch = batches[i]!;
      this.#splits.pushFront(batch);
      this.#splitItems += batch.length;
      for (const entry of batch) {
        this.#splitBytes += entry.bytes;
        if (entry.value.inDoubt) this.#inDoubt++;
      }
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
    // Counted as buffered first: what the queue has no room for comes back through #lose().
    for (const entry of entries) if (entry.value.inDoubt) this.#inDoubt++;
    this.#queue.requeue(entries);
  }

  #reject(entries: readonly Entry<T>[], error: unknown): void {
    this.#dropped.rejected += entries.length;
    const values = entries.map((entry) => entry.value.value);
    this.#observe(() => this.#options.onRejected?.(values, error));
  }

  #succeeded(): void {
    this.#backoff.reset();
    this.#pauseUntil = 0;
    this.#window = Math.min(this.maxConcurrency, this.#window + 1);
  }

  /**
   * Items were pushed back (an item-level 429): the server is there and busy. The window halves, once
   * per round trip (answers to requests sent before the last decrease do not halve it again), without
   * a pause; only when every item was pushed back with the window already at one request does the
   * sink pause as after a failed request. `progress`: other items were stored, which resets the
   * backoff of failed requests.
   */
  #pushedBack(request: Request<T>, progress: boolean): void {
    if (progress) this.#backoff.reset();
    if (request.seq < this.#decreasedAt) return;
    this.#window = Math.max(1, Math.floor(this.#window / 2));
    this.#decreasedAt = this.#totalRequests;
  }

  #failed(): void {
    this.#pauseUntil = performance.now() + this.#backoff.next();
    this.#window = 1;
    this.#armWake();
  }

  #resume(): void {
    this.#pauseUntil = 0;
    this.#clearWake();
  }

  #armWake(): void {
    if (this.#wake !== null || this.#stopped) return;
    const ms = this.#pauseUntil - performance.now();
    if (ms <= 0) return;
    this.#wake = setTimeout(() => {
      this.#wake = null;
      this.#pump();
    }, ms);
    this.#wake.unref();
  }

  #clearWake(): void {
    if (this.#wake !== null) clearTimeout(this.#wake);
    this.#wake = null;
  }

  /** The close deadline passed (or destroy()): no new requests, and the ones in flight are aborted. */
  #cutOff(reason: unknown): void {
    this.#stopped = true;
    this.#clearWake();
    for (const request of this.#requests) request.controller.abort(reason);
  }

  #nextSettle(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #onQueueDrop(reason: DropReason, entries: readonly Entry<T>[]): void {
    if (reason === 'oversize') {
      this.#dropped.oversize += entries.length;
      const values = entries.map((entry) => entry.value.value);
      this.#observe(() => this.#options.onDrop?.('oversize', values));
      return;
    }
    this.#lose(reason, entries);
  }

  /** Items that will not be sent: in doubt ones are unconfirmed, the others dropped by `reason`. */
  #lose(reason: 'overflow' | 'expired' | 'closed', entries: readonly Entry<T>[]): void {
    const dropped: T[] = [];
    const unconfirmed: T[] = [];
    for (const entry of entries) (entry.value.inDoubt ? unconfirmed : dropped).push(entry.value.value);
    this.#inDoubt -= unconfirmed.length;
    if (dropped.length > 0) {
      this.#dropped[reason] += dropped.length;
      this.#observe(() => this.#options.onDrop?.(reason, dropped));
    }
    if (unconfirmed.length > 0) {
      this.#unconfirmed += unconfirmed.length;
      this.#observe(() => this.#options.onDrop?.('unconfirmed', unconfirmed));
    }
  }

  /** In-doubt items of a settled request that are not sent again (resendInDoubt false). */
  #unconfirm(entries: readonly Entry<T>[]): void {
    if (entries.length === 0) return;
    this.#unconfirmed += entries.length;
    const values = entries.map((entry) => entry.value.value);
    this.#observe(() => this.#options.onDrop?.('unconfirmed', values));
  }

  #observe(call: () => void): void {
    try {
      call();
    } catch (error) {
      report(this.#onError, error, { source: this.name, stage: 'observer' });
    }
  }
}

function indexSet(indexes: readonly number[] | undefined, length: number): Set<number> {
  const set = new Set<number>();
  if (!indexes) return set;
  for (const index of indexes) {
    if (!Number.isInteger(index) || index < 0 || index >= length) {
      throw new LifecycleError(
        'ORG_LIFECYCLE_TASK_FAILED',
        `send result names item ${index} of a batch of ${length}`,
        {
          details: { index, length },
        },
      );
    }
    set.add(index);
  }
  return set;
}
