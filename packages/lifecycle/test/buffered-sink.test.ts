import { describe, expect, it } from 'vitest';
import { BufferedSink } from '../src/buffered-sink.js';
import { sleep } from '../src/owned-timer.js';
import type { BufferedSinkOptions, BufferedSinkStats, SendResult, SinkItem } from '../src/sink-types.js';
import { activeResources, isCollected, resourcesAddedSince, waitFor } from '../src/testing.js';

/**
 * A store the sender writes to: what it holds is the truth the sink's counts are checked against.
 * `answer` decides each request; by default everything is stored.
 */
class Store {
  readonly stored = new Map<number, number>();
  requests = 0;
  inFlight = 0;
  peak = 0;
  answer: (batch: readonly SinkItem<number>[], ctx: { signal: AbortSignal }) => Promise<SendResult> =
    async () => ({
      kind: 'stored',
    });

  readonly send = async (
    batch: readonly SinkItem<number>[],
    ctx: { signal: AbortSignal },
  ): Promise<SendResult> => {
    this.requests++;
    this.inFlight++;
    this.peak = Math.max(this.peak, this.inFlight);
    try {
      return await this.answer(batch, ctx);
    } finally {
      this.inFlight--;
    }
  };

  keep(values: Iterable<number>): void {
    for (const value of values) this.stored.set(value, (this.stored.get(value) ?? 0) + 1);
  }
}

function sink(store: Store, options: Partial<BufferedSinkOptions<number>> = {}) {
  return new BufferedSink<number>({
    name: 'test-sink',
    send: store.send,
    maxItems: 1000,
    batchSize: 10,
    flushIntervalMs: 20,
    backoff: { initialMs: 5, maxMs: 40, jitter: 0 },
    ...options,
  });
}

function total(stats: BufferedSinkStats): number {
  const dropped = Object.values(stats.dropped).reduce((a, b) => a + b, 0);
  return stats.buffered + stats.inFlight + stats.sent + stats.unconfirmed + dropped;
}

const storeAll =
  (store: Store) =>
  async (batch: readonly SinkItem<number>[]): Promise<SendResult> => {
    store.keep(batch.map((item) => item.value));
    return { kind: 'stored' };
  };

describe('BufferedSink', () => {
  it('sends a full batch at once and a partial one on the flush timer', async () => {
    const store = new Store();
    store.answer = storeAll(store);
    const s = sink(store, { flushIntervalMs: 50 });
    for (let i = 0; i < 10; i++) s.push(i);
    await waitFor(() => store.stored.size === 10, {
      timeoutMs: 40,
      what: 'the full batch, before the timer',
    });
    s.push(10);
    await sleep(10);
    expect(store.stored.size).toBe(10);
    await waitFor(() => store.stored.size === 11, { timeoutMs: 500, what: 'the partial batch' });
    await s.close();
    expect(s.stats()).toMatchObject({ received: 11, sent: 11, buffered: 0, inFlight: 0 });
  });

  it('fills the request window whenever the buffer holds more than one batch', async () => {
    const store = new Store();
    const release: (() => void)[] = [];
    store.answer = async (batch) => {
      await new Promise<void>((resolve) => release.push(resolve));
      store.keep(batch.map((item) => item.value));
      return { kind: 'stored' };
    };
    const s = sink(store, { maxConcurrency: 4 });
    for (let i = 0; i < 60; i++) s.push(i);
    await sleep(1);
    expect(store.inFlight).toBe(4);
    expect(s.stats()).toMatchObject({ inFlight: 40, buffered: 20, requests: { inFlight: 4 } });
    while (store.stored.size < 60) {
      release.shift()?.();
      await sleep(1);
    }
    expect(store.peak).toBe(4);
    await s.close();
    expect(s.stats().sent).toBe(60);
  });

  it('counts an answer lost while the buffer filled up as unconfirmed, never as dropped', async () => {
    const store = new Store();
    let lose = true;
    store.answer = async (batch) => {
      store.keep(batch.map((item) => item.value)); // stored, then the answer is lost
      if (lose) return { kind: 'failed', error: new Error('socket hang up'), inDoubt: true };
      return { kind: 'stored' };
    };
    const s = sink(store, { maxItems: 20, batchSize: 10, maxConcurrency: 1 });
    for (let i = 0; i < 10; i++) s.push(i);
    await sleep(1);
    // While the first request is answered (lost), the buffer fills up with newer items.
    for (let i = 10; i < 40; i++) s.push(i);
    await waitFor(() => s.stats().unconfirmed > 0 || s.stats().sent > 0, { what: 'an outcome' });
    lose = false;
    await s.close({ timeoutMs: 2000 });
    const stats = s.stats();
    expect(total(stats)).toBe(stats.received);
    expect(stats.received).toBe(40);
    // Whatever is stored is between what was confirmed and what may have been.
    expect(store.stored.size).toBeGreaterThanOrEqual(stats.sent);
    expect(store.stored.size).toBeLessThanOrEqual(stats.sent + stats.unconfirmed);
    // Everything dropped for overflow is really not stored.
    expect(stats.dropped.overflow + stats.sent + stats.unconfirmed).toBe(40);
  });

  it('re-sends items in doubt and counts them sent once a later answer confirms them', async () => {
    const store = new Store();
    let first = true;
    store.answer = async (batch) => {
      const fresh = batch.filter((item) => !store.stored.has(item.value));
      store.keep(fresh.map((item) => item.value));
      if (first) {
        first = false;
        return { kind: 'items', unknown: batch.map((_, i) => i).slice(5) };
      }
      expect(batch.every((item) => item.inDoubt && item.attempts === 1)).toBe(true);
      return { kind: 'stored' }; // "already there" counts as stored
    };
    const s = sink(store, { flushIntervalMs: 10_000, backoff: { initialMs: 200, maxMs: 200, jitter: 0 } });
    for (let i = 0; i < 10; i++) s.push(i);
    // The five go again at once (put-back items do not wait for the flush timer), marked in doubt.
    await waitFor(() => s.stats().sent === 10, { timeoutMs: 1000, what: 'the five re-sent and confirmed' });
    await s.close();
    expect(s.stats()).toMatchObject({ sent: 10, unconfirmed: 0, retried: 5, inDoubt: 0 });
    expect([...store.stored.values()].every((n) => n === 1)).toBe(true);
  });

  it('halves the window on item-level pushback, widens it on clean answers, pauses on a failed request', async () => {
    const store = new Store();
    let mode: 'push' | 'ok' | 'down' = 'push';
    const windows: number[] = [];
    store.answer = async (batch) => {
      await sleep(2);
      if (mode === 'down') return { kind: 'failed', error: new Error('ECONNREFUSED'), inDoubt: false };
      if (mode === 'push') {
        const retry = batch.map((_, i) => i).filter((i) => i % 3 === 0);
        store.keep(batch.filter((_, i) => i % 3 !== 0).map((item) => item.value));
        return { kind: 'items', retry };
      }
      store.keep(batch.map((item) => item.value));
      return { kind: 'stored' };
    };
    const s = sink(store, { maxConcurrency: 8, maxItems: 10_000 });
    for (let i = 0; i < 200; i++) s.push(i);
    await waitFor(() => s.stats().window === 1, { what: 'the window to shrink' });
    windows.push(s.stats().window);
    mode = 'ok';
    for (let i = 200; i < 600; i++) s.push(i);
    await waitFor(() => s.stats().window === 8, { what: 'the window to grow back' });
    mode = 'down';
    for (let i = 600; i < 620; i++) s.push(i);
    await waitFor(() => s.stats().backoffMs > 0, { what: 'a pause after a failed request' });
    expect(s.stats()).toMatchObject({ window: 1 });
    expect(s.stats().requests.failed).toBeGreaterThan(0);
    mode = 'ok';
    await s.close({ timeoutMs: 2000 });
    expect(windows).toEqual([1]);
    expect(s.stats()).toMatchObject({ sent: 620, buffered: 0 });
    expect(store.stored.size).toBe(620);
  });

  it('halves the window once per round trip: answers to requests sent before the decrease do not halve it again', async () => {
    const store = new Store();
    const release: (() => void)[] = [];
    store.answer = async (batch) => {
      await new Promise<void>((resolve) => release.push(resolve));
      store.keep(batch.slice(1).map((item) => item.value));
      return { kind: 'items', retry: [0] };
    };
    const s = sink(store, { maxConcurrency: 8, maxItems: 10_000, flushIntervalMs: 10_000 });
    for (let i = 0; i < 200; i++) s.push(i);
    await waitFor(() => release.length === 8, { what: 'a full window' });
    // All eight answer with pushback: one decrease (8 → 4), not eight (8 → 1).
    for (const answer of release.splice(0)) answer();
    await waitFor(() => s.stats().requests.inFlight === 4 && release.length === 4, {
      what: 'the next round',
    });
    expect(s.stats().window).toBe(4);
    // The next round was sent after the decrease: its pushback halves the window again.
    for (const answer of release.splice(0)) answer();
    await waitFor(() => release.length === 2, { what: 'the round after' });
    expect(s.stats().window).toBe(2);
    store.answer = storeAll(store);
    for (const answer of release.splice(0)) answer();
    await s.close({ timeoutMs: 2000 });
    expect(s.stats()).toMatchObject({ received: 200, sent: 200 });
  });

  it('an answer with every item pushed back halves the window without a pause; at a window of one it pauses', async () => {
    const store = new Store();
    const release: (() => void)[] = [];
    store.answer = async (batch, ctx) => {
      await new Promise<void>((resolve) => {
        release.push(resolve);
        ctx.signal.addEventListener('abort', () => resolve());
      });
      return { kind: 'items', retry: batch.map((_, i) => i) };
    };
    const s = sink(store, {
      maxConcurrency: 4,
      backoff: { initialMs: 10_000, maxMs: 10_000, jitter: 0 },
      flushIntervalMs: 10_000,
    });
    for (let i = 0; i < 40; i++) s.push(i);
    await waitFor(() => release.length === 4, { what: 'a full window' });
    release.shift()!();
    await waitFor(() => s.stats().window === 2, { what: 'the window halved' });
    expect(s.stats()).toMatchObject({ backoffMs: 0, requests: { failed: 0 } });
    // Answers to requests sent before the decrease do not halve it again.
    for (const answer of release.splice(0)) answer();
    await waitFor(() => release.length === 2, { what: 'the round sent after the decrease' });
    expect(s.stats()).toMatchObject({ window: 2, backoffMs: 0 });
    // That round's pushback takes the window to one, still without a pause ...
    release.shift()!();
    await waitFor(() => s.stats().window === 1, { what: 'a window of one' });
    expect(s.stats().backoffMs).toBe(0);
    // ... and every item pushed back at a window of one pauses, as a failed request does.
    release.shift()!();
    await waitFor(() => s.stats().backoffMs > 0, { what: 'a pause' });
    const closing = s.close({ timeoutMs: 0 });
    for (const answer of release.splice(0)) answer();
    await closing;
    expect(total(s.stats())).toBe(40);
  });

  it('an answer that stored some items and pushed others back resets the backoff of failed requests', async () => {
    const store = new Store();
    let mode: 'down' | 'partial' = 'down';
    store.answer = async (batch) => {
      if (mode === 'down') return { kind: 'failed', error: new Error('ECONNREFUSED'), inDoubt: false };
      // One answer that stores all but the first item; the request after it fails again.
      mode = 'down';
      store.keep(batch.slice(1).map((item) => item.value));
      return { kind: 'items', retry: [0] };
    };
    const s = sink(store, {
      backoff: { initialMs: 100, maxMs: 10_000, factor: 2, jitter: 0 },
      flushIntervalMs: 10_000,
      maxItems: 10_000,
    });
    const pauses: number[] = [];
    for (let i = 0; i < 10; i++) s.push(i);
    for (let attempt = 0; attempt < 3; attempt++) {
      await s.flush();
      pauses.push(s.stats().backoffMs);
    }
    // 100, 200, 400 ms: the backoff grows while requests fail as a whole.
    expect(pauses[2]).toBeGreaterThan(300);
    mode = 'partial';
    await s.flush();
    // Progress was made in between: the pause after the next failure starts from 100 ms again (not 800).
    expect(s.stats().backoffMs).toBeLessThanOrEqual(100);
    expect(s.stats().backoffMs).toBeGreaterThan(0);
    await s.close({ timeoutMs: 0 });
  });

  it('with resendInDoubt false, items whose answer was lost are counted unconfirmed at once, not sent again', async () => {
    const store = new Store();
    store.answer = async (batch) => {
      store.keep(batch.map((item) => item.value));
      if (batch[0]!.value < 10) return { kind: 'failed', error: new Error('socket hang up'), inDoubt: true };
      if (batch[0]!.value < 20) return { kind: 'items', unknown: [0, 1, 2] };
      return { kind: 'stored' };
    };
    const dropped: string[] = [];
    const s = sink(store, {
      resendInDoubt: false,
      onDrop: (reason, values) => dropped.push(`${reason}:${values.length}`),
    });
    for (let i = 0; i < 30; i++) s.push(i);
    await s.close({ timeoutMs: 2000 });
    expect(s.stats()).toMatchObject({ sent: 17, unconfirmed: 13, retried: 0, inDoubt: 0, buffered: 0 });
    expect(total(s.stats())).toBe(30);
    expect(dropped.sort()).toEqual(['unconfirmed:10', 'unconfirmed:3']);
    // Nothing was sent twice.
    expect([...store.stored.values()].every((n) => n === 1)).toBe(true);
  });

  it('isolates refused items by splitting, in a logarithmic number of requests, and stores the rest', async () => {
    for (const bad of [[437], [3, 17, 250, 251, 600, 999, 1000, 1001, 1500, 1999]]) {
      const store = new Store();
      const poison = new Set(bad);
      store.answer = async (batch) => {
        if (batch.some((item) => poison.has(item.value)))
          return { kind: 'refused', error: new Error('22P02') };
        store.keep(batch.map((item) => item.value));
        return { kind: 'stored' };
      };
      const rejected: number[] = [];
      const s = sink(store, {
        batchSize: 2000,
        maxItems: 2000,
        onRejected: (values) => rejected.push(...values),
      });
      for (let i = 0; i < 2000; i++) s.push(i);
      await s.close({ timeoutMs: 5000 });
      expect(rejected.sort((a, b) => a - b)).toEqual(bad);
      expect(store.stored.size).toBe(2000 - bad.length);
      expect(s.stats()).toMatchObject({ sent: 2000 - bad.length, dropped: { rejected: bad.length } });
      // One bad item in 2000: about 2·log2(2000/4) + 4 requests; ten: a few times that.
      expect(store.requests).toBeLessThanOrEqual(bad.length === 1 ? 24 : 160);
    }
  });

  it('rejects exactly the item a sender names and re-sends the others in one request', async () => {
    const store = new Store();
    store.answer = async (batch) => {
      const index = batch.findIndex((item) => item.value % 100 === 42);
      if (index >= 0) return { kind: 'refused', error: new Error('bad row'), index };
      store.keep(batch.map((item) => item.value));
      return { kind: 'stored' };
    };
    const s = sink(store, { batchSize: 1000, maxItems: 1000 });
    for (let i = 0; i < 1000; i++) s.push(i);
    await s.close();
    // Each refusal sends what came before it on its own and what came after it again: 1 + 2 × 10.
    expect(store.requests).toBe(21);
    expect(s.stats().splits).toBe(0);
    expect(s.stats()).toMatchObject({ sent: 990, dropped: { rejected: 10 } });
  });

  it('close() keeps retrying until the server is back, within its deadline', async () => {
    const store = new Store();
    const downUntil = performance.now() + 300;
    store.answer = async (batch) => {
      if (performance.now() < downUntil)
        return { kind: 'failed', error: new Error('ECONNREFUSED'), inDoubt: false };
      store.keep(batch.map((item) => item.value));
      return { kind: 'stored' };
    };
    const s = sink(store, { backoff: { initialMs: 20, maxMs: 100, jitter: 0 } });
    for (let i = 0; i < 55; i++) s.push(i);
    await s.close({ timeoutMs: 4000 });
    expect(s.stats()).toMatchObject({ sent: 55, dropped: { closed: 0 }, unconfirmed: 0 });
    expect(store.stored.size).toBe(55);
  });

  it('past the close deadline in-flight requests are aborted and what is left is counted', async () => {
    const store = new Store();
    store.answer = (batch, ctx) =>
      new Promise<SendResult>((resolve) => {
        if (batch[0]!.value >= 20) {
          ctx.signal.addEventListener('abort', () =>
            resolve({ kind: 'failed', error: ctx.signal.reason, inDoubt: true }),
          );
          return;
        }
        store.keep(batch.map((item) => item.value));
        resolve({ kind: 'stored' });
      });
    const errors: unknown[] = [];
    const s = sink(store, { maxConcurrency: 1, onError: (error) => errors.push(error) });
    for (let i = 0; i < 50; i++) s.push(i);
    const started = performance.now();
    await s.close({ timeoutMs: 100 });
    expect(performance.now() - started).toBeLessThan(1000);
    const stats = s.stats();
    expect(stats).toMatchObject({
      sent: 20,
      unconfirmed: 10,
      dropped: { closed: 20 },
      inFlight: 0,
      buffered: 0,
    });
    expect(total(stats)).toBe(50);
    expect(errors).toEqual([expect.objectContaining({ code: 'ORG_LIFECYCLE_CLOSE_TIMEOUT' })]);
    expect(s.push(99)).toBe(false);
    expect(s.stats().dropped.closed).toBe(21);
  });

  it('destroy() does not wait: in-flight work is aborted at once', async () => {
    const store = new Store();
    store.answer = (_batch, ctx) =>
      new Promise<SendResult>((resolve) =>
        ctx.signal.addEventListener('abort', () =>
          resolve({ kind: 'failed', error: ctx.signal.reason, inDoubt: false }),
        ),
      );
    const s = sink(store);
    for (let i = 0; i < 25; i++) s.push(i);
    await sleep(1);
    const started = performance.now();
    await s.destroy(new Error('fatal'));
    expect(performance.now() - started).toBeLessThan(100);
    expect(s.stats()).toMatchObject({ sent: 0, dropped: { closed: 25 }, inFlight: 0 });
  });

  it('drops by the caps it was given (items, bytes, age, oversize) and counts each', async () => {
    let now = 0;
    const store = new Store();
    store.answer = async () => ({ kind: 'failed', error: new Error('down'), inDoubt: false });
    const dropped: string[] = [];
    const s = sink(store, {
      maxItems: 10,
      maxBytes: 100,
      maxItemBytes: 50,
      maxAgeMs: 1000,
      batchSize: 100,
      sizeOf: () => 5,
      now: () => now,
      onDrop: (reason, values) => dropped.push(`${reason}:${values.length}`),
    });
    expect(s.push(1, 60)).toBe(false);
    for (let i = 0; i < 12; i++) s.push(i);
    now = 5000;
    await s.flush();
    await s.close({ timeoutMs: 50 });
    const stats = s.stats();
    expect(stats.dropped.oversize).toBe(1);
    expect(stats.dropped.overflow).toBeGreaterThan(0);
    expect(stats.dropped.expired).toBeGreaterThan(0);
    expect(total(stats)).toBe(13);
    expect(dropped[0]).toBe('oversize:1');
  });

  it('a sender that throws is reported; its items are retried as in doubt', async () => {
    const store = new Store();
    let thrown = false;
    store.answer = async (batch) => {
      if (!thrown) {
        thrown = true;
        throw new Error('bug in the sender');
      }
      store.keep(batch.map((item) => item.value));
      return { kind: 'stored' };
    };
    const errors: unknown[] = [];
    const s = sink(store, { onError: (error) => errors.push(error) });
    for (let i = 0; i < 10; i++) s.push(i);
    await s.close();
    expect(errors).toEqual([expect.objectContaining({ message: 'bug in the sender' })]);
    expect(s.stats()).toMatchObject({ sent: 10, retried: 10 });
  });

  it('holds the invariant through random outcomes', async () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const store = new Store();
    store.answer = async (batch) => {
      await sleep(random() * 3);
      const roll = random();
      if (roll < 0.1) return { kind: 'failed', error: new Error('down'), inDoubt: false };
      if (roll < 0.2) {
        store.keep(batch.map((item) => item.value));
        return { kind: 'failed', error: new Error('lost answer'), inDoubt: true };
      }
      const retry: number[] = [];
      const rejected: number[] = [];
      batch.forEach((item, i) => {
        const r = random();
        if (r < 0.1) retry.push(i);
        else if (r < 0.12) rejected.push(i);
        else store.keep([item.value]);
      });
      return { kind: 'items', retry, rejected };
    };
    const s = sink(store, {
      maxItems: 200,
      maxConcurrency: 3,
      backoff: { initialMs: 1, maxMs: 5, jitter: 0 },
    });
    for (let i = 0; i < 3000; i++) {
      s.push(i);
      if (i % 50 === 0) {
        await sleep(1);
        const stats = s.stats();
        expect(total(stats)).toBe(stats.received);
      }
    }
    await s.close({ timeoutMs: 3000 });
    const stats = s.stats();
    expect(total(stats)).toBe(3000);
    expect(store.stored.size).toBeGreaterThanOrEqual(stats.sent);
    expect(store.stored.size).toBeLessThanOrEqual(stats.sent + stats.unconfirmed);
  });

  it('leaves nothing behind after close, and is collected', async () => {
    const before = activeResources();
    // In a function of its own: a variable of this async test would keep the last sink alive.
    const useOnce = async (): Promise<WeakRef<object>> => {
      const store = new Store();
      store.answer = storeAll(store);
      const s = sink(store);
      for (let i = 0; i < 25; i++) s.push(i);
      await s.close();
      return new WeakRef(s);
    };
    const refs: WeakRef<object>[] = [];
    for (let round = 0; round < 5; round++) refs.push(await useOnce());
    expect(resourcesAddedSince(before)).toEqual({});
    expect(await isCollected(refs)).toBe(true);
  });

  it('refuses bad options with a typed error', () => {
    const store = new Store();
    expect(() => sink(store, { batchSize: 0 })).toThrow(
      expect.objectContaining({ code: 'ORG_LIFECYCLE_INVALID_OPTION' }),
    );
    expect(() => sink(store, { maxItems: -1 })).toThrow(
      expect.objectContaining({ code: 'ORG_LIFECYCLE_INVALID_OPTION' }),
    );
    expect(() => sink(store, { send: 'nope' as never })).toThrow(/send must be a function/);
  });
});
