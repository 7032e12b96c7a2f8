/** ElasticsearchTransport's stats(): the sink's accounting in the transport's terms. */
import type { BufferedSinkStats } from '@org/shared-lifecycle';
import type { LastError } from './es-reporter.js';

export interface ElasticsearchTransportStats {
  /**
   * Entries handed to the transport. Always
   * `logged = sent + buffered + inFlight + Σ dropped + unconfirmed`.
   */
  logged: number;
  /** Entries Elasticsearch confirmed stored (201, or 409 on our own id). */
  sent: number;
  /** Entries waiting in the buffer (parts of a split batch included). */
  buffered: number;
  /** Their size in bytes. */
  bufferedBytes: number;
  /** Entries in _bulk requests that have not answered yet. */
  inFlight: number;
  /**
   * Entries whose answer was lost (timeout, reset, unreadable or short answer) and that had to go
   * before they could be sent again (buffer full, close deadline, age): maybe stored. Never in dropped.
   * Against any cluster, `sent ≤ stored ≤ sent + unconfirmed`.
   */
  unconfirmed: number;
  /** Of buffered, entries whose earlier answer was lost (sent again under the same ids). */
  inDoubt: number;
  /** Of sent, entries confirmed by a 409 on our own id: stored by a try whose answer was lost. */
  alreadyStored: number;
  /** Entries certainly not stored, by reason. */
  dropped: { overflow: number; expired: number; oversize: number; rejected: number; closed: number };
  /** Entries put back for another try (item-level 429/5xx, failed requests, lost answers). */
  retries: number;
  /** Batches split because Elasticsearch refused a request as too large (413). */
  splits: number;
  /** _bulk requests made, and how many failed as a whole. */
  requests: number;
  failedRequests: number;
  /** _bulk requests in flight now, and the most at once so far. */
  requestsInFlight: number;
  peakRequestsInFlight: number;
  /** Requests allowed in flight now: AIMD between 1 and maxConcurrentRequests. */
  window: number;
  maxConcurrentRequests: number;
  maxBuffered: number;
  maxBufferedBytes: number;
  /** False after a request got no answer (refused, reset, timeout) until one does. */
  reachable: boolean;
  /** ms until the next request while pausing after a failed request, else 0. */
  backoffMs: number;
  /** Duration of the last _bulk request that settled, ms; null before the first. */
  lastFlushMs: number | null;
  lastError: LastError | null;
  /** Age of the oldest buffered entry, ms. */
  oldestAgeMs: number;
  closed: boolean;
}

export interface TransportExtras {
  /** Entries the transport could not hand to the sink (an entry that could not be serialized). */
  unbuffered: number;
  alreadyStored: number;
  maxBuffered: number;
  maxBufferedBytes: number;
  reachable: boolean;
  lastRequestMs: number | null;
  lastError: LastError | null;
  closed: boolean;
}

export function transportStats(s: BufferedSinkStats, x: TransportExtras): ElasticsearchTransportStats {
  return {
    logged: s.received + x.unbuffered,
    sent: s.sent,
    buffered: s.buffered,
    bufferedBytes: s.bufferedBytes,
    inFlight: s.inFlight,
    unconfirmed: s.unconfirmed,
    inDoubt: s.inDoubt,
    alreadyStored: x.alreadyStored,
    dropped: {
      overflow: s.dropped.overflow,
      expired: s.dropped.expired,
      oversize: s.dropped.oversize,
      rejected: s.dropped.rejected + x.unbuffered,
      closed: s.dropped.closed,
    },
    retries: s.retried,
    splits: s.splits,
    requests: s.requests.total,
    failedRequests: s.requests.failed,
    requestsInFlight: s.requests.inFlight,
    peakRequestsInFlight: s.requests.peak,
    window: s.window,
    maxConcurrentRequests: s.maxConcurrency,
    maxBuffered: x.maxBuffered,
    maxBufferedBytes: x.maxBufferedBytes,
    reachable: x.reachable,
    backoffMs: s.backoffMs,
    lastFlushMs: x.lastRequestMs,
    lastError: x.lastError,
    oldestAgeMs: s.oldestAgeMs,
    closed: x.closed,
  };
}
