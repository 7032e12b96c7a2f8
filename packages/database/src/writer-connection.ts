import { aborted } from '@org/shared-lifecycle';
import type { Knex } from 'knex';
import { classifyError } from './classify.js';

/** A pooled pg client as the writer uses it. */
export interface RawClient {
  query(query: unknown, values?: unknown[]): unknown;
  __knex__disposed?: unknown;
  connection?: { stream?: { destroy(error?: Error): void } };
}

/**
 * How far one write got, for the one question a lost answer raises: could the server have committed?
 * `committing` is set just before sending what commits (COMMIT, the end of an autocommit COPY, an
 * autocommit INSERT); a connection lost after that leaves the rows in doubt.
 */
export class WriteAttempt {
  committing = false;
}

interface PoolClient {
  acquireConnection(): Promise<RawClient>;
  releaseConnection(conn: RawClient): Promise<unknown>;
}

/** Rejects with the signal's reason when it aborts; handled, so an abort after the race is not unhandled. */
function rejectOnAbort(signal: AbortSignal): Promise<never> {
  const rejection = aborted(signal).then(() => {
    throw signal.reason;
  });
  rejection.catch(() => {});
  return rejection;
}

/**
 * Runs `work` on a pooled connection of `knex`, within `signal`. An abort while waiting for the
 * connection stops the wait (a connection that arrives later goes straight back); an abort during the
 * work ends the connection's socket, which cuts whatever it was doing (the server rolls back what was
 * not committed), and the pool discards it. A connection that failed (it may be in the middle of the
 * COPY sub-protocol) is discarded too.
 */
export async function withConnection<T>(
  knex: Knex,
  signal: AbortSignal,
  work: (conn: RawClient) => Promise<T>,
): Promise<T> {
  const client = knex.client as PoolClient;
  if (signal.aborted) throw signal.reason;
  const acquiring = client.acquireConnection();
  let conn: RawClient;
  try {
    conn = await Promise.race([acquiring, rejectOnAbort(signal)]);
  } catch (error) {
    if (signal.aborted)
      acquiring.then(
        (late) => client.releaseConnection(late),
        () => {},
      );
    throw error;
  }
  const cut = () => {
    conn.__knex__disposed = signal.reason;
    conn.connection?.stream?.destroy();
  };
  signal.addEventListener('abort', cut, { once: true });
  try {
    return await work(conn);
  } catch (error) {
    if (signal.aborted || classifyError(error).code === 'ORG_DATABASE_CONNECTION') {
      conn.__knex__disposed ??= error;
    }
    throw error;
  } finally {
    signal.removeEventListener('abort', cut);
    await client.releaseConnection(conn);
  }
}
