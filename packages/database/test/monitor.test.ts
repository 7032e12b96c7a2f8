import { setImmediate as tick } from 'node:timers/promises';
import {
  activeResources,
  collectGarbage,
  isCollected,
  resourcesAddedSince,
} from '@org/shared-lifecycle/testing';
import knex from 'knex';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ReplicationMonitor } from '../src/index.js';
import { collectErrors, harnessEnv, rawKnex } from './helpers.js';

const env = harnessEnv();
const primary = rawKnex(env.primary);
const replica = rawKnex(env.replicas[0]!);
const noop = () => {};

/** `createFail` listeners on a knex instance's pool (tarn.js keeps them on an inner emitter). */
function createFailListeners(k: typeof replica): number {
  const pool = (k.client as { pool?: { emitter: { listenerCount(event: string): number } } }).pool;
  return pool?.emitter.listenerCount('createFail') ?? 0;
}

/** Waits on real I/O without timers (setTimeout may be faked). */
async function until(predicate: () => boolean, ms = 10_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await tick();
  }
}

function monitor(
  overrides: Partial<ConstructorParameters<typeof ReplicationMonitor>[0]> = {},
): ReplicationMonitor {
  return new ReplicationMonitor({ primary, replicas: [{ name: 'replica-1', knex: replica }], ...overrides });
}

describe('ReplicationMonitor', () => {
  beforeAll(async () => {
    // Open the pools' connections up front, so that leak checks below compare like with like.
    const warm = monitor();
    await warm.start().poll();
    await warm.cleanup();
  });
  afterAll(async () => {
    await primary.destroy();
    await replica.destroy();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('polls on its interval, never overlapping, with fake timers', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const m = monitor({ intervalMs: 1_000, pollOnStart: false, pollTimeoutMs: 60_000 }).start();
    await vi.advanceTimersByTimeAsync(999);
    expect(m.stats().polls).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(m.stats().polls).toBe(1);
    await until(() => !m.stats().running);
    expect(m.status('replica-1')!.state).toBe('up');
    // The next poll is scheduled from the end of the previous one, so runs can never overlap.
    await vi.advanceTimersByTimeAsync(999);
    expect(m.stats().polls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(m.stats().polls).toBe(2);
    await until(() => !m.stats().running);
    await m.cleanup();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(m.stats().polls).toBe(2);
  });

  it('reports lag in bytes and seconds per replica and what the primary sees (real timers)', async () => {
    const m = monitor({ intervalMs: 20 });
    const polled = new Promise((resolve) => m.once('poll', resolve));
    m.start();
    await polled;
    const stats = m.stats();
    expect(stats.primaryReachable).toBe(true);
    expect(stats.primaryLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(stats.replication.length).toBeGreaterThan(0);
    expect(stats.replication[0]!.state).toBe('streaming');
    const status = stats.replicas[0]!;
    expect(status).toMatchObject({
      name: 'replica-1',
      state: 'up',
      inRecovery: true,
      replayPaused: false,
      failures: 0,
    });
    expect(status.lagBytes).toBeGreaterThanOrEqual(0);
    expect(status.lagSeconds).toBeGreaterThanOrEqual(0);
    await m.cleanup();
  });

  it('close() is idempotent (cleanup() is the same), waits for the poll in flight and removes every listener', async () => {
    const m = monitor({ intervalMs: 10_000 });
    const before = replica.listenerCount('query-error');
    const poolBefore = createFailListeners(replica);
    m.on('replica-up', noop);
    m.start();
    expect(replica.listenerCount('query-error')).toBe(before + 1);
    expect(createFailListeners(replica)).toBe(poolBefore + 1);
    expect(m.stats().running).toBe(true);
    const first = m.close();
    expect(m.cleanup()).toBe(first);
    expect(m.close()).toBe(first);
    await first;
    expect(m.stats().running).toBe(false);
    expect(m.stats().polls).toBe(1);
    expect(m.status('replica-1')!.lastPollAt).not.toBeNull();
    expect(replica.listenerCount('query-error')).toBe(before);
    expect(createFailListeners(replica)).toBe(poolBefore);
    expect(m.listenerCount('replica-up')).toBe(0);
    expect(() => m.start()).toThrowError(expect.objectContaining({ code: 'ORG_LIFECYCLE_CLOSED' }));
  });

  it('close(ctx) keeps its deadline when a poll hangs (a replica that accepts and never answers)', async () => {
    const { createServer } = await import('node:net');
    const sockets: import('node:net').Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket.on('error', () => {})));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const hung = knex({
      client: 'pg',
      connection: `postgres://postgres@127.0.0.1:${(silent.address() as { port: number }).port}/postgres`,
      pool: { min: 0, max: 1, acquireTimeoutMillis: 30_000, createTimeoutMillis: 30_000 },
    });
    const before = hung.listenerCount('query-error');
    try {
      const m = new ReplicationMonitor({
        primary,
        replicas: [{ name: 'hung-1', knex: hung }],
        pollTimeoutMs: 30_000,
        onError: noop,
      }).start();
      await until(() => m.stats().running);
      const started = performance.now();
      await m.close({ timeoutMs: 200 });
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(hung.listenerCount('query-error')).toBe(before);
      expect(m.closed).toBe(true);
    } finally {
      for (const socket of sockets) socket.destroy();
      await hung.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('catches and reports poll errors and throwing listeners; nothing goes unhandled', async () => {
    const reported = collectErrors();
    const dead = knex({
      client: 'pg',
      connection: 'postgres://postgres@127.0.0.1:1/postgres',
      pool: { min: 0, max: 1 },
    });
    try {
      const m = new ReplicationMonitor({
        primary: dead,
        replicas: [{ name: 'replica-1', knex: replica }],
        onError: reported.onError,
        pollOnStart: false,
      });
      m.on('replica-up', () => {
        throw new Error('listener bug');
      });
      m.start();
      await m.poll();
      expect(reported.codes()).toContain('ORG_DATABASE_MONITOR_POLL');
      expect(reported.errors.some((e) => (e as Error).message === 'listener bug')).toBe(true);
      // Lag in bytes is unknown without the primary, but the replica itself answered.
      expect(m.stats().primaryReachable).toBe(false);
      expect(m.status('replica-1')!.state).toBe('up');
      await m.cleanup();
    } finally {
      await dead.destroy();
    }
  });

  it('the listener check catches a deliberately leaky monitor', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    const before = replica.listenerCount('query-error');
    const leaked: (() => void)[] = [];
    // The leak from the report: a listener added on every start and never removed.
    for (let i = 0; i < 20; i++) {
      const listener = () => {};
      replica.on('query-error', listener);
      leaked.push(listener);
    }
    expect(replica.listenerCount('query-error') - before).toBe(20);
    await tick();
    expect(warnings.some((w) => w.name === 'MaxListenersExceededWarning')).toBe(true);
    for (const listener of leaked) replica.off('query-error', listener);
    process.off('warning', onWarning);
  });

  it('10,000 start/cleanup cycles: no growth in listeners, timers or heap, no MaxListenersExceededWarning', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    const listenersBefore =
      replica.listenerCount('query-error') +
      primary.listenerCount('query-error') +
      createFailListeners(replica);
    const resourcesBefore = activeResources();
    const refs: WeakRef<object>[] = [];
    await collectGarbage();
    const heapBefore = process.memoryUsage().heapUsed;
    for (let i = 0; i < 10_000; i++) {
      // Every 250th cycle polls, and cleanup() has to wait for that poll.
      const m = monitor({ intervalMs: 60_000, pollOnStart: i % 250 === 0 });
      m.on('replica-down', noop);
      m.on('lag', noop);
      m.start();
      if (i % 1_000 === 0) refs.push(new WeakRef(m));
      await m.cleanup();
    }
    await collectGarbage();
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    await tick();
    process.off('warning', onWarning);
    expect(
      replica.listenerCount('query-error') +
        primary.listenerCount('query-error') +
        createFailListeners(replica),
    ).toBe(listenersBefore);
    expect(resourcesAddedSince(resourcesBefore)).toEqual({});
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    expect(await isCollected(refs)).toBe(true);
    // 10,000 monitors of a few kB each would be tens of MB if any were kept.
    expect(heapGrowth).toBeLessThan(4 * 1024 * 1024);
  }, 90_000);
});
