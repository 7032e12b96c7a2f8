import { DatabaseError, type DatabaseErrorCode } from './errors.js';

const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENOENT', // a unix socket path with no server behind it
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

/** What pg says when a connect does not finish within connectionTimeoutMillis. */
const CONNECT_TIMEOUT_MESSAGES = ['timeout expired', 'Connection terminated due to connection timeout'];

/** What pg says (without a SQLSTATE) when the server asks for a password and none was configured. */
const MISSING_PASSWORD_MESSAGES = ['client password must be a string', 'client password must be a non-empty'];

const CONNECTION_MESSAGES = [
  'Connection terminated',
  'connection terminated',
  'Client has encountered a connection error',
  'Connection ended unexpectedly',
  'Client was closed and is not queryable',
  'The server does not support SSL connections',
];

/** Server-side identifiers of a pg error worth keeping in details (names, never values). */
const IDENTIFIER_FIELDS = ['schema', 'table', 'column', 'constraint', 'dataType'] as const;

export interface ClassifyContext {
  /** The server the error came from: 'primary', 'replica-1', … */
  node?: string;
  /**
   * For an acquire timeout: whether every connection of the pool was in use. A timeout with room in
   * the pool means the connects themselves hung (ORG_DATABASE_CONNECT_TIMEOUT), not a full pool.
   */
  poolFull?: boolean;
}

function has(message: string, texts: readonly string[]): boolean {
  return texts.some((text) => message.includes(text));
}

/**
 * Turns anything thrown by knex or pg into a DatabaseError with a catalogue code, `isRetryable` and
 * the original error as `cause`. A DatabaseError (of any loaded copy of this package) is returned as
 * it is. Query parameters knex attaches to its errors (`bindings`) are hidden from inspect and JSON.
 */
export function classifyError(error: unknown, context: ClassifyContext = {}): DatabaseError {
  if (error instanceof DatabaseError) return error;
  const err = error as { code?: unknown; name?: unknown; message?: unknown } | null;
  const message = typeof err?.message === 'string' ? err.message : String(error);
  hideBindings(error);
  const where = context.node ? ` (${context.node})` : '';
  const details: Record<string, unknown> = context.node ? { node: context.node } : {};
  const make = (code: DatabaseErrorCode, sqlState?: string) =>
    new DatabaseError(code, `${message}${where}`, { cause: error, sqlState, details });
  if (err?.name === 'KnexTimeoutError') {
    if (!message.includes('acquiring a connection')) return make('ORG_DATABASE_TIMEOUT');
    return make(context.poolFull === false ? 'ORG_DATABASE_CONNECT_TIMEOUT' : 'ORG_DATABASE_POOL_TIMEOUT');
  }
  // tarn's own TimeoutError: a connection create that did not finish within createTimeoutMillis.
  if (err?.name === 'TimeoutError' || has(message, CONNECT_TIMEOUT_MESSAGES)) {
    return make('ORG_DATABASE_CONNECT_TIMEOUT');
  }
  if (has(message, MISSING_PASSWORD_MESSAGES)) return make('ORG_DATABASE_AUTH');
  const rawCode = typeof err?.code === 'string' ? err.code : undefined;
  if (rawCode) {
    const sqlState = /^[0-9A-Z]{5}$/.test(rawCode) ? rawCode : undefined;
    if (sqlState) {
      details.sqlState = sqlState;
      for (const field of IDENTIFIER_FIELDS) {
        const value = (error as Record<string, unknown>)[field];
        if (typeof value === 'string') details[field] = value;
      }
    } else {
      details.errno = rawCode;
    }
    return make(codeForSqlState(rawCode), sqlState);
  }
  if (has(message, CONNECTION_MESSAGES)) return make('ORG_DATABASE_CONNECTION');
  return make('ORG_DATABASE_QUERY');
}

/** knex puts the query's parameters on some errors; they may hold anything, so keep them out of logs. */
function hideBindings(error: unknown): void {
  if (typeof error !== 'object' || error === null) return;
  const descriptor = Object.getOwnPropertyDescriptor(error, 'bindings');
  if (descriptor?.enumerable) Object.defineProperty(error, 'bindings', { ...descriptor, enumerable: false });
}
