/** Counting what was stored, for the lost-data check: a SQL query or an HTTP endpoint. */
import { setTimeout as wait } from 'node:timers/promises';
import pg from 'pg';

/**
 * A count from a SQL query whose first column of the first row is the number (e.g.
 * `select count(distinct event_id) from events where event_id like $1`). One connection, retried
 * for up to 10 s so that a count right after a primary restart still answers. Call close() at the end.
 */
export function sqlCount(options: {
  connectionString: string;
  query: string;
  params?: readonly unknown[];
}): (() => Promise<number>) & { close: () => Promise<void> } {
  let pool: pg.Pool | null = null;
  const count = async (): Promise<number> => {
    if (!pool) {
      pool = new pg.Pool({ connectionString: options.connectionString, max: 1 });
      // Idle-client errors (a primary restart) are expected; the next query reconnects.
      pool.on('error', () => {});
    }
    for (let attempt = 0; ; attempt++) {
      try {
        const { rows } = await pool!.query(options.query, options.params ? [...options.params] : []);
        const value = Number(Object.values((rows[0] ?? {}) as Record<string, unknown>)[0]);
        if (!Number.isFinite(value)) throw new Error('the query did not return a number in its first column');
        return value;
      } catch (error) {
        if (attempt >= 20) throw error;
        await wait(500);
      }
    }
  };
  return Object.assign(count, {
    close: async () => {
      const p = pool;
      pool = null;
      await p?.end();
    },
  });
}

/** A count from an HTTP endpoint answering JSON; `pick` finds the number in it (default: the body itself or its `count`). */
export function httpCount(options: {
  url: string;
  headers?: Record<string, string>;
  pick?: (body: unknown) => number;
}): () => Promise<number> {
  return async () => {
    const res = await fetch(options.url, {
      ...(options.headers ? { headers: options.headers } : {}),
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`${options.url} answered ${res.status}`);
    const body = (await res.json()) as unknown;
    const value = options.pick
      ? options.pick(body)
      : typeof body === 'number'
        ? body
        : (body as { count?: unknown }).count;
    if (typeof value !== 'number' || !Number.isFinite(value))
      throw new Error(`${options.url}: no count in the answer`);
    return value;
  };
}
