import { createRequire } from 'node:module';
import { Backoff, type BackoffOptions, sleep } from '@org/shared-lifecycle';
import type { Knex } from 'knex';
import { classifyError } from './classify.js';
import type { DatabaseError } from './errors.js';

/**
 * knex's pg client and query runner, extended so that every query of a knex instance this package
 * hands out rejects with a classified DatabaseError: builders, `.raw`, schema builders, queries inside
 * a transaction (knex's transaction client inherits from the instance's client class), acquire and
 * query timeouts. One place, below every path, instead of a wrapper per method.
 */
const require = createRequire(import.meta.url);

interface KnexRunner {
  client: KnexClient;
  builder: KnexBuilder;
  run(): Promise<unknown>;
}

interface KnexBuilder {
  _method?: string;
  _connection?: unknown;
  isRawInstance?: boolean;
  sql?: unknown;
  _sequence?: unknown;
}

export interface KnexClient {
  transacting?: boolean;
  pool?: { numUsed(): number } | null;
  runner(builder: KnexBuilder): KnexRunner;
  acquireConnection(): Promise<unknown>;
}

type ClientClass = new (config: Knex.Config) => KnexClient;
type RunnerClass = new (client: KnexClient, builder: KnexBuilder) => KnexRunner;

const PgClient = require('knex/lib/dialects/postgres/index.js') as ClientClass;
const Runner = require('knex/lib/execution/runner.js') as RunnerClass;

/** What a node's client knows about its server. Lives on the class prototype, so transaction clients inherit it. */
export interface NodeBinding {
  readonly name: string;
  readonly role: 'primary' | 'replica';
  /** Pool size: an acquire timeout with every connection in use is a full pool, else hanging connects. */
  readonly max: number;
  /** Statement-level retry of deadlocks and serialization failures outside a transaction. */
  readonly retry: RetryPolicy;
  /** Aborts retry waits (the database is being destroyed). */
  readonly signal: AbortSignal;
  /**
   * For a replica: the primary's client, where a read whose connection failed before any answer runs
   * once more. Null on the primary.
   */
  fallback: (() => KnexClient | null) | null;
  /** Counts a read moved to the primary. */
  onFallback?: (error: DatabaseError) => void;
}

export interface RetryPolicy {
  /** Attempts in all, the first included. 1 = no retry. */
  readonly attempts: number;
  readonly backoff: BackoffOptions;
}

const kBinding = Symbol('org.shared-database.node');

/** Deadlock victim or serialization failure: PostgreSQL rolled the statement back; running it again is safe. */
export function isConflict(error: DatabaseError): boolean {
  return error.code === 'ORG_DATABASE_DEADLOCK' || error.code === 'ORG_DATABASE_SERIALIZATION';
}

/** The connection failed before any answer came (not a full pool, not a statement error). */
function lostConnection(error: DatabaseError): boolean {
  return error.code === 'ORG_DATABASE_CONNECTION' || error.code === 'ORG_DATABASE_CONNECT_TIMEOUT';
}

const READ_METHODS = new Set(['select', 'first', 'pluck']);
const READ_SQL = /^[\s(]*(select|with|show|values|table|explain)\b/i;
const WRITE_SQL = /\b(insert|update|delete|merge|copy|call|lock|do)\b|\bfor\s+(update|share|no\s+key|key)\b/i;

/** A statement that only reads: safe to run again on another server. */
function isRead(builder: KnexBuilder): boolean {
  if (builder.isRawInstance) {
    const sql = typeof builder.sql === 'string' ? builder.sql : '';
    return READ_SQL.test(sql) && !WRITE_SQL.test(sql);
  }
  return builder._sequence === undefined && READ_METHODS.has(builder._method ?? '');
}

/** One statement (query builder or raw), not a schema builder's sequence: safe to run again whole. */
function isSingleStatement(builder: KnexBuilder): boolean {
  return builder._sequence === undefined;
}

class TypedRunner extends Runner {
  readonly #attempt: number;

  constructor(client: KnexClient, builder: KnexBuilder, attempt = 1) {
    super(client, builder);
    this.#attempt = attempt;
  }

  override async run(): Promise<unknown> {
    try {
      return await super.run();
    } catch (error) {
      const binding = bindingOf(this.client);
      const typed = classifyError(error, { node: binding.name });
      const standalone = !this.client.transacting && this.builder._connection === undefined;
      if (standalone && binding.fallback && lostConnection(typed) && isRead(this.builder)) {
        const primary = binding.fallback();
        if (primary) {
          binding.onFallback?.(typed);
          return primary.runner(this.builder).run();
        }
      }
      if (standalone && isConflict(typed) && isSingleStatement(this.builder)) {
        if (this.#attempt < binding.retry.attempts) {
          await sleep(conflictDelay(binding.retry, this.#attempt), binding.signal).catch(() => {
            throw typed;
          });
          return new TypedRunner(this.client, this.builder, this.#attempt + 1).run();
        }
      }
      throw typed;
    }
  }
}

/** The wait before attempt `attempt + 1` (exponential, jittered), as the lifecycle Backoff computes it. */
export function conflictDelay(policy: RetryPolicy, attempt: number): number {
  const backoff = new Backoff(policy.backoff);
  let delay = 0;
  for (let i = 0; i < attempt; i++) delay = backoff.next();
  return delay;
}

function bindingOf(client: KnexClient): NodeBinding {
  return (client as unknown as Record<symbol, NodeBinding>)[kBinding]!;
}

/** A knex client class for one server: its queries reject with DatabaseErrors that name it. */
export function typedClientClass(binding: NodeBinding): ClientClass {
  class TypedClient extends PgClient {
    override runner(builder: KnexBuilder): KnexRunner {
      return new TypedRunner(this, builder);
    }

    override async acquireConnection(): Promise<unknown> {
      try {
        return await super.acquireConnection();
      } catch (error) {
        // knex calls every acquire timeout "the pool is probably full"; with free slots, the connects hung.
        const used = this.pool?.numUsed() ?? 0;
        throw classifyError(error, { node: binding.name, poolFull: used >= binding.max });
      }
    }
  }
  Object.defineProperty(TypedClient.prototype, kBinding, { value: binding });
  return TypedClient;
}
