import { describe, expect, it } from 'vitest';
import { CloseOnce, Resource } from '../src/close-once.js';
import { LifecycleError } from '../src/errors.js';
import { sleep } from '../src/owned-timer.js';
import { activeResources, resourcesAddedSince } from '../src/testing.js';

class Pool extends Resource {
  closes = 0;
  constructor(private readonly work: (signal: AbortSignal) => Promise<void> = async () => {}) {
    super('pool', { closeTimeoutMs: 200 });
  }
  query(): string {
    this.assertOpen('query');
    return 'ok';
  }
  protected async onClose(signal: AbortSignal): Promise<void> {
    this.closes++;
    await this.work(signal);
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

  it('close() past its deadline rejects with ORG_LIFECYCLE_CLOSE_TIMEOUT and aborts the close signal', async () => {
    let aborted = false;
    const pool = new Pool(async (signal) => {
      await new Promise<void>((resolve) => {
        signal.addEventListener('abort', () => {
          aborted = true;
          resolve();
        });
      });
    });
    const before = activeResources();
    await expect(pool.close({ timeoutMs: 30 })).rejects.toMatchObject({
      code: 'ORG_LIFECYCLE_CLOSE_TIMEOUT',
    });
    expect(aborted).toBe(true);
    expect(resourcesAddedSince(before)).toEqual({});
  });

  it('destroy() aborts at once', async () => {
    let sawAbort = false;
    const pool = new Pool(async (signal) => {
      sawAbort = signal.aborted;
    });
    await pool.destroy(new Error('fatal'));
    expect(sawAbort).toBe(true);
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
    expect(() => state.assertOpen('log')).toThrow(/transport\.log\(\) called after close/);
  });
});
