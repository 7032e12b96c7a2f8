/**
 * createDatabase/close with the harness's primary and replica: pools, the replication monitor it
 * starts, a write, routed reads (replica and read-your-writes), a transaction, a failing query,
 * health(), stats(), close(). Every pool connection, timer and listener must be gone after close().
 */
import { createDatabase } from '@org/shared-database';
import { defineScenario } from '@org/shared-leakcheck';
import { harnessUrls } from './_database.ts';

export const needs = ['DATABASE_URL'] as const;

export default defineScenario({
  name: 'database/create-close',
  description:
    'createDatabase(primary + replica, monitor) → write, read ×2, transaction, bad query, health → close ×2',
  iterations: 15,
  settleMs: 3000,
  async iteration(_state, i) {
    const { primary, replica } = harnessUrls();
    const db = createDatabase({
      primary,
      replicas: [replica],
      readYourWritesMs: 1000,
      monitor: { intervalMs: 20 },
      pool: { max: 3 },
      onError: () => {},
    });
    const request = {};
    await db.write(request).raw('select 1');
    const ryw = await db.read(request).raw('select pg_is_in_recovery() as r');
    if (ryw.rows[0].r !== false) throw new Error('read-your-writes read did not go to the primary');
    await db.monitor?.poll();
    await db.read().raw('select 1');
    await db.transaction(async (trx) => trx.raw('select 2'));
    const bad = await db
      .read()
      .raw('select * from leak_no_such_table')
      .then(
        () => null,
        (error: unknown) => error,
      );
    if (!bad) throw new Error('a query on a missing table did not reject');
    const health = await db.health();
    if (!health) throw new Error('no health report');
    db.stats();
    if (i % 3 === 0) await db.destroy('leak-check');
    else await db.close({ timeoutMs: 2000 });
    await db.close(); // idempotent
    return [db, db.primary, db.monitor ?? {}];
  },
});
