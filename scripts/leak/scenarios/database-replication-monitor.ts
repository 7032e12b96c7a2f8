/**
 * ReplicationMonitor start/cleanup cycles against the harness's primary + replica, with a second
 * replica target on a closed port (its polls fail, it goes down and schedules backoff retries).
 * The pools live in setup (the monitor borrows knex instances, it does not own them); every
 * monitor, its timers, its listeners and its backoffs must be gone after cleanup().
 */
import { createDatabase, type Database, ReplicationMonitor } from '@org/shared-database';
import { closedPort } from '@org/shared-database/testing';
import { defineScenario } from '@org/shared-leakcheck';
import { harnessUrls } from './_database.ts';

export const needs = ['DATABASE_URL'] as const;

interface State {
  primary: Database;
  replica: Database;
  dead: Database;
}

export default defineScenario<State>({
  name: 'database/replication-monitor',
  description:
    'new ReplicationMonitor(primary, [replica, dead replica]) → start → 3 polls (events) → close, cleanup',
  iterations: 40,
  classes: [ReplicationMonitor],
  async setup() {
    const { primary, replica } = harnessUrls();
    // Each Database only provides a knex with a pool; none starts a monitor of its own.
    const port = await closedPort();
    const quiet = { onError: () => {} };
    return {
      primary: createDatabase({ primary, ...quiet }),
      replica: createDatabase({ primary: replica, ...quiet }),
      dead: createDatabase({
        primary: `postgres://postgres@127.0.0.1:${port}/postgres`,
        pool: { createTimeoutMs: 500, acquireTimeoutMs: 1000 },
        ...quiet,
      }),
    };
  },
  async iteration(state) {
    const events = { up: 0, down: 0, polls: 0 };
    const monitor = new ReplicationMonitor({
      primary: state.primary.primary,
      replicas: [
        { name: 'replica-1', knex: state.replica.primary },
        { name: 'dead-1', knex: state.dead.primary },
      ],
      intervalMs: 5,
      pollTimeoutMs: 2000,
      retry: { initialMs: 5, maxMs: 50 },
      onError: () => {},
    });
    monitor.on('replica-up', () => events.up++);
    monitor.on('replica-down', () => events.down++);
    monitor.on('poll', () => events.polls++);
    monitor.start();
    await monitor.poll();
    await monitor.poll();
    await monitor.poll();
    const up = monitor.healthyReplicas();
    const dead = monitor.status('dead-1');
    await monitor.close();
    await monitor.cleanup(); // the same close, idempotent
    if (!up.includes('replica-1'))
      throw new Error(`replica-1 not healthy: ${JSON.stringify(monitor.stats())}`);
    if (dead?.state !== 'down') throw new Error(`dead-1 is ${dead?.state}, expected down`);
    if (events.polls < 3 || events.down < 1) throw new Error(`events missing: ${JSON.stringify(events)}`);
    return monitor;
  },
  async teardown(state) {
    await Promise.all([state.primary.close(), state.replica.close(), state.dead.close()]);
  },
});
