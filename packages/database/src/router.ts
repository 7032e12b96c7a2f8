import type { Knex } from 'knex';
import type { ReplicationMonitor } from './monitor.js';

/** Counters of routing decisions, for /metrics. */
export interface RoutingStats {
  /** read() calls served by a replica. */
  replica: number;
  /** read() calls sent to the primary because no replica was healthy and under the lag thresholds. */
  fallback: number;
  /** read() calls sent to the primary because the same context wrote within readYourWritesMs. */
  readYourWrites: number;
  /** read() calls sent to the primary because there are no replicas. */
  primaryOnly: number;
  /**
   * Replicas taken out of the rotation between polls because a query on one lost its connection or
   * a connect to it failed (the monitor's `failovers`); later reads went to another replica or the primary.
   */
  failovers: number;
  /** Reads whose replica connection failed before any answer and that ran again on the primary. */
  retriedOnPrimary: number;
}

/**
 * Picks the server for a read: a healthy replica under the lag thresholds (round robin), else the
 * primary. A context (any object: a request, a session, a job) that wrote within the read-your-writes
 * window reads from the primary. Contexts are held weakly, so the router never keeps one alive.
 */
export class ReadRouter {
  readonly readYourWritesMs: number;
  readonly #primary: Knex;
  readonly #replicas: ReadonlyMap<string, Knex>;
  readonly #monitor: ReplicationMonitor | null;
  readonly #now: () => number;
  readonly #lastWrite = new WeakMap<object, number>();
  readonly #stats: Omit<RoutingStats, 'failovers'> = {
    replica: 0,
    fallback: 0,
    readYourWrites: 0,
    primaryOnly: 0,
    retriedOnPrimary: 0,
  };
  #next = 0;

  constructor(
    primary: Knex,
    replicas: ReadonlyMap<string, Knex>,
    monitor: ReplicationMonitor | null,
    readYourWritesMs: number,
    now: () => number = Date.now,
  ) {
    this.#primary = primary;
    this.#replicas = replicas;
    this.#monitor = monitor;
    this.readYourWritesMs = readYourWritesMs;
    this.#now = now;
  }

  read(context?: object): Knex {
    if (this.#monitor === null || this.#replicas.size === 0) {
      this.#stats.primaryOnly++;
      return this.#primary;
    }
    if (context !== undefined && this.readYourWritesMs > 0) {
      const wroteAt = this.#lastWrite.get(context);
      if (wroteAt !== undefined && this.#now() - wroteAt < this.readYourWritesMs) {
        this.#stats.readYourWrites++;
        return this.#primary;
      }
    }
    const healthy = this.#monitor.healthyReplicas();
    if (healthy.length === 0) {
      this.#stats.fallback++;
      return this.#primary;
    }
    const name = healthy[this.#next++ % healthy.length]!;
    if (this.#next >= Number.MAX_SAFE_INTEGER) this.#next = 0;
    this.#stats.replica++;
    return this.#replicas.get(name) ?? this.#primary;
  }

  /** Remembers that this context wrote now (read-your-writes). */
  noteWrite(context?: object): void {
    if (context !== undefined && this.readYourWritesMs > 0) this.#lastWrite.set(context, this.#now());
  }

  /** A replica read that lost its connection ran again on the primary. */
  noteRetriedOnPrimary(): void {
    this.#stats.retriedOnPrimary++;
  }

  stats(): RoutingStats {
    return { ...this.#stats, failovers: this.#monitor?.stats().failovers ?? 0 };
  }
}
