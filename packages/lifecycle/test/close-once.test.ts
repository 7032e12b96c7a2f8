import { describe, expect, it } from 'vitest';
import type { CloseContext } from '../src/close-context.js';
import { CloseOnce, Resource } from '../src/close-once.js';
import { LifecycleError } from '../src/errors.js';
import { sleep } from '../src/owned-timer.js';
import { activeResources, resourcesAddedSince } from '../src/testing.js';

class Pool extends Resource {
  closes = 0;
  seen: CloseContext | null = null;
  constructor(
    private readonly work: (ctx: CloseContext) => Promise<void> = async () => {},
    onError?: (error: unknown) => void,
  ) {
    super('pool', { closeTimeoutMs: 200, ...(onError ? { onError } : {}) });
  }
  query(): string {
    this.assertOpen('query');
    return 'ok';
  }
  protected async onClose(ctx: CloseContext): Promise<void> {
    this.closes++;
    this.seen = ctx;
    await this.work(ctx);
  }
}

describe('close contract', () => {
  it('close() runs once however often it is called, and returns the same promise', async () => {
    const pool = new Pool();
    const a = pool.close();
    const b = pool.close();
    expect(a).toBe(b);
    await Promise.all([a, b, pool.close(), pool.destroy()]);
    expect(pool.closes).toBe(1);
  });

  it('use after close throws a typed error', async () => {
    const pool = new Pool();
    expect(pool.query()).toBe('ok');
    await pool.close();
    expect(() => pool.query()).toThrow(LifecycleError);
    expect(() => pool.query()).toThrow(expect.objectContaining({ code: 'ORG_LIFECYCLE_CLOSED' }));
  });

  it('past its deadline close() aborts the context, resolves, and reports ORG_LIFECYCLE_CLOSE_TIMEOUT', async () => {
    const errors: unknown[] = [];
    let reason: unknown;
    const pool = new Pool(
      (ctx) =>
        new Promise<void>((resolve) => {
          ctx.signal.addEventListener('abort', () => {
            reason = ctx.signal.reason;
            resolve();
          });
        }),
      (error) => errors.push(error),
    );
    const before = activeResources();
    const started = performance.now();
    await expect(pool.close({ timeoutMs: 30 })).resolves.toBeUndefined();
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
    expect(reason).toMatchObject({ code: 'ORG_LIFECYCLE_CLOSE_TIMEOUT' });
    expect(errors).toEqual([expect.objectContaining({ code: 'ORG_LIFECYCLE_CLOSE_TIMEOUT' })]);
    expect(resourcesAddedSince(before)).toEqual({});
  });

  it('a close that finishes in time reports nothing, and its context tells the time left', async () => {
    const errors: unknown[] = [];
    let left = 0;
    const pool = new Pool(
      async (ctx) => {
        left = ctx.remainingMs();
        await sleep(5);
      },
      (error) => errors.push(error),
    );
    await pool.close({ timeoutMs: 1000 });
    expect(left).toBeGreaterThan(900);
    expect(left).toBeLessThanOrEqual(1000);
    expect(errors).toEqual([]);
  });

  it('close() rejects with the error of a close function that fails', async () => {
    const pool = new Pool(async () => {
      throw new Error('pool broken');
    });
    await expect(pool.close()).rejects.toThrow('pool broken');
    await expect(pool.close()).rejects.toThrow('pool broken');
  });

  it('destroy() aborts at once with its reason, and is not reported as a timeout', async () => {
    const errors: unknown[] = [];
    let sawAbort: unknown;
    const pool = new Pool(
      async (ctx) => {
        sawAbort = ctx.signal.aborted && ctx.signal.reason;
      },
      (error) => errors.push(error),
    );
    const fatal = new Error('fatal');
    await pool.destroy(fatal);
    expect(sawAbort).toBe(fatal);
    expect(errors).toEqual([]);
  });

  it('destroy() during a graceful close aborts the close in progress', async () => {
    let aborted = false;
    const pool = new Pool(
      (ctx) =>
        new Promise<void>((resolve) =>
          ctx.signal.addEventListener('abort', () => {
            aborted = true;
            resolve();
          }),
        ),
    );
    const closing = pool.close({ timeoutMs: 10_000 });
    await sleep(5);
    expect(aborted).toBe(false);
    await pool.destroy();
    await closing;
    expect(aborted).toBe(true);
  });

  it("a parent's context is its children's deadline, and a child never aborts its parent", async () => {
    const child = new Pool(async (ctx) => {
      await sleep(1);
      expect(ctx.remainingMs()).toBeLessThanOrEqual(500);
    });
    const parent = new Pool(async (ctx) => {
      await child.close(ctx.share(0.5));
      expect(ctx.signal.aborted).toBe(false);
    });
    await parent.close({ timeoutMs: 1000 });
    expect(child.closes).toBe(1);
  });

  it('an outside signal makes the close abortive', async () => {
    const outside = new AbortController();
    let reason: unknown;
    const pool = new Pool(
      (ctx) =>
        new Promise<void>((resolve) =>
          ctx.signal.addEventListener('abort', () => {
            reason = ctx.signal.reason;
            resolve();
          }),
        ),
    );
    const closing = pool.close({ signal: outside.signal, timeoutMs: 10_000 });
    outside.abort('stop now');
    await closing;
    expect(reason).toBe('stop now');
  });

  it('works with await using', async () => {
    let pool: Pool | undefined;
    {
      await using p = new Pool();
      pool = p;
    }
    expect(pool.closes).toBe(1);
    expect(pool.closed).toBe(true);
  });

  it('CloseOnce composes into classes that extend something else', async () => {
    let calls = 0;
    const state = new CloseOnce('transport', async () => {
      calls++;
      await sleep(5);
    });
    expect(state.closed).toBe(false);
    await Promise.all([state.close(), state.close()]);
    expect(calls).toBe(1);
    expect(state.done).toBe(true);
    expect(state.timedOut).toBe(false);
    expect(() => state.assertOpen('log')).toThrow(/transport\.log\(\) called after close/);
  });

  it('its signal is the same before and after close() and aborts on destroy()', async () => {
    const state = new CloseOnce('x', () => {});
    const signal = state.signal;
    await state.close();
    expect(state.signal).toBe(signal);
    const other = new CloseOnce('y', () => {});
    const before = other.signal;
    await other.destroy();
    expect(before.aborted).toBe(true);
  });
});
