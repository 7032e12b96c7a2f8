import {
  type BackoffOptions,
  type CloseContext,
  type CloseOptions,
  type ErrorReporter,
  Resource,
  report,
  sleep,
  stderrReporter,
} from '@org/shared-lifecycle';
import type { Knex } from 'knex';
import { BatchWriter, type BatchWriterOptions, type BatchWriterStats } from './batch-writer.js';
import { classifyError } from './classify.js';
import { resolveConnection } from './connection.js';
import { type ConnectionConfig, parseConnectionUrl } from './connection-url.js';
import { DatabaseError } from './errors.js';
import { ReplicationMonitor } from './monitor.js';
import type { ReplicaState, ReplicationMonitorStats } from './monitor-types.js';
import { DatabaseNode, type PoolOptions, type PoolStats } from './node.js';
import { check, invalidOption } from './options.js';
import { ReadRouter, type RoutingStats } from './router.js';
import { conflictDelay, isConflict, type RetryPolicy } from './typed-client.js';

export interface LagOptions {
  /** A replica further behind than this many seconds takes no reads. Default 5. */
  maxSeconds?: number;
  /** A replica further behind than this many WAL bytes takes no reads. Default 16 MiB. */
  maxBytes?: number;
}

export interface MonitorOptions {
  /** Poll interval. Default 2 000 ms. */
  intervalMs?: number;
  /** Timeout of each poll query. Default 5 000 ms. */
  pollTimeoutMs?: number;
  /** Backoff before a failed replica is polled again. Default 1 s doubling to 30 s. */
  retry?: BackoffOptions;
  /** Start polling in createDatabase(). Default true. */
  autoStart?: boolean;
}

/**
 * Retries of deadlock victims (40P01) and serialization failures (40001): a statement outside a
 * transaction, and a whole transaction() (its function runs again: keep side effects outside the
 * database out of it, or make them idempotent).
 */
export interface RetryOptions {
  /** Attempts in all, the first included; 1 turns retries off. Default 3. */
  attempts?: number;
  /** First wait; doubles each time, jittered. Default 20 ms. */
  initialMs?: number;
  /** Longest wait. Default 500 ms. */
  maxMs?: number;
}

export interface TransactionOptions {
  /** Attempts for this transaction (deadlock, serialization failure), overriding `retry.attempts`. */
  attempts?: number;
}

export interface DatabaseOptions {
  primary: string | ConnectionConfig;
  replicas?: readonly (string | ConnectionConfig)[];
  pool?: PoolOptions;
  /** statement_timeout of every connection. Default 30 000 ms; 0 disables. */
  statementTimeoutMs?: number;
  /** TCP keepalive on every connection. Default true. */
  keepAlive?: boolean;
  /** Default 10 000 ms. */
  keepAliveInitialDelayMs?: number;
  /** application_name in pg_stat_activity. Default 'org-shared-database'. */
  applicationName?: string;
  lag?: LagOptions;
  monitor?: MonitorOptions;
  /** After a write in a context, reads in that context go to the primary for this long. Default 0 (off). */
  readYourWritesMs?: number;
  /** Timeout of the primary ping in health(). Default 2 000 ms. */
  healthTimeoutMs?: number;
  /** Default deadline of close(). Default 10 000 ms. */
  closeTimeoutMs?: number;
  /** Retries of deadlocks and serialization failures. Default 3 attempts, 20 ms doubling to 500 ms. */
  retry?: RetryOptions;
  /** The error channel for everything that happens in the background. Default: one line on stderr. */
  onError?: ErrorReporter;
}

export interface NodeHealth {
  name: string;
  /** `user@host:port/database`, never the password. */
  label: string;
  pool: PoolStats;
}

export interface DatabaseHealth {
  /** True when the primary answered the ping. */
  ok: boolean;
  primary: NodeHealth & { reachable: boolean; latencyMs: number | null; error: string | null };
  replicas: (NodeHealth & {
    state: ReplicaState;
    lagBytes: number | null;
    lagSeconds: number | null;
    replayPaused: boolean | null;
    lastError: string | null;
  })[];
  checkedAt: string;
}

export interface DatabaseStats {
  closed: boolean;
  /** Pool snapshot per node: 'primary', 'replica-1', … */
  pools: Record<string, PoolStats>;
  replicas: { name: string; state: ReplicaState; lagBytes: number | null; lagSeconds: number | null }[];
  monitor: Pick<ReplicationMonitorStats, 'polls' | 'pollErrors' | 'primaryReachable'> | null;
  routing: RoutingStats;
  writers: BatchWriterStats[];
}

export interface Database extends AsyncDisposable {
  /** The primary's knex instance. */
  readonly primary: Knex;
  /** The replication monitor, or null without replicas. */
  readonly monitor: ReplicationMonitor | null;
  readonly closed: boolean;
  /** A knex instance for reads: a healthy replica under the lag thresholds, else the primary. */
  read(context?: object): Knex;
  /** The primary; with a context, starts that context's read-your-writes window. */
  write(context?: object): Knex;
  /**
   * A transaction on the primary. A deadlock or serialization failure runs it again (up to
   * `retry.attempts`, with backoff); what `fn` throws itself rejects as it is, every failure of the
   * database as a classified DatabaseError.
   */
  transaction<T>(
    fn: (trx: Knex.Transaction) => Promise<T>,
    context?: object,
    options?: TransactionOptions,
  ): Promise<T>;
  /** A BatchWriter on the primary, closed with the database. */
  createBatchWriter<Row extends object>(options: BatchWriterOptions<Row>): BatchWriter<Row>;
  health(): Promise<DatabaseHealth>;
  stats(): DatabaseStats;
  /** Closes monitor, writers and pools in that order, within the deadline even with a held connection. */
  close(options?: CloseOptions | CloseContext): Promise<void>;
  destroy(reason?: unknown): Promise<void>;
}

const DEFAULT_POOL: Required<PoolOptions> = {
  min: 0,
  max: 10,
  acquireTimeoutMs: 30_000,
  idleTimeoutMs: 30_000,
  createTimeoutMs: 10_000,
  destroyTimeoutMs: 5_000,
  reapIntervalMs: 1_000,
};

function resolvePool(pool: PoolOptions | undefined): Required<PoolOptions> {
  if (pool !== undefined && (pool === null || typeof pool !== 'object')) {
    throw invalidOption('pool must be an object', 'pool');
  }
  const merged = { ...DEFAULT_POOL, ...pool };
  const number = (name: keyof PoolOptions, min: number, integer = false) =>
    check.number(`pool.${name}`, merged[name], { min, integer });
  const resolved: Required<PoolOptions> = {
    min: number('min', 0, true),
    max: number('max', 1, true),
    acquireTimeoutMs: number('acquireTimeoutMs', 1),
    idleTimeoutMs: number('idleTimeoutMs', 1),
    createTimeoutMs: number('createTimeoutMs', 1),
    destroyTimeoutMs: number('destroyTimeoutMs', 1),
    reapIntervalMs: number('reapIntervalMs', 1),
  };
  return resolved;
}

function option(name: string, value: unknown, fallback: number, min = 0): number {
  return check.number(name, value, { default: fallback, min });
}

function resolveRetry(retry: RetryOptions | undefined): RetryPolicy {
  if (retry !== undefined && (retry === null || typeof retry !== 'object')) {
    throw invalidOption('retry must be an object', 'retry');
  }
  return {
    attempts: check.number('retry.attempts', retry?.attempts, {
      default: 3,
      min: 1,
      max: 100,
      integer: true,
    }),
    backoff: {
      initialMs: option('retry.initialMs', retry?.initialMs, 20, 1),
      maxMs: option('retry.maxMs', retry?.maxMs, 500, 1),
    },
  };
}

class DatabaseImpl extends Resource implements Database {
  readonly monitor: ReplicationMonitor | null;
  readonly #primary: DatabaseNode;
  readonly #replicas: DatabaseNode[];
  readonly #router: ReadRouter;
  readonly #writers = new Set<BatchWriter<object>>();
  readonly #onError: ErrorReporter;
  readonly #healthTimeoutMs: number;
  readonly #retry: RetryPolicy;
  readonly #namedStatements: boolean;

  constructor(options: DatabaseOptions) {
    const onError = options.onError ?? stderrReporter;
    super('database', {
      closeTimeoutMs: option('closeTimeoutMs', options.closeTimeoutMs, 10_000, 1),
      onError,
    });
    this.#onError = onError;
    this.#healthTimeoutMs = option('healthTimeoutMs', options.healthTimeoutMs, 2_000, 1);
    this.#retry = resolveRetry(options.retry);
    const settings = {
      pool: resolvePool(options.pool),
      statementTimeoutMs: option('statementTimeoutMs', options.statementTimeoutMs, 30_000),
      keepAlive: check.boolean('keepAlive', options.keepAlive, true),
      keepAliveInitialDelayMs: option('keepAliveInitialDelayMs', options.keepAliveInitialDelayMs, 10_000),
      applicationName: check.string('applicationName', options.applicationName, 'org-shared-database'),
      retry: this.#retry,
      signal: this.closeSignal,
      onError: this.#onError,
    };
    const replicaInputs = options.replicas ?? [];
    if (!Array.isArray(replicaInputs)) throw invalidOption('replicas must be an array', 'replicas');
    // Resolve every connection before creating any pool, so bad configuration leaves nothing behind.
    const primaryConnection = resolveConnection(options.primary, 'primary');
    const replicaConnections = replicaInputs.map((input, i) => resolveConnection(input, `replicas[${i}]`));
    const readYourWritesMs = option('readYourWritesMs', options.readYourWritesMs, 0);
    const maxLagSeconds = option('lag.maxSeconds', options.lag?.maxSeconds, 5);
    const maxLagBytes = option('lag.maxBytes', options.lag?.maxBytes, 16 * 1024 * 1024);
    this.#namedStatements = primaryConnection.pgbouncer !== true;
    this.#primary = new DatabaseNode('primary', 'primary', primaryConnection, settings);
    this.#replicas = replicaConnections.map(
      (connection, i) => new DatabaseNode(`replica-${i + 1}`, 'replica', connection, settings),
    );
    // A read on a replica whose connection fails before any answer runs once more on the primary.
    for (const replica of this.#replicas) {
      replica.binding.fallback = () => (this.closed ? null : this.#primary.client);
      replica.binding.onFallback = () => this.#router.noteRetriedOnPrimary();
    }
    this.monitor =
      this.#replicas.length === 0
        ? null
        : new ReplicationMonitor({
            primary: this.#primary.knex,
            replicas: this.#replicas.map((node) => ({ name: node.name, knex: node.knex })),
            maxLagSeconds,
            maxLagBytes,
            onError: this.#onError,
            ...(options.monitor?.intervalMs === undefined ? {} : { intervalMs: options.monitor.intervalMs }),
            ...(options.monitor?.pollTimeoutMs === undefined
              ? {}
              : { pollTimeoutMs: options.monitor.pollTimeoutMs }),
            ...(options.monitor?.retry === undefined ? {} : { retry: options.monitor.retry }),
          });
    this.#router = new ReadRouter(
      this.#primary.knex,
      new Map(this.#replicas.map((node) => [node.name, node.knex])),
      this.monitor,
      readYourWritesMs,
    );
    if (this.monitor && options.monitor?.autoStart !== false) this.monitor.start();
  }

  get primary(): Knex {
    return this.#primary.knex;
  }

  read(context?: object): Knex {
    this.assertOpen('read');
    return this.#router.read(context);
  }

  write(context?: object): Knex {
    this.assertOpen('write');
    this.#router.noteWrite(context);
    return this.#primary.knex;
  }

  async transaction<T>(
    fn: (trx: Knex.Transaction) => Promise<T>,
    context?: object,
    options: TransactionOptions = {},
  ): Promise<T> {
    this.assertOpen('transaction');
    const attempts = check.number('attempts', options.attempts, {
      default: this.#retry.attempts,
      min: 1,
      max: 100,
      integer: true,
    });
    this.#router.noteWrite(context);
    try {
      for (let attempt = 1; ; attempt++) {
        const thrown: { error?: unknown } = {};
        try {
          return await this.#primary.knex.transaction(async (trx) => {
            try {
              return await fn(trx);
            } catch (error) {
              thrown.error = error;
              throw error;
            }
          });
        } catch (error) {
          // What fn threw is its own (its queries' failures are DatabaseErrors already); the rest
          // (connect, BEGIN, COMMIT) is the database's.
          const failure =
            'error' in thrown && error === thrown.error ? error : classifyError(error, { node: 'primary' });
          if (!(failure instanceof DatabaseError) || !isConflict(failure) || attempt >= attempts)
            throw failure;
          await sleep(conflictDelay(this.#retry, attempt), this.closeSignal).catch(() => {
            throw failure;
          });
        }
      }
    } finally {
      // The commit is what the replica lags behind: the window starts again when it is done.
      this.#router.noteWrite(context);
    }
  }

  createBatchWriter<Row extends object>(options: BatchWriterOptions<Row>): BatchWriter<Row> {
    this.assertOpen('createBatchWriter');
    const writer: BatchWriter<Row> = new BatchWriter<Row>(
      this.#primary.knex,
      { onError: this.#onError, ...options },
      {
        onClosed: () => this.#writers.delete(writer as unknown as BatchWriter<object>),
        namedStatements: this.#namedStatements,
      },
    );
    this.#writers.add(writer as unknown as BatchWriter<object>);
    return writer;
  }

  async health(): Promise<DatabaseHealth> {
    const node = (n: DatabaseNode): NodeHealth => ({
      name: n.name,
      label: n.connection.label,
      pool: n.poolStats(),
    });
    let reachable = false;
    let latencyMs: number | null = null;
    let error: string | null = null;
    if (this.closed) error = 'ORG_LIFECYCLE_CLOSED';
    else {
      const started = performance.now();
      try {
        await this.#primary.knex.raw('SELECT 1').timeout(this.#healthTimeoutMs);
        reachable = true;
        latencyMs = Math.round((performance.now() - started) * 100) / 100;
      } catch (cause) {
        error = classifyError(cause, { node: 'primary' }).code;
      }
    }
    const statuses = new Map((this.monitor?.stats().replicas ?? []).map((s) => [s.name, s]));
    return {
      ok: reachable,
      primary: { ...node(this.#primary), reachable, latencyMs, error },
      replicas: this.#replicas.map((replica) => {
        const s = statuses.get(replica.name);
        return {
          ...node(replica),
          state: s?.state ?? 'unknown',
          lagBytes: s?.lagBytes ?? null,
          lagSeconds: s?.lagSeconds ?? null,
          replayPaused: s?.replayPaused ?? null,
          lastError: s?.lastError ?? null,
        };
      }),
      checkedAt: new Date().toISOString(),
    };
  }

  stats(): DatabaseStats {
    const monitor = this.monitor?.stats() ?? null;
    const pools: Record<string, PoolStats> = { primary: this.#primary.poolStats() };
    for (const replica of this.#replicas) pools[replica.name] = replica.poolStats();
    return {
      closed: this.closed,
      pools,
      replicas: (monitor?.replicas ?? []).map(({ name, state, lagBytes, lagSeconds }) => ({
        name,
        state,
        lagBytes,
        lagSeconds,
      })),
      monitor: monitor && {
        polls: monitor.polls,
        pollErrors: monitor.pollErrors,
        primaryReachable: monitor.primaryReachable,
      },
      routing: this.#router.stats(),
      writers: [...this.#writers].map((writer) => writer.stats()),
    };
  }

  /**
   * One deadline, shared out: the monitor gets a fifth of it, then the writers three quarters of what
   * is left (a final flush each, retrying through a short outage, while the pools are still open: the
   * rows are what is at stake), then the pools the rest — three quarters of that to hand connections
   * back gracefully, after which the ones still held are terminated.
   */
  protected async onClose(ctx: CloseContext): Promise<void> {
    const step = async (what: string, work: () => Promise<unknown>) => {
      try {
        await work();
      } catch (error) {
        report(this.#onError, error, { source: 'database.close', step: what });
      }
    };
    const monitor = this.monitor;
    if (monitor) await step('monitor', () => monitor.close(ctx.share(0.2)));
    const writers = [...this.#writers];
    this.#writers.clear();
    const writersCtx = ctx.share(0.75);
    await step('writers', () => Promise.all(writers.map((writer) => writer.close(writersCtx))));
    const grace = ctx.share(0.75);
    await Promise.all([this.#primary, ...this.#replicas].map((node) => node.destroy(ctx, grace)));
  }
}

/**
 * Creates the primary and replica pools, the replication monitor (started, when there are replicas)
 * and the read router. Throws ORG_DATABASE_INVALID_URL / ORG_DATABASE_INVALID_OPTION, naming the
 * host with the password redacted, before any connection is made.
 */
export function createDatabase(options: DatabaseOptions | string): Database {
  if (typeof options === 'string') {
    parseConnectionUrl(options);
    return new DatabaseImpl({ primary: options });
  }
  if (options === null || typeof options !== 'object') {
    throw invalidOption('createDatabase() needs a URL or an options object', 'options');
  }
  if (options.primary === undefined) throw invalidOption('primary is required', 'primary');
  return new DatabaseImpl(options);
}
