import { EventEmitter } from 'node:events';
import {
  aborted,
  Backoff,
  type CloseContext,
  CloseOnce,
  type CloseOptions,
  type ErrorReporter,
  ListenerGroup,
  type ListenerTarget,
  OwnedInterval,
  report,
  stderrReporter,
} from '@org/shared-lifecycle';
import type { Knex } from 'knex';
import { classifyError } from './classify.js';
import { DatabaseError } from './errors.js';
import { replicaLag } from './lag.js';
import { parseLsn } from './lsn.js';
import type {
  PrimaryReplicationRow,
  ReplicaStatus,
  ReplicaTarget,
  ReplicationMonitorEvents,
  ReplicationMonitorOptions,
  ReplicationMonitorStats,
} from './monitor-types.js';
import { check } from './options.js';

const PRIMARY_SQL = `SELECT pg_current_wal_lsn()::text AS lsn,
  coalesce((SELECT json_agg(json_build_object(
    'applicationName', application_name, 'clientAddr', client_addr::text, 'state', state,
    'replayLsn', replay_lsn::text,
    'replayLagBytes', pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn),
    'replayLagSeconds', extract(epoch from replay_lag)))
  FROM pg_stat_replication), '[]'::json) AS replication`;

const REPLICA_SQL = `SELECT pg_is_in_recovery() AS in_recovery,
  pg_last_wal_receive_lsn()::text AS receive_lsn,
  pg_last_wal_replay_lsn()::text AS replay_lsn,
  extract(epoch from (clock_timestamp() - pg_last_xact_replay_timestamp()))::float8 AS replay_age,
  CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() END AS paused`;

interface ReplicaEntry {
  target: ReplicaTarget;
  status: ReplicaStatus;
  backoff: Backoff;
  /** A poll of this replica is in flight: its own failures are counted by the poll, once. */
  polling: boolean;
}

/** knex's pool (tarn.js): `createFail` is where a refused or reset connect shows up. */
function poolOf(k: Knex): ListenerTarget | undefined {
  return (k.client as { pool?: ListenerTarget } | undefined)?.pool;
}

function rowsOf(result: unknown): Record<string, unknown>[] {
  return ((result as { rows?: Record<string, unknown>[] }).rows ?? []) as Record<string, unknown>[];
}

function num(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/**
 * Polls the primary and every replica on an owned timer (unref'd, never overlapping, errors reported),
 * keeps per-replica lag in bytes and seconds, and emits status changes. Every listener it adds to a
 * knex instance is kept by reference and removed by close() (`cleanup()` is the same), which is
 * idempotent and waits for the poll in flight within its deadline. One-shot: a closed monitor cannot
 * be started again.
 */
export class ReplicationMonitor extends EventEmitter<ReplicationMonitorEvents> {
  readonly intervalMs: number;
  readonly pollTimeoutMs: number;
  readonly maxLagSeconds: number;
  readonly maxLagBytes: number;
  readonly #primary: Knex;
  readonly #replicas: ReplicaEntry[];
  readonly #onError: ErrorReporter;
  readonly #now: () => number;
  readonly #pollOnStart: boolean;
  readonly #listeners = new ListenerGroup();
  readonly #interval: OwnedInterval;
  readonly #lifecycle: CloseOnce;
  #started = false;
  #polls = 0;
  #pollErrors = 0;
  #failovers = 0;
  #primaryReachable: boolean | null = null;
  #primaryLsn: string | null = null;
  #replication: PrimaryReplicationRow[] = [];

  constructor(options: ReplicationMonitorOptions) {
    super();
    this.intervalMs = check.number('monitor.intervalMs', options.intervalMs, {
      default: 2_000,
      min: 1,
      max: 2 ** 31 - 1,
    });
    this.pollTimeoutMs = check.number('monitor.pollTimeoutMs', options.pollTimeoutMs, {
      default: 5_000,
      min: 1,
    });
    this.maxLagSeconds = check.number('lag.maxSeconds', options.maxLagSeconds, { default: 5, min: 0 });
    this.maxLagBytes = check.number('lag.maxBytes', options.maxLagBytes, {
      default: 16 * 1024 * 1024,
      min: 0,
    });
    const closeTimeoutMs = check.number('monitor.closeTimeoutMs', options.closeTimeoutMs, {
      default: 5_000,
      min: 0,
    });
    this.#primary = options.primary;
    this.#onError = options.onError ?? stderrReporter;
    this.#lifecycle = new CloseOnce('database.replication-monitor', (ctx) => this.#close(ctx), {
      defaultTimeoutMs: closeTimeoutMs,
      onError: this.#onError,
    });
    this.#now = options.now ?? Date.now;
    this.#pollOnStart = options.pollOnStart ?? true;
    const retry = { initialMs: 1_000, maxMs: 30_000, ...options.retry };
    this.#replicas = options.replicas.map((target) => ({
      target,
      backoff: new Backoff(retry),
      polling: false,
      status: {
        name: target.name,
        state: 'unknown',
        inRecovery: null,
        lagBytes: null,
        lagSeconds: null,
        receiveLsn: null,
        replayLsn: null,
        replayPaused: null,
        failures: 0,
        lastPollAt: null,
        lastError: null,
        nextRetryAt: null,
      },
    }));
    this.#interval = new OwnedInterval((signal) => this.#poll(signal), {
      intervalMs: this.intervalMs,
      name: 'database.replication-monitor',
      onError: this.#onError,
    });
  }

  /** Starts polling (and polls once at once unless pollOnStart is false). Idempotent. */
  start(): this {
    this.#lifecycle.assertOpen('start');
    const interval = this.#interval;
    if (this.#started) return this;
    this.#started = true;
    for (const entry of this.#replicas) {
      // A replica that fails a query on a lost connection (knex `query-error`), or that refuses a new
      // connection (the pool's `createFail`: knex emits no `query-error` when the connect itself fails),
      // leaves the rotation at once instead of at the next poll.
      this.#listeners.on(entry.target.knex, 'query-error', (error: unknown) =>
        this.#onConnectionFailure(entry, error, 'query'),
      );
      const pool = poolOf(entry.target.knex);
      if (pool) {
        this.#listeners.on(pool, 'createFail', (_eventId: unknown, error: unknown) =>
          this.#onConnectionFailure(entry, error, 'connect'),
        );
      }
    }
    interval.start();
    if (this.#pollOnStart) void interval.trigger();
    return this;
  }

  /** Polls now (or joins the poll in flight, plus one more); resolves when done. Never rejects. */
  poll(): Promise<void> {
    return this.#interval.trigger();
  }

  get closed(): boolean {
    return this.#lifecycle.closed;
  }

  /** Names of replicas that may take reads now ('up': reachable and under both lag thresholds). */
  healthyReplicas(): string[] {
    return this.#replicas.filter((entry) => entry.status.state === 'up').map((entry) => entry.status.name);
  }

  status(name: string): ReplicaStatus | undefined {
    const entry = this.#replicas.find((candidate) => candidate.status.name === name);
    return entry ? { ...entry.status } : undefined;
  }

  stats(): ReplicationMonitorStats {
    return {
      polls: this.#polls,
      pollErrors: this.#pollErrors,
      failovers: this.#failovers,
      running: this.#interval.running,
      primaryReachable: this.#primaryReachable,
      primaryLsn: this.#primaryLsn,
      replicas: this.#replicas.map((entry) => ({ ...entry.status })),
      replication: this.#replication.map((row) => ({ ...row })),
    };
  }

  /**
   * Stops the timer, waits for the poll in flight (until the deadline: a poll's queries time out on
   * their own after pollTimeoutMs, and what a late poll finds is no longer reported), and removes every
   * listener it added to knex and every listener added to it. Idempotent: later calls return the same
   * promise. Takes a CloseContext, so a parent's deadline is the monitor's.
   */
  close(options?: CloseOptions | CloseContext): Promise<void> {
    return this.#lifecycle.close(options);
  }

  /** close() without waiting for the poll in flight. */
  destroy(reason?: unknown): Promise<void> {
    return this.#lifecycle.destroy(reason);
  }

  /** The same as close(): the name this monitor's users know. */
  cleanup(options?: CloseOptions | CloseContext): Promise<void> {
    return this.close(options);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #close(ctx: CloseContext): Promise<void> {
    try {
      await Promise.race([this.#interval.stop(), aborted(ctx.signal)]);
      // Past the deadline: stop waiting; the poll's queries end on their own within pollTimeoutMs.
      if (ctx.signal.aborted) void this.#interval.stop({ abort: true });
    } finally {
      this.#listeners.removeAll();
      this.removeAllListeners();
    }
  }

  async #poll(signal: AbortSignal): Promise<void> {
    // A poll that close() stopped waiting for starts no further query: the pools are closing.
    if (signal.aborted) return;
    this.#polls++;
    // The primary first: its LSN is the reference the replicas' replay positions are measured against.
    let primaryLsn: bigint | null = null;
    try {
      const result = await this.#primary.raw(PRIMARY_SQL).timeout(this.pollTimeoutMs);
      const row = rowsOf(result)[0] ?? {};
      this.#primaryLsn = typeof row.lsn === 'string' ? row.lsn : null;
      primaryLsn = parseLsn(this.#primaryLsn);
      const replication = Array.isArray(row.replication)
        ? (row.replication as Record<string, unknown>[])
        : [];
      this.#replication = replication.map((r) => ({
        applicationName: typeof r.applicationName === 'string' ? r.applicationName : null,
        clientAddr: typeof r.clientAddr === 'string' ? r.clientAddr : null,
        state: typeof r.state === 'string' ? r.state : null,
        replayLsn: typeof r.replayLsn === 'string' ? r.replayLsn : null,
        replayLagBytes: num(r.replayLagBytes),
        replayLagSeconds: num(r.replayLagSeconds),
      }));
      this.#primaryReachable = true;
    } catch (error) {
      this.#pollErrors++;
      this.#primaryReachable = false;
      this.#primaryLsn = null;
      const cause = classifyError(error, { node: 'primary' });
      report(
        this.#onError,
        new DatabaseError(
          'ORG_DATABASE_MONITOR_POLL',
          `replication monitor: primary poll failed: ${cause.message}`,
          {
            cause,
            details: { node: 'primary' },
          },
        ),
        { source: 'database.replication-monitor' },
      );
    }
    if (signal.aborted) return;
    await Promise.all(this.#replicas.map((entry) => this.#pollReplica(entry, primaryLsn)));
    if (this.listenerCount('poll') > 0) this.#emitSafe('poll', this.stats());
  }

  async #pollReplica(entry: ReplicaEntry, primaryLsn: bigint | null): Promise<void> {
    const status = entry.status;
    const now = this.#now();
    if (status.state === 'down' && status.nextRetryAt !== null && now < status.nextRetryAt) return;
    try {
      let result: unknown;
      entry.polling = true;
      try {
        result = await entry.target.knex.raw(REPLICA_SQL).timeout(this.pollTimeoutMs);
      } finally {
        entry.polling = false;
      }
      const row = rowsOf(result)[0] ?? {};
      status.lastPollAt = this.#now();
      status.inRecovery = row.in_recovery === true;
      if (!status.inRecovery) {
        this.#markDown(
          entry,
          new DatabaseError('ORG_DATABASE_REPLICA_DOWN', `${status.name} is not in recovery (promoted?)`, {
            details: { node: status.name },
          }),
        );
        return;
      }
      status.receiveLsn = typeof row.receive_lsn === 'string' ? row.receive_lsn : null;
      status.replayLsn = typeof row.replay_lsn === 'string' ? row.replay_lsn : null;
      status.replayPaused = typeof row.paused === 'boolean' ? row.paused : null;
      const lag = replicaLag({
        primaryLsn,
        receiveLsn: parseLsn(status.receiveLsn),
        replayLsn: parseLsn(status.replayLsn),
        replayAgeSeconds: num(row.replay_age),
        maxLagBytes: this.maxLagBytes,
      });
      status.lagBytes = lag.lagBytes;
      status.lagSeconds = lag.lagSeconds;
      status.failures = 0;
      status.lastError = null;
      status.nextRetryAt = null;
      entry.backoff.reset();
      const lagging =
        (status.lagBytes !== null && status.lagBytes > this.maxLagBytes) ||
        (status.lagSeconds !== null && status.lagSeconds > this.maxLagSeconds) ||
        (status.lagSeconds === null && status.lagBytes === null);
      this.#setState(entry, lagging ? 'lagging' : 'up');
    } catch (error) {
      const cause = classifyError(error, { node: status.name });
      this.#markDown(
        entry,
        new DatabaseError(
          'ORG_DATABASE_REPLICA_DOWN',
          `${status.name} failed its health poll: ${cause.message}`,
          {
            cause,
            details: { node: status.name },
          },
        ),
      );
    }
  }

  /**
   * A connection-class failure outside a poll (SQLSTATE 08xxx, 57P01-57P03, ECONNREFUSED, ECONNRESET, …)
   * sets the state a failed poll would: down, with the same backoff before the next poll, which brings
   * it back. Syntax, data, constraint and timeout errors say nothing about the server and are ignored.
   */
  #onConnectionFailure(entry: ReplicaEntry, error: unknown, via: 'query' | 'connect'): void {
    // Closed, already down, or the poll in flight will count this failure itself (once).
    if (this.#lifecycle.closed || entry.polling || entry.status.state === 'down') return;
    const cause = classifyError(error, { node: entry.status.name });
    if (cause.code !== 'ORG_DATABASE_CONNECTION') return;
    this.#failovers++;
    const what = via === 'query' ? 'a query on it lost its connection' : 'a new connection to it failed';
    this.#markDown(
      entry,
      new DatabaseError('ORG_DATABASE_REPLICA_DOWN', `${entry.status.name}: ${what}: ${cause.message}`, {
        cause,
        details: { node: entry.status.name, via },
      }),
    );
  }

  #markDown(entry: ReplicaEntry, error: DatabaseError): void {
    const status = entry.status;
    status.failures++;
    status.lastError = (error.cause as { code?: string } | undefined)?.code ?? error.code;
    status.nextRetryAt = this.#now() + entry.backoff.next();
    const previous = status.state;
    if (previous === 'down' || this.#lifecycle.closed) return;
    report(this.#onError, error, { source: 'database.replication-monitor', node: status.name });
    status.state = 'down';
    this.#emitSafe('status', { ...status }, previous);
    this.#emitSafe('replica-down', { ...status }, error);
  }

  #setState(entry: ReplicaEntry, state: 'up' | 'lagging'): void {
    const previous = entry.status.state;
    if (previous === state) return;
    entry.status.state = state;
    const snapshot = { ...entry.status };
    this.#emitSafe('status', snapshot, previous);
    if (state === 'up') this.#emitSafe('replica-up', snapshot);
    else this.#emitSafe('lag', snapshot);
  }

  /** A throwing listener is reported, and cannot change the monitor's view of a replica. */
  #emitSafe<E extends keyof ReplicationMonitorEvents>(event: E, ...args: ReplicationMonitorEvents[E]): void {
    try {
      (this.emit as (event: E, ...args: ReplicationMonitorEvents[E]) => boolean)(event, ...args);
    } catch (error) {
      report(this.#onError, error, { source: 'database.replication-monitor', event });
    }
  }
}
