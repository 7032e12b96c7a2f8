import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Resource } from '../src/close-once.js';
import { sleep } from '../src/owned-timer.js';
import { EXIT_CODES, ShutdownCoordinator } from '../src/shutdown.js';

class Named extends Resource {
  constructor(
    name: string,
    private readonly order: string[],
    private readonly ms = 0,
  ) {
    super(name);
  }
  protected async onClose(): Promise<void> {
    await sleep(this.ms);
    this.order.push(this.constructor.name === 'Named' ? (this as unknown as { n: string }).n : '');
  }
}

function resource(name: string, order: string[], ms = 0) {
  const r = new Named(name, order, ms);
  (r as unknown as { n: string }).n = name;
  return r;
}

describe('ShutdownCoordinator', () => {
  it('closes in reverse order of registration and exits 0', async () => {
    const order: string[] = [];
    const coordinator = new ShutdownCoordinator({ exit: () => {} });
    coordinator.register('db', resource('db', order));
    coordinator.register('logger', resource('logger', order));
    coordinator.register('server', async () => {
      order.push('server');
    });
    const result = await coordinator.shutdown('test');
    expect(order).toEqual(['server', 'logger', 'db']);
    expect(result.code).toBe(EXIT_CODES.clean);
    expect(await coordinator.shutdown()).toBe(result);
  });

  it('gives each step its deadline, goes on past a failure, and exits 1', async () => {
    const order: string[] = [];
    const errors: unknown[] = [];
    const coordinator = new ShutdownCoordinator({ exit: () => {}, onError: (e) => errors.push(e) });
    coordinator.register('db', resource('db', order));
    coordinator.register('stuck', () => new Promise(() => {}), { timeoutMs: 30 });
    coordinator.register('broken', () => {
      throw new Error('nope');
    });
    const result = await coordinator.shutdown();
    expect(order).toEqual(['db']);
    expect(result.code).toBe(EXIT_CODES.failed);
    expect(result.steps.map((s) => [s.name, s.ok])).toEqual([
      ['broken', false],
      ['stuck', false],
      ['db', true],
    ]);
    expect(errors).toHaveLength(2);
    expect(errors[1]).toMatchObject({ code: 'ORG_LIFECYCLE_CLOSE_TIMEOUT' });
  });

  it('a real SIGTERM starts the shutdown, exits with its code, and removes its handlers', async () => {
    const listenersBefore = process.listenerCount('SIGTERM');
    const order: string[] = [];
    const exited: number[] = [];
    const coordinator = new ShutdownCoordinator({ exit: (code) => exited.push(code) });
    coordinator.register('db', resource('db', order, 20));
    coordinator.install().install();
    expect(process.listenerCount('SIGTERM')).toBe(listenersBefore + 1);
    process.kill(process.pid, 'SIGTERM');
    await once(process, 'SIGTERM');
    while (exited.length === 0) await sleep(5);
    expect(order).toEqual(['db']);
    expect(exited).toEqual([0]);
    expect(process.listenerCount('SIGTERM')).toBe(listenersBefore);
    expect(process.listenerCount('SIGINT')).toBe(process.listenerCount('SIGINT'));
  });

  it('a second signal during shutdown forces exit 130', async () => {
    const exited: number[] = [];
    const coordinator = new ShutdownCoordinator({
      exit: (code) => exited.push(code),
      signals: ['SIGUSR2'],
      duplicateSignalWindowMs: 5,
    });
    coordinator.register('slow', () => sleep(200));
    coordinator.install();
    process.kill(process.pid, 'SIGUSR2');
    await sleep(20);
    process.kill(process.pid, 'SIGUSR2');
    await sleep(20);
    expect(exited).toEqual([130]);
    await coordinator.shutdown();
    await sleep(1);
    expect(exited).toEqual([130, 0]);
  });

  it('dispose() removes handlers without shutting down; register after shutdown is refused', async () => {
    const before = process.listenerCount('SIGINT');
    const coordinator = new ShutdownCoordinator({ exit: () => {} }).install();
    coordinator.dispose();
    expect(process.listenerCount('SIGINT')).toBe(before);
    await coordinator.shutdown();
    expect(() => coordinator.register('late', () => {})).toThrow(
      expect.objectContaining({ code: 'ORG_LIFECYCLE_CLOSED' }),
    );
  });

  it('the same signal delivered twice at once (terminal group + wrapper) is one stop, not a forced exit', async () => {
    const exited: number[] = [];
    const order: string[] = [];
    const coordinator = new ShutdownCoordinator({ exit: (code) => exited.push(code), signals: ['SIGUSR2'] });
    coordinator.register('slow', resource('slow', order, 50));
    coordinator.install();
    process.kill(process.pid, 'SIGUSR2');
    await sleep(5);
    process.kill(process.pid, 'SIGUSR2');
    while (exited.length === 0) await sleep(5);
    expect(exited).toEqual([0]);
    expect(order).toEqual(['slow']);
  });

  it('past totalTimeoutMs a signal-started shutdown exits 1 whatever is still closing', async () => {
    const exited: number[] = [];
    const coordinator = new ShutdownCoordinator({
      exit: (code) => exited.push(code),
      signals: ['SIGUSR2'],
      totalTimeoutMs: 40,
      timeoutMs: 10_000,
    });
    coordinator.register('stuck', () => sleep(300));
    coordinator.install();
    process.kill(process.pid, 'SIGUSR2');
    await sleep(100);
    expect(exited).toEqual([1]);
    await coordinator.shutdown();
  });

  it('finally runs once after every step, with the result; its failure is reported, not thrown', async () => {
    const order: string[] = [];
    const errors: unknown[] = [];
    const coordinator = new ShutdownCoordinator({
      exit: () => {},
      onError: (e) => errors.push(e),
      log: (message) => order.push(`log:${message}`),
      finally: (result) => {
        order.push(`finally:${result.code}`);
        throw new Error('logger close failed');
      },
    });
    coordinator.register('db', async () => {
      order.push('db');
    });
    await coordinator.shutdown();
    expect(order).toEqual(['log:shutdown started', 'db', 'log:closed', 'log:shutdown finished', 'finally:0']);
    expect(errors).toHaveLength(1);
  });

  it('closes a callable resource that has close() by calling close(), not the function', async () => {
    let called = 0;
    let closed = 0;
    const middleware = Object.assign(() => called++, { close: async () => void closed++ });
    const coordinator = new ShutdownCoordinator({ exit: () => {} });
    coordinator.register('guard', middleware);
    await coordinator.shutdown();
    expect([called, closed]).toEqual([0, 1]);
  });
});

describe('ShutdownCoordinator close contexts', () => {
  it('gives each step a context with its own deadline inside the total, and finally what is left', async () => {
    const seen: Record<string, number> = {};
    const coordinator = new ShutdownCoordinator({
      exit: () => {},
      timeoutMs: 300,
      totalTimeoutMs: 1000,
      finally: (_result, ctx) => {
        seen.finally = ctx.remainingMs();
      },
    });
    coordinator.register('a', (ctx) => {
      seen.a = ctx.remainingMs();
    });
    coordinator.register(
      'b',
      (ctx) => {
        seen.b = ctx.remainingMs();
      },
      { timeoutMs: 50 },
    );
    const closeable = {
      close: async (options?: { timeoutMs?: number }) => {
        seen.c = options?.timeoutMs ?? -1;
      },
    };
    coordinator.register('c', closeable, { timeoutMs: 5000 });
    const result = await coordinator.shutdown();
    expect(result.code).toBe(EXIT_CODES.clean);
    expect(seen.c).toBeGreaterThan(900);
    expect(seen.c).toBeLessThanOrEqual(1000);
    expect(seen.b).toBeLessThanOrEqual(50);
    expect(seen.a).toBeLessThanOrEqual(300);
    expect(seen.finally).toBeLessThanOrEqual(300);
  });

  it('a resource that honours its context finishes at the deadline and the step counts as failed', async () => {
    const errors: unknown[] = [];
    const coordinator = new ShutdownCoordinator({ exit: () => {}, onError: (e) => errors.push(e) });
    let abortedAt = 0;
    const started = performance.now();
    coordinator.register(
      'honest',
      (ctx) =>
        new Promise<void>((resolve) =>
          ctx.signal.addEventListener('abort', () => {
            abortedAt = performance.now() - started;
            resolve();
          }),
        ),
      { timeoutMs: 40 },
    );
    const result = await coordinator.shutdown();
    expect(abortedAt).toBeGreaterThanOrEqual(35);
    expect(result.steps[0]).toMatchObject({ name: 'honest', ok: false });
    expect(errors).toEqual([expect.objectContaining({ code: 'ORG_LIFECYCLE_CLOSE_TIMEOUT' })]);
  });
});
