import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type ReplicaStatus } from '../src/index.js';
import {
  collectErrors,
  harness,
  harnessEnv,
  rawKnex,
  uniqueName,
  waitFor,
  waitStreaming,
} from './helpers.js';

const env = harnessEnv();
const table = uniqueName('repl_test');

async function isStandby(k: {
  raw(sql: string): PromiseLike<{ rows: { standby: boolean }[] }>;
}): Promise<boolean> {
  const { rows } = await k.raw('SELECT pg_is_in_recovery() AS standby');
  return rows[0]!.standby;
}

describe('replication monitor and routing on the harness', () => {
  beforeAll(async () => {
    await using admin = rawKnex(env.primary);
    await admin.schema.createTable(table, (t) => {
      t.increments('id');
      t.text('payload');
    });
  });
  afterAll(async () => {
    await using admin = rawKnex(env.primary);
    await admin.schema.dropTableIfExists(table);
  });

  it('reports lag while replay is paused, routes reads to the primary, and back after resume', async () => {
    const events: string[] = [];
    await using db = createDatabase({
      primary: env.primary,
      replicas: env.replicas,
      monitor: { intervalMs: 100 },
      lag: { maxBytes: 4096, maxSeconds: 60 },
    });
    const monitor = db.monitor!;
    monitor.on('lag', (s) => events.push(`lag:${s.name}`));
    monitor.on('replica-up', (s) => events.push(`up:${s.name}`));
    await waitFor(() => monitor.healthyReplicas().length === 1, { what: 'the replica to be up' });
    expect(await isStandby(db.read())).toBe(true);
    await using replica = rawKnex(env.replicas[0]!);
    try {
      await replica.raw('SELECT pg_wal_replay_pause()');
      await waitFor(
        async () => (await replica.raw('SELECT pg_get_wal_replay_pause_state() AS s')).rows[0].s === 'paused',
        { what: 'replay to be paused' },
      );
      // About 64 kB of WAL that the replica receives but does not replay.
      await db
        .write()
        .insert(Array.from({ length: 200 }, () => ({ payload: 'x'.repeat(300) })))
        .into(table);
      const lagging = await waitFor(
        () => {
          const s = monitor.status('replica-1');
          // Lagging by bytes comes first; once the WAL arrives, received is ahead of replayed.
          return s?.state === 'lagging' && s.receiveLsn !== s.replayLsn ? s : undefined;
        },
        { what: 'the replica to be reported lagging' },
      );
      expect(lagging.replayPaused).toBe(true);
      expect(lagging.lagBytes).toBeGreaterThan(4096);
      expect(lagging.receiveLsn).not.toBe(lagging.replayLsn);
      expect(events).toContain('lag:replica-1');
      expect(db.read()).toBe(db.primary);
      expect(db.stats().routing.fallback).toBeGreaterThan(0);
      expect((await db.health()).replicas[0]).toMatchObject({ state: 'lagging', replayPaused: true });
      // Served by the primary, so the rows the replica has not replayed are visible.
      const counted = await db.read().raw(`SELECT count(*)::int AS n FROM ${table}`);
      expect(counted.rows[0].n).toBe(200);
    } finally {
      await replica.raw('SELECT pg_wal_replay_resume()');
    }
    const up = await waitFor(
      () => {
        const s = monitor.status('replica-1');
        return s?.state === 'up' ? s : undefined;
      },
      { what: 'the replica to be up after resume' },
    );
    expect(up.lagBytes).toBeLessThanOrEqual(4096);
    expect(events.at(-1)).toBe('up:replica-1');
    expect(await isStandby(db.read())).toBe(true);
  });

  it('does not report an idle primary as lag (the replay timestamp keeps ageing)', async () => {
    await using db = createDatabase({
      primary: env.primary,
      replicas: env.replicas,
      monitor: { intervalMs: 100 },
      lag: { maxSeconds: 0.5 },
    });
    await waitFor(() => db.monitor!.healthyReplicas().length === 1, { what: 'the replica to be up' });
    await db.write().insert({ payload: 'one write, then nothing' }).into(table);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    await db.monitor!.poll();
    const status = db.monitor!.status('replica-1')!;
    expect(status.state).toBe('up');
    expect(status.lagSeconds).toBe(0);
  });

  it('reports a stopped replica down, keeps serving reads, and takes it back when it restarts', async () => {
    const reported = collectErrors();
    const events: string[] = [];
    await using db = createDatabase({
      primary: env.primary,
      replicas: env.replicas,
      monitor: { intervalMs: 100, pollTimeoutMs: 2_000, retry: { initialMs: 100, maxMs: 500 } },
      pool: { createTimeoutMs: 2_000, acquireTimeoutMs: 3_000 },
      onError: reported.onError,
    });
    const monitor = db.monitor!;
    monitor.on('replica-down', (s: ReplicaStatus) => events.push(`down:${s.name}`));
    monitor.on('replica-up', (s: ReplicaStatus) => events.push(`up:${s.name}`));
    await waitFor(() => monitor.healthyReplicas().length === 1, { what: 'the replica to be up' });
    await db.read().raw('SELECT 1'); // a pooled replica connection that the stop will break
    let stopped = false;
    try {
      await harness('replica-stop');
      stopped = true;
      const down = await waitFor(
        () => {
          const s = monitor.status('replica-1');
          return s?.state === 'down' ? s : undefined;
        },
        { what: 'the replica to be reported down' },
      );
      expect(down.failures).toBeGreaterThan(0);
      expect(down.nextRetryAt).not.toBeNull();
      expect(events).toContain('down:replica-1');
      expect(reported.codes()).toContain('ORG_DATABASE_REPLICA_DOWN');
      for (let i = 0; i < 5; i++) {
        expect(await isStandby(db.read())).toBe(false);
      }
      expect((await db.health()).replicas[0]!.state).toBe('down');
      await harness('replica-start');
      stopped = false;
      await waitFor(() => monitor.healthyReplicas().length === 1, {
        what: 'the replica to rejoin',
        timeoutMs: 30_000,
      });
      expect(events.at(-1)).toBe('up:replica-1');
      expect(await isStandby(db.read())).toBe(true);
    } finally {
      if (stopped) await harness('replica-start');
      await waitStreaming(env.primary);
    }
  });

  it('recovers the pool after the primary restarts', async () => {
    const reported = collectErrors();
    await using db = createDatabase({
      primary: env.primary,
      pool: { max: 4, createTimeoutMs: 2_000, acquireTimeoutMs: 5_000 },
      onError: reported.onError,
    });
    // Fill the pool with connections that the restart will break.
    await Promise.all(Array.from({ length: 4 }, () => db.write().raw('SELECT pg_sleep(0.05)')));
    expect(db.stats().pools.primary!.free).toBe(4);
    try {
      await harness('primary-restart');
    } finally {
      await waitStreaming(env.primary);
    }
    await waitFor(async () => (await db.write().raw('SELECT 1 AS one')).rows[0].one === 1, {
      what: 'the primary to answer through the same pool',
    });
    for (let i = 0; i < 8; i++) {
      const { rows } = await db.write().raw('SELECT 1 AS one');
      expect(rows[0].one).toBe(1);
    }
    expect(reported.codes()).toContain('ORG_DATABASE_IDLE_CLIENT_ERROR');
  });
});
