import type { BackoffOptions } from './backoff.js';
import type { ErrorReporter } from './report.js';

/** An item as its sender sees it. */
export interface SinkItem<T> {
  readonly value: T;
  /**
   * True when an earlier attempt's answer was lost (a timeout after the request went out, a reset, a
   * truncated answer): the item may already be stored. A sender with idempotent writes (a stable id)
   * re-sends it; a confirmation of it (stored, or "already there") makes it sent.
   */
  readonly inDoubt: boolean;
  /** Requests this item was part of before this one. */
  readonly attempts: number;
}

/** What a send is given. */
export interface SendContext {
  /** Aborts on the request timeout, or when close()'s deadline passes or destroy() is called. */
  readonly signal: AbortSignal;
  /** The request timeout in ms (already capped by what is left of a closing sink's deadline). */
  readonly timeoutMs: number;
  /** True during close()'s final flush. */
  readonly final: boolean;
}

/**
 * What became of a batch. Positions are indexes into the batch. Items a result does not name are
 * confirmed (stored).
 */
export type SendResult =
  /** Every item stored. */
  | { readonly kind: 'stored' }
  /**
   * Per-item answers: `retry` were refused for now (pushback such as an item-level 429; not stored),
   * `rejected` were refused for good (a mapping error), `unknown` got no answer (in doubt). The rest
   * are stored.
   */
  | {
      readonly kind: 'items';
      readonly retry?: readonly number[];
      readonly rejected?: readonly number[];
      readonly unknown?: readonly number[];
      /** A sample error for the rejected items (handed to onRejected). */
      readonly error?: unknown;
    }
  /**
   * The request failed as a whole and may succeed later (no connection, a 429/5xx answer, a lost
   * answer). `inDoubt`: the request may have been applied (its answer was lost after it went out).
   */
  | { readonly kind: 'failed'; readonly error: unknown; readonly inDoubt: boolean }
  /**
   * The batch was refused for a reason in its data (a value the server cannot store). With `index` the
   * sender knows which item: it is rejected and the others are sent again. Without, the batch is split
   * until the refused items are found (item by item below `isolateBelow`). Nothing of it was stored.
   */
  | { readonly kind: 'refused'; readonly error: unknown; readonly index?: number }
  /** The whole batch was refused for good and splitting cannot help (e.g. a 4xx for the request). */
  | { readonly kind: 'rejected'; readonly error: unknown };

export type Sender<T> = (batch: readonly SinkItem<T>[], ctx: SendContext) => Promise<SendResult>;

export type SinkDropReason = 'overflow' | 'expired' | 'oversize' | 'rejected' | 'closed';

export interface BufferedSinkOptions<T> {
  /** Names the sink in reports and in its close-timeout message. */
  name: string;
  /** Ships one batch. Must honour ctx.signal (return soon after it aborts). Never called concurrently for the same item. */
  send: Sender<T>;
  /** Buffer cap in items. Required: there is no unbounded buffer. */
  maxItems: number;
  /** Buffer cap in bytes, as measured by sizeOf (or the bytes given to push). Default: unlimited. */
  maxBytes?: number;
  /** An item larger than this is refused (dropped.oversize). Default maxBytes. */
  maxItemBytes?: number;
  /** Items older than this are dropped when they are next taken (dropped.expired). Default: never. */
  maxAgeMs?: number;
  /** When a cap is hit, this fraction of the oldest items goes at once. Default 0.2. */
  dropFraction?: number;
  /** Bytes of an item; used only with a byte cap. */
  sizeOf?: (value: T) => number;
  /** Items per request; reaching it in the buffer sends at once. */
  batchSize: number;
  /** Bytes per request. Default: unlimited. */
  maxBatchBytes?: number;
  /** Requests in flight at once, the top of the window. Default 4. */
  maxConcurrency?: number;
  /** A partial batch waits at most this long. Default 1000 ms. */
  flushIntervalMs?: number;
  /** Timeout of one request. Default 30 000 ms. */
  requestTimeoutMs?: number;
  /** Pause after a request that failed as a whole. Default initial 500 ms, max 30 s, factor 2, jitter 0.5. */
  backoff?: BackoffOptions;
  /** A refused batch of at most this many items is sent item by item instead of halved. Default 4. */
  isolateBelow?: number;
  /** Deadline of close() when the caller gives none. Default 5000 ms. */
  closeTimeoutMs?: number;
  /**
   * Send items again after their answer was lost (they are in doubt). Right when the sender's writes
   * are idempotent (a stable id per item). With false, such items are counted `unconfirmed` at once
   * instead of risking a second copy. Default true.
   */
  resendInDoubt?: boolean;
  /** Observers (must not throw; what they throw is reported and ignored). */
  onDrop?: (reason: Exclude<SinkDropReason, 'rejected'> | 'unconfirmed', values: readonly T[]) => void;
  /** Items refused for good, with the sender's error: the place to dead-letter them. */
  onRejected?: (values: readonly T[], error: unknown) => void;
  /** A request failed as a whole (it is retried after a backoff). */
  onRequestFailed?: (error: unknown, info: { items: number; inDoubt: boolean; attempt: number }) => void;
  /** Error channel for failures of the sender or an observer. Default: one line on stderr. */
  onError?: ErrorReporter;
  /** Clock for item ages (tests). Default Date.now. */
  now?: () => number;
}

export interface BufferedSinkStats {
  /**
   * Items offered to push(). received = buffered + inFlight + sent + unconfirmed + Σ dropped, always.
   */
  received: number;
  /** Waiting to be sent (in the buffer, or parts of a split batch). */
  buffered: number;
  bufferedBytes: number;
  /** Of buffered, items whose earlier answer was lost. */
  inDoubt: number;
  /** In requests that have not answered yet. */
  inFlight: number;
  /** Confirmed stored. */
  sent: number;
  /**
   * Items that had to go while in doubt (their answer was lost, and the buffer, the deadline or their
   * age did not allow another try): they may or may not be stored. Never counted in dropped.
   */
  unconfirmed: number;
  /** Items that are certainly not stored, by reason. */
  dropped: Record<SinkDropReason, number>;
  /** Items put back for another try (pushback, failed requests, lost answers). */
  retried: number;
  /** Batches split to isolate refused items. */
  splits: number;
  requests: {
    /** Requests made. */
    total: number;
    /** Requests that failed as a whole. */
    failed: number;
    inFlight: number;
    /** Most requests in flight at once so far. */
    peak: number;
  };
  /** The request window now (AIMD between 1 and maxConcurrency). */
  window: number;
  maxConcurrency: number;
  /** ms until the next request while pausing after a failure, else 0. */
  backoffMs: number;
  /** Age of the oldest buffered item, ms. */
  oldestAgeMs: number;
  closed: boolean;
}
