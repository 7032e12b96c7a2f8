import { afterEach, describe, expect, it, vi } from 'vitest';
import { OwnedInterval, sleep } from '../src/owned-timer.js';
import { activeResources, isCollected, resourcesAddedSince } from '../src/testing.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('OwnedInterval (fake timers)', () => {
  it('runs every interval, measured from the end of the previous run', async () => {
    vi.useFakeTimers();
    const starts: number[] = [];
    const timer = new OwnedInterval(
      async () => {
        starts.push(Date.now());
        await new Promise((r) => setTimeout(r, 300));
      },
      { intervalMs: 1000, name: 't' },
    ).start();
    await vi.advanceTimersByTimeAsync(5000);
    // 0 → run at 1000 (ends 1300) → 2300 (ends 2600) → 3600 (ends 3900) → 4900
    expect(starts).toEqual([1000, 2300, 3600, 4900].map((t) => t + starts[0]! - 1000));
    const stopped = timer.stop(); // waits for the run in flight (its 300 ms sleep)
    await vi.advanceTimersByTimeAsync(300);
    await stopped;
  });

  it('never overlaps its own previous run, even when trigger() is called during it', async () => {
    vi.useFakeTimers();
    let concurrent = 0;
    let maxConcurrent = 0;
    let runs = 0;
    const timer = new OwnedInterval(
      async () => {
        runs++;
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        await new Promise((r) => setTimeout(r, 500));
        concurrent--;
      },
      { intervalMs: 100, name: 't' },
    ).start();
    const triggered = [timer.trigger(), timer.trigger(), timer.trigger()];
    await vi.advanceTimersByTimeAsync(2000);
    await Promise.all(triggered);
    expect(maxConcurrent).toBe(1);
    // the three triggers coalesce: one run now, one right after it
    expect(runs).toBeGreaterThanOrEqual(2);
    const stopped = timer.stop();
    await vi.advanceTimersByTimeAsync(500);
    await stopped;
  });

  it('reports sync throws and async rejections through onError, and keeps running', async () => {
    vi.useFakeTimers();
    const errors: unknown[] = [];
    let n = 0;
    const timer = new OwnedInterval(
      () => {
        n++;
        if (n === 1) throw new Error('sync boom');
        if (n === 2) return Promise.reject(new Error('async boom'));
        return undefined;
      },
      { intervalMs: 10, name: 'monitor', onError: (e, ctx) => errors.push([e, ctx]) },
    ).start();
    await vi.advanceTimersByTimeAsync(35);
    await timer.stop();
    expect(n).toBeGreaterThanOrEqual(3);
    expect(errors).toHaveLength(2);
    const [first, ctx] = errors[0] as [Error & { code: string; cause: Error }, { source: string }];
    expect(first.code).toBe('ORG_LIFECYCLE_TASK_FAILED');
    expect(first.cause.message).toBe('sync boom');
    expect(ctx.source).toBe('monitor');
    expect(timer.stats()).toMatchObject({ errors: 2, stopped: true });
  });

  it('stop() waits for the run in flight and nothing runs after it', async () => {
    vi.useFakeTimers();
    let finished = false;
    let runs = 0;
    const timer = new OwnedInterval(
      async () => {
        runs++;
        await new Promise((r) => setTimeout(r, 1000));
        finished = true;
      },
      { intervalMs: 10, name: 't' },
    ).start();
    await vi.advanceTimersByTimeAsync(20);
    expect(timer.running).toBe(true);
    const stopped = timer.stop();
    await vi.advanceTimersByTimeAsync(1000);
    await stopped;
    expect(finished).toBe(true);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(runs).toBe(1);
    expect(() => timer.start()).toThrow(/after stop/);
  });

  it('stop({ abort: true }) aborts the signal of the run in flight', async () => {
    vi.useFakeTimers();
    let aborted = false;
    const timer = new OwnedInterval(
      (signal) =>
        new Promise<void>((resolve) => {
          signal.addEventListener('abort', () => {
            aborted = true;
            resolve();
          });
        }),
      { intervalMs: 10, name: 't' },
    ).start();
    await vi.advanceTimersByTimeAsync(10);
    await timer.stop({ abort: true });
    expect(aborted).toBe(true);
  });
});

describe('OwnedInterval (real timers)', () => {
  it('does not keep the process alive, leaves no timer after stop(), and is collected', async () => {
    const before = activeResources();
    let runs = 0;
    // In a function of its own: an async function's locals can outlive their block.
    const useOnce = async () => {
      const timer = new OwnedInterval(
        async () => {
          runs++;
        },
        { intervalMs: 5, name: 'real' },
      ).start();
      await sleep(40);
      expect(process.getActiveResourcesInfo()).toContain('Timeout');
      await timer.stop();
      return new WeakRef(timer);
    };
    const ref = await useOnce();
    expect(runs).toBeGreaterThanOrEqual(2);
    expect(resourcesAddedSince(before)).toEqual({});
    expect(await isCollected(ref)).toBe(true);
  });

  it('sleep() is cancelled by its signal and clears its timer', async () => {
    const before = activeResources();
    const controller = new AbortController();
    const pending = sleep(60_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
    expect(resourcesAddedSince(before)).toEqual({});
  });
});
