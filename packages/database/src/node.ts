import { aborted, type CloseContext, type ErrorReporter, ListenerGroup, report } from '@org/shared-lifecycle';
import knex, { type Knex } from 'knex';
import type { ResolvedConnection } from './connection.js';
import { DatabaseError } from './errors.js';
import { type KnexClient, type NodeBinding, type RetryPolicy, typedClientClass } from './typed-client.js';

/** Pool limits and timeouts (tarn.js, the pool inside knex). */
export interface PoolOptions {
  /** Connections kept open when idle. Default 0 (an idle service holds no connections). */
  min?: number;
  /** Most connections per server. Default 10. URL: connection_limit. */
  max?: number;
  /** Longest wait for a free connection before ORG_DATABASE_POOL_TIMEOUT. Default 30 000. URL: pool_timeout (s). */
  acquireTimeoutMs?: number;
  /** An idle connection is closed after this. Default 30 000. */
  idleTimeoutMs?: number;
  /** Longest wait for a new connection (pg connect + tarn create). Default 10 000. URL: connect_timeout (s). */
  createTimeoutMs?: number;
  /** Longest wait for closing one connection. Default 5 000. */
  destroyTimeoutMs?: number;
  /** How often idle connections are reaped. Default 1 000. */
  reapIntervalMs?: number;
}

export interface NodeSettings {
  pool: Required<PoolOptions>;
  statementTimeoutMs: number;
  keepAlive: boolean;
  keepAliveInitialDelayMs: number;
  applicationName: string;
  retry: RetryPolicy;
  /** Aborts waits between retries (destroy()). */
  signal: AbortSignal;
  onError: ErrorReporter;
}

/** Plain pool snapshot of one server. */
export interface PoolStats {
  /** Connections checked out. */
  used: number;
  /** Idle connections. */
  free: number;
  /** Callers waiting for a connection. */
  pendingAcquires: number;
  /** Connections being opened. */
  pendingCreates: number;
  max: number;
}

interface TarnPool {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  numPendingCreates(): number;
  release(resource: unknown): boolean;
  used: { resource: unknown }[];
}

interface PgClientLike {
  on(event: string, listener: (...args: never[]) => void): unknown;
  off(event: string, listener: (...args: never[]) => void): unknown;
  end(): Promise<void>;
  __knex__disposed?: unknown;
}

/** What pg is given for one server: the URL's settings as pg reads them, with this package's on top. */
export function pgConfigOf(
  connection: ResolvedConnection,
  settings: Pick<
    NodeSettings,
    'pool' | 'statementTimeoutMs' | 'keepAlive' | 'keepAliveInitialDelayMs' | 'applicationName'
  >,
): Record<string, unknown> {
  const config: Record<string, unknown> = {
    // Whatever else the URL said, as pg reads it (options, client_encoding, channel binding, …).
    ...connection.driver,
    // pg sends statement_timeout in the startup packet: no extra round trip per connection.
    statement_timeout: connection.statementTimeoutMs ?? settings.statementTimeoutMs,
    keepAlive: settings.keepAlive,
    keepAliveInitialDelayMillis: settings.keepAliveInitialDelayMs,
    connectionTimeoutMillis: connection.connectTimeoutMs ?? settings.pool.createTimeoutMs,
    application_name: connection.applicationName ?? settings.applicationName,
  };
  // What the config leaves out, pg fills in itself (its defaults, PGHOST, PGUSER, …), as for a URL.
  if (connection.host !== undefined) config.host = connection.host;
  if (connection.port !== undefined) config.port = connection.port;
  if (connection.database !== undefined) config.database = connection.database;
  if (connection.user !== undefined) config.user = connection.user;
  if (connection.password !== undefined) config.password = connection.password;
  if (connection.ssl !== undefined) config.ssl = connection.ssl;
  return config;
}

/**
 * One server (the primary or a replica): a knex instance over pg with a bounded pool, whose queries
 * reject with DatabaseErrors naming this server.
 */
export class DatabaseNode {
  readonly name: string;
  readonly role: 'primary' | 'replica';
  readonly connection: ResolvedConnection;
  readonly knex: Knex;
  /** What the knex client knows of this server; `fallback` is set for replicas by the database. */
  readonly binding: NodeBinding;
  readonly max: number;
  readonly destroyTimeoutMs: number;
  readonly #listeners = new ListenerGroup();
  readonly #onError: ErrorReporter;
  #destroying: Promise<number> | null = null;

  constructor(
    name: string,
    role: 'primary' | 'replica',
    connection: ResolvedConnection,
    settings: NodeSettings,
  ) {
    this.name = name;
    this.role = role;
    this.connection = connection;
    this.#onError = settings.onError;
    const pool = settings.pool;
    this.max = connection.connectionLimit ?? pool.max;
    const createTimeoutMs = connection.connectTimeoutMs ?? pool.createTimeoutMs;
    this.destroyTimeoutMs = pool.destroyTimeoutMs;
    this.binding = {
      name,
      role,
      max: this.max,
      retry: settings.retry,
      signal: settings.signal,
      fallback: null,
    };
    const pgConfig = pgConfigOf(connection, settings);
    this.knex = knex({
      client: typedClientClass(this.binding) as unknown as typeof Knex.Client,
      connection: pgConfig as Knex.PgConnectionConfig,
      pool: {
        min: Math.min(pool.min, this.max),
        max: this.max,
        acquireTimeoutMillis: connection.poolTimeoutMs ?? pool.acquireTimeoutMs,
        idleTimeoutMillis: pool.idleTimeoutMs,
        createTimeoutMillis: createTimeoutMs,
        destroyTimeoutMillis: pool.destroyTimeoutMs,
        reapIntervalMillis: pool.reapIntervalMs,
        // A failed connect rejects the waiting acquire at once instead of retrying until acquire timeout.
        propagateCreateError: true,
        afterCreate: (conn: PgClientLike, done: (err: Error | null, conn: unknown) => void) => {
          this.#watch(conn);
          done(null, conn);
        },
      },
      acquireConnectionTimeout: connection.poolTimeoutMs ?? pool.acquireTimeoutMs,
      log: {
        // knex logs through console by default; route its warnings into the one error channel instead.
        warn: () => {},
        deprecate: () => {},
        debug: () => {},
        error: (message: unknown) => report(this.#onError, message, { source: `database.${this.name}` }),
      },
    });
  }

  /** Listeners added to each pooled connection, kept by reference and removed when it ends. */
  get connectionListenerCount(): number {
    return this.#listeners.size;
  }

  #watch(conn: PgClientLike): void {
    // An 'error' on an idle client (server restart, network drop) must never become an uncaught
    // exception. knex marks the connection disposed, and the pool discards it on the next acquire.
    this.#listeners.on(conn, 'error', (error: unknown) => {
      report(
        this.#onError,
        new DatabaseError('ORG_DATABASE_IDLE_CLIENT_ERROR', `idle connection to ${this.name} failed`, {
          cause: error,
          details: { node: this.name },
        }),
        { source: `database.${this.name}` },
      );
    });
    this.#listeners.on(conn, 'end', () => this.#listeners.removeFrom(conn));
  }

  /** The knex client, for the read fallback of replicas. */
  get client(): KnexClient {
    return this.knex.client as KnexClient;
  }

  get #pool(): TarnPool | undefined {
    return (this.knex.client as { pool?: TarnPool }).pool;
  }

  poolStats(): PoolStats {
    const pool = this.#pool;
    if (!pool) return { used: 0, free: 0, pendingAcquires: 0, pendingCreates: 0, max: this.max };
    return {
      used: pool.numUsed(),
      free: pool.numFree(),
      pendingAcquires: pool.numPendingAcquires(),
      pendingCreates: pool.numPendingCreates(),
      max: this.max,
    };
  }

  /**
   * Destroys the pool within ctx's deadline. tarn waits for every checked-out connection to come back,
   * which hangs forever on a leaked or long-held connection; so when `grace` (a share of ctx) passes, the
   * held connections are ended and handed back to the pool. Resolves with how many connections were
   * terminated. Idempotent.
   */
  destroy(ctx: CloseContext, grace: CloseContext): Promise<number> {
    if (this.#destroying) return this.#destroying;
    this.#destroying = this.#destroy(ctx, grace);
    return this.#destroying;
  }

  async #destroy(ctx: CloseContext, grace: CloseContext): Promise<number> {
    const pool = this.#pool;
    const destroying = this.knex.destroy().then(
      () => true,
      () => true,
    );
    let terminated = 0;
    try {
      if (await Promise.race([destroying, aborted(grace.signal).then(() => false)])) return 0;
      const held = [...(pool?.used ?? [])];
      for (const { resource } of held) {
        const conn = resource as PgClientLike;
        conn.__knex__disposed = 'terminated by close()';
        conn.end().catch(() => {});
        pool?.release(conn);
        terminated++;
      }
      if (terminated > 0) {
        report(
          this.#onError,
          new DatabaseError(
            'ORG_DATABASE_CONNECTIONS_TERMINATED',
            `${this.name}: ${terminated} connection(s) still held at the close deadline were terminated`,
            { details: { node: this.name, terminated } },
          ),
          { source: `database.${this.name}` },
        );
      }
      await Promise.race([destroying, aborted(ctx.signal)]);
    } finally {
      this.#listeners.removeAll();
    }
    return terminated;
  }
}
