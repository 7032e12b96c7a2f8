import { describe, expect, it } from 'vitest';
import { BoundedQueue, type DropReason } from '../src/bounded-queue.js';
import { LifecycleError } from '../src/errors.js';

function accounting<T>(q: BoundedQueue<T>) {
  const s = q.stats();
  return s.size + s.dequeued + s.dropped.overflow + s.dropped.expired;
}

describe('BoundedQueue', () => {
  it('is FIFO', () => {
    const q = new BoundedQueue<number>({ maxItems: 10 });
    for (let i = 0; i < 5; i++) q.push(i);
    expect(q.take(3).map((e) => e.value)).toEqual([0, 1, 2]);
    expect(q.shift()?.value).toBe(3);
    expect(q.size).toBe(1);
  });

  it('drops the oldest 20% in one step when full, and counts them', () => {
    const drops: [DropReason, number][] = [];
    const q = new BoundedQueue<number>({ maxItems: 1000, onDrop: (r, n) => drops.push([r, n]) });
    for (let i = 0; i < 1001; i++) q.push(i);
    expect(q.size).toBe(801);
    expect(q.shift()?.value).toBe(200);
    expect(drops).toEqual([['overflow', 200]]);
    expect(q.stats().dropped).toEqual({ overflow: 200, expired: 0, oversize: 0 });
  });

  it('keeps the byte cap, dropping as many old entries as the newcomer needs', () => {
    const q = new BoundedQueue<string>({
      maxItems: 100,
      maxBytes: 100,
      sizeOf: (s) => s.length,
      dropFraction: 0.01,
    });
    for (let i = 0; i < 10; i++) q.push('x'.repeat(10));
    expect(q.bytes).toBe(100);
    q.push('y'.repeat(35));
    expect(q.bytes).toBeLessThanOrEqual(100);
    expect(q.stats().dropped.overflow).toBe(4);
    expect([...q.drain()].at(-1)?.value).toBe('y'.repeat(35));
  });

  it('refuses an entry larger than maxEntryBytes and counts it as oversize', () => {
    const q = new BoundedQueue<string>({
      maxItems: 10,
      maxBytes: 1000,
      maxEntryBytes: 50,
      sizeOf: (s) => s.length,
    });
    expect(q.push('a'.repeat(51))).toBe(false);
    expect(q.push('a'.repeat(50))).toBe(true);
    expect(q.stats().dropped.oversize).toBe(1);
    expect(q.size).toBe(1);
  });

  it('drops entries older than maxAgeMs, by their first enqueue time', () => {
    let now = 0;
    const q = new BoundedQueue<number>({ maxItems: 10, maxAgeMs: 1000, now: () => now });
    q.push(1);
    now = 600;
    q.push(2);
    now = 1001;
    expect(q.take(10).map((e) => e.value)).toEqual([2]);
    expect(q.stats().dropped.expired).toBe(1);
  });

  it('requeue puts a failed batch back at the front in order, keeping enqueue times, within the caps', () => {
    let now = 0;
    const q = new BoundedQueue<number>({ maxItems: 5, now: () => now });
    for (let i = 0; i < 5; i++) q.push(i);
    const batch = q.take(3);
    now = 50;
    q.push(5);
    q.push(6);
    expect(q.requeue(batch)).toBe(1); // room for one: the newest of the batch survives
    expect(q.stats().dropped.overflow).toBe(2);
    const all = q.drain();
    expect(all.map((e) => e.value)).toEqual([2, 3, 4, 5, 6]);
    expect(all[0]?.enqueuedAt).toBe(0);
    expect(accounting(q)).toBe(q.stats().enqueued);
  });

  it('accounts for every entry: enqueued = size + dequeued + overflow + expired', () => {
    let now = 0;
    const q = new BoundedQueue<number>({ maxItems: 50, maxAgeMs: 100, now: () => now });
    for (let i = 0; i < 10_000; i++) {
      now += 1;
      q.push(i);
      if (i % 7 === 0) {
        const b = q.take(5);
        if (i % 3 === 0) q.requeue(b);
      }
      if (i % 101 === 0) now += 150;
    }
    expect(accounting(q)).toBe(q.stats().enqueued);
    expect(q.size).toBeLessThanOrEqual(50);
  });

  it('stays O(1): a million pushes through a 1000-entry cap', () => {
    const q = new BoundedQueue<number>({ maxItems: 1000 });
    for (let i = 0; i < 1_000_000; i++) q.push(i);
    expect(q.size).toBeLessThanOrEqual(1000);
    expect(q.stats().dropped.overflow + q.size).toBe(1_000_000);
  });

  it('rejects invalid options with a typed error', () => {
    expect(() => new BoundedQueue({ maxItems: 0 })).toThrow(LifecycleError);
    expect(() => new BoundedQueue({ maxItems: 10, dropFraction: 2 })).toThrow(/dropFraction/);
    try {
      new BoundedQueue({ maxItems: Number.NaN });
    } catch (error) {
      expect((error as LifecycleError).code).toBe('ORG_LIFECYCLE_INVALID_OPTION');
    }
  });

  it('does not retain entries it handed out', async () => {
    const { isCollected } = await import('../src/testing.js');
    const q = new BoundedQueue<object>({ maxItems: 10 });
    const pushAndShift = () => {
      const value = { big: new Array(1000).fill(1) };
      q.push(value);
      q.shift();
      return new WeakRef(value);
    };
    const refs = [pushAndShift(), pushAndShift()];
    expect(q.size).toBe(0);
    expect(await isCollected(refs)).toBe(true);
  });
});
