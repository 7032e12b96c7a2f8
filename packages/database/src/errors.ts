import { OrgError, type OrgErrorOptions } from '@org/shared-lifecycle';

/** Codes of @org/shared-database. Each is documented in the package README (a test keeps them in step). */
export const DATABASE_ERROR_CODES = {
  ORG_DATABASE_INVALID_OPTION: 'An option is missing, of the wrong type, or out of range.',
  ORG_DATABASE_INVALID_URL: 'A connection URL cannot be parsed or has an unsupported protocol or parameter.',
  ORG_DATABASE_CONNECTION:
    'The server cannot be reached or the connection was lost (SQLSTATE class 08, 57P01-57P03, socket errors). Retryable.',
  ORG_DATABASE_AUTH: 'Authentication failed: wrong password or unknown role (SQLSTATE 28P01, 28000).',
  ORG_DATABASE_UNKNOWN_DATABASE: 'The database named in the configuration does not exist (SQLSTATE 3D000).',
  ORG_DATABASE_TIMEOUT:
    'A statement or lock wait timed out (SQLSTATE 57014 statement_timeout, 55P03 lock_not_available). Retryable.',
  ORG_DATABASE_POOL_TIMEOUT:
    'No pool connection became free within acquireTimeoutMs (the pool is saturated or the server is slow). Retryable.',
  ORG_DATABASE_DEADLOCK: 'The transaction was chosen as a deadlock victim (SQLSTATE 40P01). Retryable.',
  ORG_DATABASE_SERIALIZATION:
    'A serializable or repeatable-read transaction conflicted (SQLSTATE 40001, 40000-class). Retryable.',
  ORG_DATABASE_CONSTRAINT:
    'An integrity constraint was violated: unique, foreign key, not null, check (class 23).',
  ORG_DATABASE_DATA: 'A value is invalid for its type or out of range (SQLSTATE class 22).',
  ORG_DATABASE_SYNTAX: 'The statement is invalid or names an unknown table or column (SQLSTATE class 42).',
  ORG_DATABASE_READ_ONLY: 'A write was sent to a read-only server, e.g. a replica (SQLSTATE 25006).',
  ORG_DATABASE_RESOURCES:
    'The server is out of a resource, e.g. too many connections (SQLSTATE class 53). Retryable.',
  ORG_DATABASE_QUERY:
    'Any other error reported by the server or the driver; the original error is the cause.',
  ORG_DATABASE_INVALID_ROW: 'BatchWriter.write() was given something that is not a plain row object.',
  ORG_DATABASE_ROWS_DROPPED:
    'A BatchWriter dropped rows (queue overflow or age, a batch the server rejected, or rows left at close); counted in stats.',
  ORG_DATABASE_REPLICA_DOWN:
    'A replica failed a health poll or a query on it lost its connection; it left the rotation.',
  ORG_DATABASE_MONITOR_POLL:
    'A replication-monitor poll of the primary failed; replica lag in bytes is unknown.',
  ORG_DATABASE_IDLE_CLIENT_ERROR:
    'An idle pooled connection emitted an error (e.g. the server restarted); it is discarded.',
  ORG_DATABASE_CONNECTIONS_TERMINATED:
    'close() reached its grace period with connections still checked out and terminated them.',
} as const;

export type DatabaseErrorCode = keyof typeof DATABASE_ERROR_CODES;

/** Codes whose operation may succeed when retried (after a backoff). */
const RETRYABLE: ReadonlySet<DatabaseErrorCode> = new Set<DatabaseErrorCode>([
  'ORG_DATABASE_CONNECTION',
  'ORG_DATABASE_TIMEOUT',
  'ORG_DATABASE_POOL_TIMEOUT',
  'ORG_DATABASE_DEADLOCK',
  'ORG_DATABASE_SERIALIZATION',
  'ORG_DATABASE_RESOURCES',
]);

export interface DatabaseErrorOptions extends OrgErrorOptions {
  sqlState?: string | undefined;
}

export class DatabaseError extends OrgError<DatabaseErrorCode> {
  /** The server's SQLSTATE, when the error came from PostgreSQL. */
  readonly sqlState: string | undefined;

  constructor(code: DatabaseErrorCode, message: string, options: DatabaseErrorOptions = {}) {
    super(code, message, options);
    this.sqlState = options.sqlState;
  }

  /** True when retrying the same operation later may succeed. */
  get isRetryable(): boolean {
    return RETRYABLE.has(this.code);
  }
}

export function isRetryableCode(code: DatabaseErrorCode): boolean {
  return RETRYABLE.has(code);
}

const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** Maps a SQLSTATE (or a Node socket error code) to a catalogue code. */
export function codeForSqlState(state: string): DatabaseErrorCode {
  if (SOCKET_CODES.has(state)) return 'ORG_DATABASE_CONNECTION';
  switch (state) {
    case '28P01':
    case '28000':
      return 'ORG_DATABASE_AUTH';
    case '3D000':
      return 'ORG_DATABASE_UNKNOWN_DATABASE';
    case '57014':
    case '55P03':
      return 'ORG_DATABASE_TIMEOUT';
    case '40P01':
      return 'ORG_DATABASE_DEADLOCK';
    case '25006':
      return 'ORG_DATABASE_READ_ONLY';
    case '57P01': // admin_shutdown
    case '57P02': // crash_shutdown
    case '57P03': // cannot_connect_now (starting up, recovery)
      return 'ORG_DATABASE_CONNECTION';
  }
  switch (state.slice(0, 2)) {
    case '08':
      return 'ORG_DATABASE_CONNECTION';
    case '40':
      return 'ORG_DATABASE_SERIALIZATION';
    case '23':
      return 'ORG_DATABASE_CONSTRAINT';
    case '22':
      return 'ORG_DATABASE_DATA';
    case '42':
      return 'ORG_DATABASE_SYNTAX';
    case '53':
      return 'ORG_DATABASE_RESOURCES';
    default:
      return 'ORG_DATABASE_QUERY';
  }
}

const CONNECTION_MESSAGES = [
  'Connection terminated',
  'connection terminated',
  'Client has encountered a connection error',
  'Connection ended unexpectedly',
  'timeout expired',
  'Client was closed and is not queryable',
];

/**
 * Turns anything thrown by knex or pg into a DatabaseError with a catalogue code, `isRetryable` and
 * the original error as `cause`. A DatabaseError is returned as it is.
 */
export function classifyError(error: unknown, context: { node?: string } = {}): DatabaseError {
  if (error instanceof DatabaseError) return error;
  const err = error as { code?: unknown; name?: unknown; message?: unknown } | null;
  const message = typeof err?.message === 'string' ? err.message : String(error);
  const where = context.node ? ` (${context.node})` : '';
  const details: Record<string, unknown> = context.node ? { node: context.node } : {};
  const rawCode = typeof err?.code === 'string' ? err.code : undefined;
  if (err?.name === 'KnexTimeoutError') {
    const code: DatabaseErrorCode = message.includes('acquiring a connection')
      ? 'ORG_DATABASE_POOL_TIMEOUT'
      : 'ORG_DATABASE_TIMEOUT';
    return new DatabaseError(code, `${message}${where}`, { cause: error, details });
  }
  if (rawCode) {
    const code = codeForSqlState(rawCode);
    const sqlState = /^[0-9A-Z]{5}$/.test(rawCode) ? rawCode : undefined;
    return new DatabaseError(code, `${message}${where}`, {
      cause: error,
      sqlState,
      details: { ...details, ...(sqlState ? { sqlState } : { errno: rawCode }) },
    });
  }
  if (CONNECTION_MESSAGES.some((text) => message.includes(text))) {
    return new DatabaseError('ORG_DATABASE_CONNECTION', `${message}${where}`, { cause: error, details });
  }
  return new DatabaseError('ORG_DATABASE_QUERY', `${message}${where}`, { cause: error, details });
}
