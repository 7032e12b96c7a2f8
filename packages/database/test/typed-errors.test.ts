import { createServer, type Server, type Socket } from 'node:net';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, DatabaseError } from '../src/index.js';
import { closedPort } from '../src/testing.js';
import { collectErrors, harnessEnv, rawKnex, uniqueName, waitFor } from './helpers.js';

const env = harnessEnv();
const table = uniqueName('typed');

async function rejection(work: PromiseLike<unknown> | (() => PromiseLike<unknown>)): Promise<DatabaseError> {
  const promise = typeof work === 'function' ? work() : work;
  return Promise.resolve(promise).then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error as DatabaseError,
  );
}

/** A TCP server that accepts connections and never answers (a hung server, a half-open path). */
async function silentServer(): Promise<{ url: string; close: () => Promise<void> } & AsyncDisposable> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  const { port } = server.address() as { port: number };
  return {
    url: `postgres://postgres:s3cret@127.0.0.1:${port}/postgres`,
    close,
    [Symbol.asyncDispose]: close,
  };
}

describe('every error is a DatabaseError, on every path', () => {
  beforeAll(async () => {
    await using admin = rawKnex(env.primary);
    await admin.schema.createTable(table, (t) => {
      t.integer('n').primary();
    });
  });
  afterAll(async () => {
    await using admin = rawKnex(env.primary);
    await admin.schema.dropTableIfExists(table);
  });

  it('read() and write(): builders, raw, schema; on the primary and on a replica, named by node', async () => {
    await using db = createDatabase({
      primary: env.primary,
      replicas: env.replicas,
      monitor: { intervalMs: 100 },
    });
    await waitFor(() => db.monitor!.healthyReplicas().length === 1, { what: 'the replica to be up' });
    await db.write().insert({ n: 1 }).into(table);
    const cases: [string, () => PromiseLike<unknown>, string, string][] = [
      [
        'read builder (replica)',
        () => db.read().select('*').from('no_such_table_x'),
        'ORG_DATABASE_SYNTAX',
        'replica-1',
      ],
      ['read raw (replica)', () => db.read().raw('SELECT 1/0'), 'ORG_DATABASE_DATA', 'replica-1'],
      [
        'write to a replica',
        () => db.read().raw('CREATE TABLE never_created (n int)'),
        'ORG_DATABASE_READ_ONLY',
        'replica-1',
      ],
      ['write builder', () => db.write().insert({ n: 1 }).into(table), 'ORG_DATABASE_CONSTRAINT', 'primary'],
      ['write raw', () => db.write().raw('SELEC 1'), 'ORG_DATABASE_SYNTAX', 'primary'],
      [
        'schema builder',
        () => db.write().schema.createTable(table, () => {}),
        'ORG_DATABASE_SYNTAX',
        'primary',
      ],
      ['first()', () => db.write().table('no_such_table_y').first(), 'ORG_DATABASE_SYNTAX', 'primary'],
      [
        'query timeout',
        () => db.write().raw('SELECT pg_sleep(1)').timeout(20),
        'ORG_DATABASE_TIMEOUT',
        'primary',
      ],
      [
        'knex transaction',
        () => db.write().transaction((trx) => trx.raw('SELECT 1/0')),
        'ORG_DATABASE_DATA',
        'primary',
      ],
    ];
    for (const [what, run, code, node] of cases) {
      const error = await rejection(run);
      expect(error, what).toBeInstanceOf(DatabaseError);
      expect([what, error.code, error.details?.node]).toEqual([what, code, node]);
      expect(error.cause, what).toBeDefined();
    }
    const constraint = await rejection(db.write().insert({ n: 1 }).into(table));
    expect(constraint).toMatchObject({ sqlState: '23505', isRetryable: false });
  });

  it('transaction(): queries inside reject typed; what fn throws itself comes out as it is', async () => {
    await using db = createDatabase(env.primary);
    let inside: unknown;
    const outside = await rejection(
      db.transaction(async (trx) => {
        try {
          await trx.raw('SELECT 1/0');
        } catch (error) {
          inside = error;
          throw error;
        }
      }),
    );
    expect(inside).toBeInstanceOf(DatabaseError);
    expect(outside).toBe(inside);
    class OrderNotFound extends Error {
      readonly code = 'ORDER_NOT_FOUND';
    }
    const mine = new OrderNotFound('no such order');
    const passed = await db
      .transaction(async () => {
        throw mine;
      })
      .catch((error: unknown) => error);
    expect(passed).toBe(mine);
  });

  it('a server that accepts and never answers is ORG_DATABASE_CONNECT_TIMEOUT, not a full pool', async () => {
    await using silent = await silentServer();
    const reported = collectErrors();
    // pg's connect timeout first, then the pool's acquire timeout first: the same code either way.
    for (const pool of [
      { createTimeoutMs: 300, acquireTimeoutMs: 5_000 },
      { createTimeoutMs: 1_500, acquireTimeoutMs: 300 },
    ]) {
      await using db = createDatabase({ primary: silent.url, pool, onError: reported.onError });
      const started = performance.now();
      const error = await rejection(db.write().raw('SELECT 1'));
      expect(performance.now() - started).toBeLessThan(3_000);
      expect(error, JSON.stringify(pool)).toBeInstanceOf(DatabaseError);
      expect(error.code, JSON.stringify(pool)).toBe('ORG_DATABASE_CONNECT_TIMEOUT');
      expect(error.isRetryable).toBe(true);
      expect(db.stats().pools.primary!.used).toBe(0);
      const health = await db.health();
      expect(health).toMatchObject({
        ok: false,
        primary: { reachable: false, error: 'ORG_DATABASE_CONNECT_TIMEOUT' },
      });
      expect(inspect(error, { depth: null })).not.toContain('s3cret');
    }
    expect(inspect(reported.errors, { depth: null })).not.toContain('s3cret');
  });

  it('ORG_DATABASE_POOL_TIMEOUT only when every connection of the pool is in use', async () => {
    await using db = createDatabase({ primary: env.primary, pool: { max: 1, acquireTimeoutMs: 200 } });
    let release!: () => void;
    const held = db.transaction(
      () =>
        new Promise<void>((resolve) => {
          release = resolve;
        }),
    );
    await waitFor(() => db.stats().pools.primary!.used === 1, { what: 'the connection to be held' });
    const error = await rejection(db.read().raw('SELECT 1'));
    expect(error).toMatchObject({ code: 'ORG_DATABASE_POOL_TIMEOUT', isRetryable: true });
    expect(error.details).toMatchObject({ node: 'primary' });
    release();
    await held;
  });

  it('authentication: a role that requires a password and got none, a wrong one; a refused connect; no such database', async () => {
    const passwordUrl = process.env.PG_HARNESS_PASSWORD_URL;
    expect(passwordUrl, 'PG_HARNESS_PASSWORD_URL (bash scripts/pg-harness.sh env)').toBeTruthy();
    const port = new URL(env.primary).port;
    const cases: [string, string][] = [
      [passwordUrl!, 'ORG_DATABASE_AUTH'],
      [passwordUrl!.replace('@', ':wr0ng-pass@'), 'ORG_DATABASE_AUTH'],
      [`postgres://no_such_role_x:wr0ng-pass@127.0.0.1:${port}/postgres`, 'ORG_DATABASE_AUTH'],
      [`postgres://postgres@127.0.0.1:${port}/no_such_db_x`, 'ORG_DATABASE_UNKNOWN_DATABASE'],
      [`postgres://postgres:wr0ng-pass@127.0.0.1:${await closedPort()}/postgres`, 'ORG_DATABASE_CONNECTION'],
    ];
    for (const [url, code] of cases) {
      const reported = collectErrors();
      await using db = createDatabase({ primary: url, onError: reported.onError });
      for (const run of [() => db.write().raw('SELECT 1'), () => db.transaction((t) => t.raw('SELECT 1'))]) {
        const error = await rejection(run);
        expect(error, url).toBeInstanceOf(DatabaseError);
        expect(error.code, url).toBe(code);
        expect(`${error.message} ${inspect(error, { depth: null })}`).not.toContain('wr0ng-pass');
      }
      expect((await db.health()).primary.error).toBe(code);
      expect(JSON.stringify(db.stats())).not.toContain('wr0ng-pass');
      expect(inspect(reported.errors, { depth: null })).not.toContain('wr0ng-pass');
    }
  });

  it('the batch writer reports typed errors, and onRejected gets a DatabaseError', async () => {
    const reported = collectErrors();
    const rejected: unknown[] = [];
    await using db = createDatabase({ primary: env.primary, onError: reported.onError });
    const writer = db.createBatchWriter<{ n: number | null }>({
      table,
      columns: ['n'],
      flushIntervalMs: 60_000,
      onRejected: (_rows, error) => rejected.push(error),
    });
    writer.write({ n: null });
    await writer.flush();
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toBeInstanceOf(DatabaseError);
    expect(rejected[0]).toMatchObject({ code: 'ORG_DATABASE_CONSTRAINT', sqlState: '23502' });
    expect(reported.errors.every((e) => e instanceof DatabaseError)).toBe(true);
    expect(reported.codes()).toEqual(['ORG_DATABASE_ROWS_REJECTED']);
    await writer.close();
  });
});
