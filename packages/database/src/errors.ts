import { OrgError, type OrgErrorOptions } from '@org/shared-lifecycle';

/** Codes of @org/shared-database. Each is documented in the package README (a test keeps them in step). */
export const DATABASE_ERROR_CODES = {
  ORG_DATABASE_INVALID_OPTION: 'An option is missing, of the wrong type, or out of range.',
  ORG_DATABASE_INVALID_URL:
    'A connection URL cannot be parsed (bad syntax or percent-encoding, an unreadable TLS file) or one of this package’s own parameters is wrong; the password is never shown.',
  ORG_DATABASE_CONNECTION:
    'The server cannot be reached or the connection was lost (SQLSTATE class 08, 57P01-57P03, socket errors). Retryable.',
  ORG_DATABASE_CONNECT_TIMEOUT:
    'A new connection was not established within the connect timeout: the server (or something in between) accepted the TCP connection and never answered. Retryable.',
  ORG_DATABASE_AUTH:
    'Authentication failed: wrong or missing password, unknown role (SQLSTATE 28P01, 28000).',
  ORG_DATABASE_UNKNOWN_DATABASE: 'The database named in the configuration does not exist (SQLSTATE 3D000).',
  ORG_DATABASE_TIMEOUT:
    'A statement or lock wait timed out (SQLSTATE 57014 statement_timeout, 55P03 lock_not_available, a query timeout). Retryable.',
  ORG_DATABASE_POOL_TIMEOUT:
    'No pool connection became free within acquireTimeoutMs while every connection of the pool was in use. Retryable.',
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
  ORG_DATABASE_ROWS_REJECTED:
    'Reported: PostgreSQL refused rows of a BatchWriter for their data (class 22 or 23); only those rows were dropped and handed to onRejected; details.sample names row, column and SQLSTATE, never values.',
  ORG_DATABASE_ROWS_DROPPED:
    'Reported: a BatchWriter dropped rows (queue overflow or age, oversize, left at the close deadline) or could not confirm rows whose answer was lost; counted in stats.',
  ORG_DATABASE_REPLICA_DOWN:
    'Reported: a replica failed a health poll or a query on it lost its connection; it left the rotation.',
  ORG_DATABASE_MONITOR_POLL:
    'Reported: a replication-monitor poll of the primary failed; replica lag in bytes is unknown.',
  ORG_DATABASE_IDLE_CLIENT_ERROR:
    'Reported: an idle pooled connection emitted an error (e.g. the server restarted); it is discarded.',
  ORG_DATABASE_CONNECTIONS_TERMINATED:
    'Reported: close() reached its grace period with connections still checked out and terminated them.',
} as const;

export type DatabaseErrorCode = keyof typeof DATABASE_ERROR_CODES;

/** Codes whose operation may succeed when retried (after a backoff). */
const RETRYABLE: ReadonlySet<DatabaseErrorCode> = new Set<DatabaseErrorCode>([
  'ORG_DATABASE_CONNECTION',
  'ORG_DATABASE_CONNECT_TIMEOUT',
  'ORG_DATABASE_TIMEOUT',
  'ORG_DATABASE_POOL_TIMEOUT',
  'ORG_DATABASE_DEADLOCK',
  'ORG_DATABASE_SERIALIZATION',
  'ORG_DATABASE_RESOURCES',
]);

/** True when retrying the same operation later may succeed. */
export function isRetryableCode(code: DatabaseErrorCode): boolean {
  return RETRYABLE.has(code);
}

export interface DatabaseErrorOptions extends OrgErrorOptions {
  sqlState?: string | undefined;
}

/**
 * Brands every DatabaseError, so `instanceof DatabaseError` holds for errors made by another loaded copy
 * of this package (two versions in one node_modules tree, a bundled copy), as undici does for its errors.
 */
const kDatabaseError = Symbol.for('org.shared-database.DatabaseError');

export class DatabaseError extends OrgError<DatabaseErrorCode> {
  /** The server's SQLSTATE, when the error came from PostgreSQL. */
  readonly sqlState: string | undefined;

  constructor(code: DatabaseErrorCode, message: string, options: DatabaseErrorOptions = {}) {
    super(code, message, options);
    this.sqlState = options.sqlState;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[kDatabaseError] === true
    );
  }

  /** True when retrying the same operation later may succeed. */
  get isRetryable(): boolean {
    return RETRYABLE.has(this.code);
  }
}

// On the prototype, not on each instance: it stays out of util.inspect and JSON.
Object.defineProperty(DatabaseError.prototype, kDatabaseError, { value: true });
