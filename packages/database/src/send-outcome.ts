import type { SendResult } from '@org/shared-lifecycle';
import { classifyError } from './classify.js';
import { EncodeError } from './copy-text.js';
import { DatabaseError, type DatabaseErrorCode, isRetryableCode } from './errors.js';
import type { WriteAttempt } from './writer-connection.js';

/**
 * Besides the retryable codes, what an operator or a failover fixes without the rows changing: a
 * read-only server after a failover, a password or a database not there yet. The writer keeps its
 * rows and tries again for these too.
 */
const FIXED_BY_OPERATIONS = new Set<DatabaseErrorCode>([
  'ORG_DATABASE_READ_ONLY',
  'ORG_DATABASE_AUTH',
  'ORG_DATABASE_UNKNOWN_DATABASE',
]);

function worthAnotherTry(code: DatabaseErrorCode): boolean {
  return isRetryableCode(code) || FIXED_BY_OPERATIONS.has(code);
}

const LOST_CONNECTION = new Set<DatabaseErrorCode>([
  'ORG_DATABASE_CONNECTION',
  'ORG_DATABASE_CONNECT_TIMEOUT',
]);

/** Words after which PostgreSQL quotes a name, not a value. */
const NAME_BEFORE =
  /\b(column|relation|constraint|table|index|type|encoding|schema|function|domain|sequence|operator|role|database)\s*$/i;

/**
 * A server message with its quoted values replaced by `"…"`: `invalid input syntax for type integer:
 * "abc"` shows no row data, `null value in column "n"` keeps the column's name.
 */
export function withoutValues(message: string): string {
  return message.replace(/"((?:[^"]|"")*)"/g, (match, _inner: string, offset: number) =>
    NAME_BEFORE.test(message.slice(0, offset)) ? match : '"…"',
  );
}

/** The row a COPY error names: `where` is "COPY t, line N[, column c…]", N counted from 1 within the COPY. */
function copyLine(where: unknown): { index?: number; column?: string } {
  if (typeof where !== 'string') return {};
  const match = /COPY [^\n]*?, line (\d+)(?:, column ([^:\n]+))?/.exec(where);
  if (!match) return {};
  return { index: Number(match[1]) - 1, ...(match[2] ? { column: match[2] } : {}) };
}

export interface OutcomeContext {
  attempt: WriteAttempt;
  rows: number;
  /** COPY errors name the refused row; multi-row INSERT errors do not. */
  copy: boolean;
  /** Keep the server's message as it is (it may quote row values). Default: values masked. */
  reportValues: boolean;
  signal: AbortSignal;
}

/**
 * The error handed to onRejected and reported for refused rows: the server's SQLSTATE and code, the
 * column and constraint when the server names them, the row within the request, and the message
 * without row values (unless reportValues). The original error is the cause.
 */
function refusal(
  typed: DatabaseError,
  index: number | undefined,
  column: string | undefined,
  keepValues: boolean,
): DatabaseError {
  const details: Record<string, unknown> = { ...typed.details };
  if (column !== undefined && details.column === undefined) details.column = column;
  if (index !== undefined) details.row = index;
  const message = keepValues ? typed.message : withoutValues(typed.message);
  return new DatabaseError(typed.code, message, {
    cause: typed.cause ?? typed,
    sqlState: typed.sqlState,
    details,
  });
}

/** A failure the writer knows to be worth another try of the same rows, none of them committed. */
export class TryAgain extends Error {
  readonly error: DatabaseError;

  constructor(error: DatabaseError) {
    super(error.message, { cause: error });
    this.name = 'TryAgain';
    this.error = error;
  }
}

/** What became of a write that failed, for the sink: refused rows, try again (maybe in doubt), or rejected. */
export function outcomeOf(error: unknown, context: OutcomeContext): SendResult {
  if (error instanceof EncodeError) {
    const typed = new DatabaseError(
      'ORG_DATABASE_DATA',
      `cannot encode the value: ${(error.cause as Error)?.message ?? error.message}`,
      {
        cause: error.cause,
        details: { column: error.column },
      },
    );
    return { kind: 'refused', error: refusal(typed, error.index, error.column, true), index: error.index };
  }
  if (error instanceof TryAgain) return { kind: 'failed', error: error.error, inDoubt: false };
  const typed = classifyError(error, { node: 'primary' });
  if (context.signal.aborted) return { kind: 'failed', error: typed, inDoubt: context.attempt.committing };
  const state = typed.sqlState;
  if (state?.startsWith('22') || state?.startsWith('23')) {
    const cause = typed.cause as { where?: unknown } | undefined;
    const line = context.copy ? copyLine(cause?.where) : {};
    const index =
      line.index !== undefined && line.index >= 0 && line.index < context.rows ? line.index : undefined;
    const result = refusal(typed, index, line.column, context.reportValues);
    return index === undefined
      ? { kind: 'refused', error: result }
      : { kind: 'refused', error: result, index };
  }
  if (worthAnotherTry(typed.code)) {
    // An answer from the server means it did not commit; a lost connection while committing may have.
    const inDoubt = context.attempt.committing && LOST_CONNECTION.has(typed.code);
    return { kind: 'failed', error: typed, inDoubt };
  }
  return { kind: 'rejected', error: typed };
}
