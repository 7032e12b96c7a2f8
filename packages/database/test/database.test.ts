import { LifecycleError } from '@org/shared-lifecycle';
import { activeResources, isCollected, resourcesAddedSince } from '@org/shared-lifecycle/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, DatabaseError } from '../src/index.js';
import { collectErrors, harnessEnv, rawKnex, uniqueName, waitFor } from './helpers.js';

const env = harnessEnv();
const table = uniqueName('db_test');

describe('createDatabase on the harness (primary + streaming replica)', () => {
  beforeAll(async () => {
    await using admin = rawKnex(env.primary);
    await admin.schema.createTable(table, (t) => {
      t.increments('id');
      t.text('name').notNullable().unique();
    });
  });
  afterAll(async () => {
    await using admin = rawKnex(env.primary);
    await admin.schema.dropTableIfExists(table);
  });

  it('reads a row written on the primary through read() from the replica', async () => {
    const { onError } = collectErrors();
    await using db = createDatabase({
      primary: env.primary,
      replicas: env.replicas,
      monitor: { intervalMs: 100 },
      onError,
    });
    expect(db.monitor).not.toBeNull();
    await db.write().insert({ name: 'alice' }).into(table);
    await waitFor(() => db.monitor!.healthyReplicas().length === 1, { what: 'the replica to be up' });
    const reader = db.read();
    expect(reader).not.toBe(db.primary);
    const { rows } = await reader.raw('SELECT pg_is_in_recovery() AS standby');
    expect(rows[0].standby).toBe(true);
    const row = await waitFor(
      async () => (await db.read().select('name').from(table).where({ name: 'alice' }))[0],
      {
        what: 'the row on the replica',
      },
    );
    expect(row.name).toBe('alice');
    expect(db.stats().routing.replica).toBeGreaterThan(0);
  });

  it('sends reads to the primary inside the read-your-writes window of the same context', async () => {
    await using db = createDatabase({
      primary: env.primary,
      replicas: env.replicas,
      monitor: { intervalMs: 100 },
      readYourWritesMs: 60_000,
    });
    await waitFor(() => db.monitor!.healthyReplicas().length === 1, { what: 'the replica to be up' });
    const request = {};
    const other = {};
    await db.write(request).insert({ name: 'bob' }).into(table);
    expect(db.read(request)).toBe(db.primary);
    expect(db.read(other)).not.toBe(db.primary);
    await db.transaction(async (trx) => trx.insert({ name: 'carol' }).into(table), other);
    expect(db.read(other)).toBe(db.primary);
    expect(db.stats().routing.readYourWrites).toBe(2);
  });

  it('without replicas has no monitor and reads from the primary', async () => {
    await using db = createDatabase(env.primary);
    expect(db.monitor).toBeNull();
    expect(db.read()).toBe(db.primary);
    const { rows } = await db.read().raw('SELECT 1 AS one');
    expect(rows[0].one).toBe(1);
  });

  it('rejects transactions with classified errors (constraint, not retryable)', async () => {
    await using db = createDatabase(env.primary);
    await db.write().insert({ name: 'dup' }).into(table);
    const error = await db
      .transaction(async (trx) => trx.insert({ name: 'dup' }).into(table))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseError);
    expect((error as DatabaseError).code).toBe('ORG_DATABASE_CONSTRAINT');
    expect((error as DatabaseError).sqlState).toBe('23505');
    expect((error as DatabaseError).isRetryable).toBe(false);
  });

  it('reports health: primary reachable, replica state and lag, pool usage', async () => {
    await using db = createDatabase({
      primary: env.primary,
      replicas: env.replicas,
      monitor: { intervalMs: 100 },
    });
    await waitFor(() => db.monitor!.healthyReplicas().length === 1, { what: 'the replica to be up' });
    const health = await db.health();
    expect(health.ok).toBe(true);
    expect(health.primary.reachable).toBe(true);
    expect(health.primary.latencyMs).toBeGreaterThanOrEqual(0);
    expect(health.primary.pool).toMatchObject({ used: 0, pendingAcquires: 0, max: 10 });
    expect(health.primary.label).not.toContain('password');
    expect(health.replicas).toHaveLength(1);
    expect(health.replicas[0]).toMatchObject({ name: 'replica-1', state: 'up', replayPaused: false });
    expect(health.replicas[0]!.lagSeconds).toBeLessThan(5);
    expect(health.replicas[0]!.lagBytes).toBeGreaterThanOrEqual(0);
    const stats = db.stats();
    expect(Object.keys(stats.pools)).toEqual(['primary', 'replica-1']);
    expect(stats.replicas[0]).toMatchObject({ name: 'replica-1', state: 'up' });
    expect(stats.monitor!.polls).toBeGreaterThan(0);
  });

  it('shows pool usage and times out acquires with ORG_DATABASE_POOL_TIMEOUT when the pool is full', async () => {
    await using db = createDatabase({ primary: env.primary, pool: { max: 1, acquireTimeoutMs: 200 } });
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const trx = db.transaction(async () => {
      entered();
      await held;
    });
    await inside;
    expect(db.stats().pools.primary).toMatchObject({ used: 1, max: 1 });
    const error = await db.transaction(async (t) => t.raw('SELECT 1')).catch((e: unknown) => e);
    expect((error as DatabaseError).code).toBe('ORG_DATABASE_POOL_TIMEOUT');
    expect((error as DatabaseError).isRetryable).toBe(true);
    release();
    await trx;
    expect(db.stats().pools.primary).toMatchObject({ used: 0, free: 1, pendingAcquires: 0 });
  });

  it('applies statement_timeout to every connection (ORG_DATABASE_TIMEOUT)', async () => {
    await using db = createDatabase({ primary: env.primary, statementTimeoutMs: 100 });
    const { rows } = await db.primary.raw('SHOW statement_timeout');
    expect(rows[0].statement_timeout).toBe('100ms');
    const error = await db.transaction(async (t) => t.raw('SELECT pg_sleep(2)')).catch((e: unknown) => e);
    expect((error as DatabaseError).code).toBe('ORG_DATABASE_TIMEOUT');
    expect((error as DatabaseError).sqlState).toBe('57014');
  });

  it('survives an error on an idle pooled connection, reports it, and recovers', async () => {
    const reported = collectErrors();
    await using db = createDatabase({
      primary: {
        ...(await import('../src/index.js')).parseConnectionUrl(env.primary),
        applicationName: 'idle_err_test',
      },
      onError: reported.onError,
    });
    const { rows } = await db.primary.raw('SELECT pg_backend_pid() AS pid');
    await using admin = rawKnex(env.primary);
    await admin.raw('SELECT pg_terminate_backend(?)', [rows[0].pid]);
    await waitFor(() => reported.codes().includes('ORG_DATABASE_IDLE_CLIENT_ERROR'), {
      what: 'the idle error report',
    });
    const again = await db.primary.raw('SELECT 1 AS one');
    expect(again.rows[0].one).toBe(1);
  });

  it('bad URL and wrong password give clear typed errors with the password redacted', async () => {
    const error = (() => {
      try {
        createDatabase('postgres://app:s3cret@db.internal:5432/app?connection_limt=5');
      } catch (e) {
        return e as DatabaseError;
      }
    })();
    expect(error).toBeInstanceOf(DatabaseError);
    expect(error!.code).toBe('ORG_DATABASE_INVALID_URL');
    expect(error!.message).toContain('db.internal:5432');
    expect(error!.message).toContain('connection_limt');
    expect(JSON.stringify(error!.details)).not.toContain('s3cret');
    expect(error!.message).not.toContain('s3cret');

    const port = new URL(env.primary).port;
    await using db = createDatabase(
      `postgres://no_such_role_x:wrong@127.0.0.1:${port}/postgres?connect_timeout=5`,
    );
    const failure = await db.transaction(async (t) => t.raw('SELECT 1')).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DatabaseError);
    expect((failure as DatabaseError).code).toBe('ORG_DATABASE_AUTH');
    expect((failure as DatabaseError).message).not.toContain('wrong');
  });

  it('close() with a held connection returns within its deadline and is idempotent', async () => {
    const reported = collectErrors();
    const db = createDatabase({ primary: env.primary, replicas: env.replicas, onError: reported.onError });
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const held = db
      .transaction(async (trx) => {
        await trx.raw('SELECT 1');
        entered();
        await new Promise(() => {}); // never lets go of the connection
      })
      .catch((e: unknown) => e);
    await inside;
    const started = performance.now();
    const closing = db.close({ timeoutMs: 1_500 });
    expect(db.close()).toBe(closing);
    await closing;
    expect(performance.now() - started).toBeLessThan(2_500);
    expect(reported.codes()).toContain('ORG_DATABASE_CONNECTIONS_TERMINATED');
    expect(() => db.read()).toThrow(LifecycleError);
    expect(() => db.write()).toThrowError(expect.objectContaining({ code: 'ORG_LIFECYCLE_CLOSED' }));
    void held;
  });

  it('destroy() while the monitor polls back to back leaves no pending acquire (and its timer) behind', async () => {
    const before = activeResources();
    for (let i = 0; i < 5; i++) {
      const db = createDatabase({
        primary: env.primary,
        replicas: env.replicas,
        monitor: { intervalMs: 1 },
        pool: { max: 2 },
        onError: () => {},
      });
      await db.monitor!.poll();
      await db.read().raw('SELECT 1');
      await db.destroy('test');
    }
    await waitFor(() => Object.keys(resourcesAddedSince(before)).length === 0, {
      timeoutMs: 5_000,
      what: `resources to go: ${JSON.stringify(resourcesAddedSince(before))}`,
    }).catch(() => {});
    expect(resourcesAddedSince(before)).toEqual({});
  });

  it('leaves no timers, sockets or objects behind after close()', async () => {
    const before = activeResources();
    const refs: WeakRef<object>[] = [];
    await (async () => {
      const db = createDatabase({
        primary: env.primary,
        replicas: env.replicas,
        monitor: { intervalMs: 50 },
      });
      await waitFor(() => db.monitor!.healthyReplicas().length === 1, { what: 'the replica to be up' });
      await db.read().raw('SELECT 1');
      const writer = db.createBatchWriter<{ name: string }>({ table, columns: ['name'] });
      writer.write({ name: uniqueName('leak') });
      refs.push(new WeakRef(db), new WeakRef(db.monitor!), new WeakRef(db.primary), new WeakRef(writer));
      await db.close();
    })();
    await waitFor(() => Object.keys(resourcesAddedSince(before)).length === 0, {
      what: `resources to go: ${JSON.stringify(resourcesAddedSince(before))}`,
    });
    expect(resourcesAddedSince(before)).toEqual({});
    expect(await isCollected(refs)).toBe(true);
  });
});
