import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDatabase, DatabaseError } from '../src/index.js';
import { harnessEnv, rawKnex, uniqueName, waitFor } from './helpers.js';

const env = harnessEnv();
const table = uniqueName('conflict');
// Deadlocks are found after deadlock_timeout (1 s by default); the superuser of the harness may lower it per session.
const fast = `${env.primary}?options=${encodeURIComponent('-c deadlock_timeout=50ms')}`;

/** A promise with its resolve function. */
function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/**
 * The other side of a deadlock, in a plain knex (not ours): locks row 1, tells `holding`, waits for
 * `go`, then locks row 2. It waits first, so it is not the one whose deadlock check closes the cycle.
 */
async function otherSide(
  holding: () => void,
  go: Promise<void>,
): Promise<{ pid: number; done: Promise<void> }> {
  const other = rawKnex(fast);
  const trx = await other.transaction();
  const { rows } = await trx.raw('SELECT pg_backend_pid() AS pid');
  await trx.raw(`SELECT 1 FROM ${table} WHERE id = 1 FOR UPDATE`);
  holding();
  const done = (async () => {
    try {
      await go;
      await trx.raw(`SELECT 1 FROM ${table} WHERE id = 2 FOR UPDATE`);
      await trx.commit();
    } catch (error) {
      await trx.rollback().catch(() => {});
      throw error;
    } finally {
      await other.destroy();
    }
  })();
  return { pid: rows[0].pid, done };
}

/**
 * Until the backend `pid` waits for a lock, and then past its deadlock check (deadlock_timeout 50 ms):
 * it found no cycle then, so the cycle is found by whoever waits next.
 */
async function waitingForLock(pid: number): Promise<void> {
  await using admin = rawKnex(env.primary);
  await waitFor(
    async () => {
      const { rows } = await admin.raw('SELECT wait_event_type AS w FROM pg_stat_activity WHERE pid = ?', [
        pid,
      ]);
      return rows[0]?.w === 'Lock';
    },
    { what: 'the other transaction to wait for its lock' },
  );
  await new Promise((resolve) => setTimeout(resolve, 200));
}

describe('deadlocks and serialization failures are retried, with a bound', () => {
  beforeAll(async () => {
    await using admin = rawKnex(env.primary);
    await admin.raw(`CREATE TABLE ${table} (id int PRIMARY KEY, v int NOT NULL DEFAULT 0)`);
  });
  beforeEach(async () => {
    await using admin = rawKnex(env.primary);
    await admin.raw(`TRUNCATE ${table}; INSERT INTO ${table} (id) VALUES (1), (2)`);
  });
  afterAll(async () => {
    await using admin = rawKnex(env.primary);
    await admin.raw(`DROP TABLE IF EXISTS ${table}`);
  });

  it('transaction(): a deadlock victim runs again and commits; with attempts: 1 it rejects typed and retryable', async () => {
    await using db = createDatabase({ primary: fast, retry: { initialMs: 10, maxMs: 50 } });
    const run = async (attempts?: number) => {
      let calls = 0;
      const theirsHolds = signal();
      const oursHolds = signal();
      const theirs = otherSide(theirsHolds.resolve, oursHolds.promise);
      const ours = db.transaction(
        async (trx) => {
          calls++;
          if (calls === 1) await theirsHolds.promise;
          await trx.raw(`UPDATE ${table} SET v = v + 1 WHERE id = 2`);
          if (calls === 1) {
            oursHolds.resolve();
            await waitingForLock((await theirs).pid);
          }
          // The second to wait: its deadlock check closes the cycle, so ours is the victim.
          await trx.raw(`UPDATE ${table} SET v = v + 1 WHERE id = 1`);
        },
        undefined,
        attempts === undefined ? {} : { attempts },
      );
      const result = await ours.then(
        () => null,
        (error: unknown) => error,
      );
      await (await theirs).done;
      return { error: result, calls };
    };
    const retried = await run();
    expect(retried).toEqual({ error: null, calls: 2 });
    const { rows } = await db.primary.raw(`SELECT v FROM ${table} ORDER BY id`);
    expect(rows.map((r: { v: number }) => r.v)).toEqual([1, 1]);

    const once = await run(1);
    expect(once.calls).toBe(1);
    expect(once.error).toBeInstanceOf(DatabaseError);
    expect(once.error).toMatchObject({ code: 'ORG_DATABASE_DEADLOCK', sqlState: '40P01', isRetryable: true });
  });

  it('transaction(): a serialization failure (40001) under repeatable read runs again on a fresh snapshot', async () => {
    await using db = createDatabase({ primary: env.primary, retry: { initialMs: 10, maxMs: 50 } });
    let calls = 0;
    const readDone = signal();
    const otherCommitted = signal();
    const ours = db.transaction(async (trx) => {
      calls++;
      await trx.raw('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      const { rows } = await trx.raw(`SELECT v FROM ${table} WHERE id = 1`);
      if (calls === 1) {
        readDone.resolve();
        await otherCommitted.promise; // meanwhile another transaction commits an update of the same row
      }
      await trx.raw(`UPDATE ${table} SET v = ? WHERE id = 1`, [rows[0].v + 10]);
    });
    await readDone.promise;
    await db.primary.raw(`UPDATE ${table} SET v = v + 1 WHERE id = 1`);
    otherCommitted.resolve();
    await ours;
    expect(calls).toBe(2);
    const { rows } = await db.primary.raw(`SELECT v FROM ${table} WHERE id = 1`);
    expect(rows[0].v).toBe(11); // the retry saw the other update: no lost update
  });

  it('a statement outside a transaction that is a deadlock victim runs again', async () => {
    const deadlockingStatement = async (attempts: number) => {
      await using db = createDatabase({ primary: fast, retry: { attempts, initialMs: 10, maxMs: 50 } });
      let statements = 0;
      db.primary.on('query', () => statements++);
      const theirsHolds = signal();
      const oursHolds = signal();
      const theirs = otherSide(theirsHolds.resolve, oursHolds.promise);
      await theirsHolds.promise;
      const { pid } = await theirs;
      // One statement (a DO block): locks row 2, sleeps while the other side asks for row 2, then asks for row 1.
      const ours = Promise.resolve(
        db.write().raw(
          `DO $$ BEGIN
             PERFORM 1 FROM ${table} WHERE id = 2 FOR UPDATE;
             PERFORM pg_sleep(1);
             PERFORM 1 FROM ${table} WHERE id = 1 FOR UPDATE;
           END $$`,
        ),
      );
      await using admin = rawKnex(env.primary);
      await waitFor(
        async () => {
          const { rows } = await admin.raw(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE 'DO $$%' AND wait_event = 'PgSleep'",
          );
          return rows[0].n > 0;
        },
        { what: 'our statement to hold row 2 and sleep' },
      );
      oursHolds.resolve();
      await waitingForLock(pid);
      const error = await ours.then(
        () => null,
        (e: unknown) => e,
      );
      await (await theirs).done.catch(() => {});
      return { error, statements };
    };
    const retried = await deadlockingStatement(3);
    expect(retried.error).toBeNull();
    expect(retried.statements).toBeGreaterThanOrEqual(2);
    const once = await deadlockingStatement(1);
    expect(once.error).toMatchObject({ code: 'ORG_DATABASE_DEADLOCK' });
  });
});
