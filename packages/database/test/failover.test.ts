import { afterAll, describe, expect, it } from 'vitest';
import { classifyError, createDatabase, type ReplicaStatus } from '../src/index.js';
import { collectErrors, harness, harnessEnv, rawKnex, waitFor, waitStreaming } from './helpers.js';

const env = harnessEnv();

async function isStandby(k: {
  raw(sql: string): PromiseLike<{ rows: { standby: boolean }[] }>;
}): Promise<boolean> {
  const { rows } = await k.raw('SELECT pg_is_in_recovery() AS standby');
  return rows[0]!.standby;
}

async function failure(query: PromiseLike<unknown>): Promise<unknown> {
  return query.then(
    () => {
      throw new Error('the query did not fail');
    },
    (error: unknown) => error,
  );
}

describe('a replica that fails a query leaves the rotation before the next poll', () => {
  let stopped = false;
  afterAll(async () => {
    // Other suites share the harness: the replica is always restored and streaming again.
    if (stopped) await harness('replica-start');
    await waitStreaming(env.primary);
  });

  it('a read on the stopped replica is answered by the primary, the next go there directly; back after restart and a poll', async () => {
    const reported = collectErrors();
    const down: string[] = [];
    await using db = createDatabase({
      primary: env.primary,
      // A short statement_timeout on the replica only, to show that a timeout does not take it out.
      replicas: [`${env.replicas[0]!}?statement_timeout=200`],
      // One poll at start, then none for a minute: only the query path can take the replica out.
      monitor: { intervalMs: 60_000, retry: { initialMs: 50, maxMs: 200 } },
      pool: { createTimeoutMs: 2_000, acquireTimeoutMs: 3_000 },
      onError: reported.onError,
    });
    const monitor = db.monitor!;
    monitor.on('replica-down', (s: ReplicaStatus, error) => down.push(`${s.name}:${error.code}`));
    await waitFor(() => monitor.healthyReplicas().length === 1, { what: 'the first poll' });
    const polls = monitor.stats().polls;

    // Errors that are not about the connection leave the replica in the rotation.
    for (const sql of ['SELEC 1', 'SELECT 1/0', 'SELECT pg_sleep(2)']) {
      const replica = db.read();
      expect(replica).not.toBe(db.primary);
      const error = classifyError(await failure(replica.raw(sql)));
      expect(['ORG_DATABASE_SYNTAX', 'ORG_DATABASE_DATA', 'ORG_DATABASE_TIMEOUT']).toContain(error.code);
      expect(monitor.status('replica-1')!.state).toBe('up');
    }
    expect(down).toEqual([]);
    expect(db.stats().routing.failovers).toBe(0);

    expect(await isStandby(db.read())).toBe(true); // leaves a pooled replica connection for the stop to break
    try {
      stopped = true;
      await harness('replica-stop');
      // No poll has run since: the monitor still believes the replica is up.
      expect(monitor.status('replica-1')!.state).toBe('up');
      const replica = db.read();
      expect(replica).not.toBe(db.primary);
      // The read's replica connection failed before any answer: it ran again on the primary.
      expect(await isStandby(replica)).toBe(false);
      expect(db.stats().routing.retriedOnPrimary).toBe(1);
      // That one failure took it out, without a poll.
      expect(monitor.stats().polls).toBe(polls);
      expect(monitor.status('replica-1')).toMatchObject({ state: 'down', failures: 1 });
      expect(monitor.status('replica-1')!.nextRetryAt).not.toBeNull();
      expect(down).toEqual(['replica-1:ORG_DATABASE_REPLICA_DOWN']);
      expect(reported.codes()).toContain('ORG_DATABASE_REPLICA_DOWN');
      expect(db.stats().routing.failovers).toBe(1);
      // The next reads go to the primary and succeed.
      for (let i = 0; i < 3; i++) {
        const next = db.read();
        expect(next).toBe(db.primary);
        expect(await isStandby(next)).toBe(false);
      }
      expect(db.stats().replicas[0]!.state).toBe('down');

      await harness('replica-start');
      stopped = false;
      await waitStreaming(env.primary);
      // It rejoins through the monitor's poll, as before (after its backoff).
      await waitFor(
        async () => {
          await monitor.poll();
          return monitor.status('replica-1')!.state === 'up';
        },
        { what: 'the replica to rejoin on a poll', timeoutMs: 30_000, intervalMs: 100 },
      );
      expect(await isStandby(db.read())).toBe(true);
      expect(db.stats().routing.failovers).toBe(1);
      expect(db.stats().routing.retriedOnPrimary).toBe(1);
    } finally {
      if (stopped) {
        await harness('replica-start');
        stopped = false;
      }
      await waitStreaming(env.primary);
    }
  });

  it('a read running on the replica when it stops is answered by the primary: no read lost', async () => {
    const reported = collectErrors();
    await using db = createDatabase({
      primary: env.primary,
      replicas: env.replicas,
      monitor: { intervalMs: 60_000, retry: { initialMs: 50, maxMs: 200 } },
      onError: reported.onError,
    });
    const monitor = db.monitor!;
    await waitFor(() => monitor.healthyReplicas().length === 1, { what: 'the first poll' });
    const replica = db.read();
    expect(replica).not.toBe(db.primary);
    const started = performance.now();
    // Still running on the replica when the replica shuts down (a fast shutdown ends its backends).
    const reading = Promise.resolve(
      replica.raw('SELECT pg_sleep(3) AS slept, pg_is_in_recovery() AS standby, 42 AS answer'),
    );
    try {
      await waitFor(
        async () => {
          await using probe = rawKnex(env.replicas[0]!);
          const { rows } = await probe.raw(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(3)%'",
          );
          return rows[0].n > 0;
        },
        { what: 'the read to be running on the replica' },
      );
      stopped = true;
      await harness('replica-stop');
      const { rows } = await reading;
      // Answered by the primary (not in recovery), after the replica failed it mid-read.
      expect(rows[0]).toMatchObject({ standby: false, answer: 42 });
      expect(performance.now() - started).toBeGreaterThan(3_000);
      expect(db.stats().routing.retriedOnPrimary).toBe(1);
      expect(monitor.status('replica-1')!.state).toBe('down');
      expect(reported.codes()).toContain('ORG_DATABASE_REPLICA_DOWN');
    } finally {
      await reading.catch(() => {});
      if (stopped) {
        await harness('replica-start');
        stopped = false;
      }
      await waitStreaming(env.primary);
    }
  });
});
