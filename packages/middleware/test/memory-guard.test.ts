import { activeResources, collectGarbage, resourcesAddedSince, waitFor } from '@org/shared-lifecycle/testing';
import express from 'express';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { type MemoryUsageLike, memoryGuard } from '../src/index.js';
import { captureLogger, request, startServer } from './helpers.js';

const MiB = 1024 * 1024;

/** Keeps the event loop busy for ms (a synchronous spin, like a CPU-bound handler). */
function blockLoop(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

function usage(heapUsed: number, rss = 100 * MiB): MemoryUsageLike {
  return { heapUsed, rss, heapTotal: heapUsed * 2, external: 0, arrayBuffers: 0 };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('memoryGuard', () => {
  test('samples on its timer, trips above a threshold, answers 503 with Retry-After, logs once per episode, recovers', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { logger, entries } = captureLogger();
    let current = usage(10 * MiB);
    const guard = memoryGuard({
      maxHeapUsedBytes: 50 * MiB,
      maxRssBytes: 500 * MiB,
      maxEventLoopDelayMs: 0,
      sampleIntervalMs: 1000,
      retryAfterSeconds: 7,
      logger,
      readMemory: () => current,
    });
    try {
      // A major GC of this process also triggers a sample: counts are at least the timer's.
      const samples = guard.stats().samples;
      await vi.advanceTimersByTimeAsync(1000);
      expect(guard.stats().samples).toBeGreaterThanOrEqual(samples + 1);
      expect(guard.stats().underPressure).toBe(false);

      current = usage(60 * MiB);
      await vi.advanceTimersByTimeAsync(1000);
      expect(guard.stats().samples).toBeGreaterThanOrEqual(samples + 2);
      expect(guard.stats()).toMatchObject({
        underPressure: true,
        reason: 'heapUsed',
        episodes: 1,
      });
      // Still above: the same episode, no new entry.
      await vi.advanceTimersByTimeAsync(3000);
      expect(guard.stats().episodes).toBe(1);
      current = usage(10 * MiB, 600 * MiB);
      await vi.advanceTimersByTimeAsync(1000);
      expect(guard.stats()).toMatchObject({ reason: 'rss', episodes: 1 });
      expect(() => guard.healthCheck()).toThrow(
        expect.objectContaining({ code: 'ORG_MIDDLEWARE_UNDER_PRESSURE' }),
      );

      current = usage(10 * MiB);
      await vi.advanceTimersByTimeAsync(1000);
      expect(guard.stats()).toMatchObject({ underPressure: false, reason: null, episodes: 1 });
      expect(() => guard.healthCheck()).not.toThrow();

      await vi.advanceTimersByTimeAsync(10);
      expect(entries.map((e) => [e.level, e.message])).toEqual([
        ['warn', 'memory guard: under pressure (heapUsed), answering 503'],
        ['info', 'memory guard: pressure relieved'],
      ]);
    } finally {
      await guard.close();
    }
  });

  test("samples right after a major GC, between its timer's samples; not once closed", async () => {
    const guard = memoryGuard({ sampleIntervalMs: 3_600_000, maxEventLoopDelayMs: 0 });
    try {
      const before = guard.stats().samples;
      (globalThis as { gc?: () => void }).gc?.();
      await waitFor(() => guard.stats().samples > before, { what: 'a sample after gc()' });
    } finally {
      await guard.close();
    }
    const after = guard.stats().samples;
    (globalThis as { gc?: () => void }).gc?.();
    await sleep(50);
    expect(guard.stats().samples).toBe(after);
  });

  test('with real timers and real memory: trips when the heap grows past the threshold and recovers after release', async () => {
    const before = activeResources();
    const { logger, entries } = captureLogger();
    const baseline = process.memoryUsage().heapUsed;
    const guard = memoryGuard({
      maxHeapUsedBytes: baseline + 40 * MiB,
      maxEventLoopDelayMs: 0,
      sampleIntervalMs: 20,
      logger,
    });
    const app = express();
    app.use(guard);
    app.get('/', (_req, res) => {
      res.send('ok');
    });
    {
      await using server = await startServer(app);
      expect((await request(server.url)).status).toBe(200);

      let hog: number[][] | null = Array.from({ length: 80 }, () =>
        Array.from({ length: 100_000 }, (_, i) => i + 0.5),
      );
      await guard.sample();
      expect(guard.isUnderPressure()).toBe(true);
      const replies = await Promise.all([request(server.url), request(server.url), request(server.url)]);
      for (const reply of replies) {
        expect(reply.status).toBe(503);
        expect(reply.headers['retry-after']).toBe('10');
        expect(JSON.parse(reply.body.toString())).toMatchObject({ error: 'ORG_MIDDLEWARE_UNDER_PRESSURE' });
      }
      expect(hog.length).toBe(80);
      hog = null;
      // Let the owned timer see the release by itself.
      const deadline = Date.now() + 5000;
      while (guard.isUnderPressure() && Date.now() < deadline) {
        await collectGarbage(1);
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(guard.isUnderPressure()).toBe(false);
      expect((await request(server.url)).status).toBe(200);
      expect(guard.stats()).toMatchObject({ episodes: 1, rejected: 3 });
      expect(entries.filter((e) => e.message.startsWith('memory guard'))).toHaveLength(2);
    }
    await guard.close();
    await guard.close();
    expect(guard.stats().closed).toBe(true);
    expect(resourcesAddedSince(before)).toEqual({});
  });

  test('event-loop delay, real timers: trips while the loop is blocked, answers 503, logs the episode once, recovers', async () => {
    const before = activeResources();
    const { logger, entries } = captureLogger();
    const guard = memoryGuard({
      maxHeapUsedBytes: 0,
      maxRssBytes: 0,
      maxEventLoopDelayMs: 100,
      sampleIntervalMs: 100,
      logger,
    });
    const app = express();
    app.use(guard);
    app.get('/', (_req, res) => {
      res.send('ok');
    });
    {
      await using server = await startServer(app);
      expect((await request(server.url)).status).toBe(200);

      // A CPU-bound workload: 250 ms synchronous slices, one per turn of the loop, until stopped.
      let blocking = true;
      const blocker = (async () => {
        while (blocking) {
          blockLoop(250);
          await nextTurn();
        }
      })();
      try {
        await waitFor(() => guard.isUnderPressure(), { timeoutMs: 10_000, what: 'pressure' });
        expect(guard.stats()).toMatchObject({ underPressure: true, reason: 'eventLoopDelay', episodes: 1 });
        expect(guard.stats().lastSample?.eventLoopDelayMs).toBeGreaterThan(100);
        // Still blocked: requests (served between the slices) are turned away.
        const replies = await Promise.all([request(server.url), request(server.url)]);
        expect(replies.map((r) => r.status)).toEqual([503, 503]);
        expect(replies[0]?.headers['retry-after']).toBe('10');
      } finally {
        blocking = false;
        await blocker;
      }

      // The guard's own timer sees the loop free again.
      await waitFor(() => !guard.isUnderPressure(), { timeoutMs: 10_000, what: 'relief' });
      expect(guard.isUnderPressure()).toBe(false);
      expect(guard.stats().lastSample?.eventLoopDelayMs).toBeLessThan(100);
      expect((await request(server.url)).status).toBe(200);
      expect(guard.stats()).toMatchObject({ episodes: 1, rejected: 2 });
      expect(entries.map((e) => [e.level, e.message])).toEqual([
        ['warn', 'memory guard: under pressure (eventLoopDelay), answering 503'],
        ['info', 'memory guard: pressure relieved'],
      ]);
      expect(entries[1]).toMatchObject({ reason: 'eventLoopDelay', rejected: 2 });
    }
    await guard.close();
    expect(resourcesAddedSince(before)).toEqual({});
  });

  test('event-loop delay, real timers: does not trip while the loop only serves requests', async () => {
    const guard = memoryGuard({
      maxHeapUsedBytes: 0,
      maxRssBytes: 0,
      maxEventLoopDelayMs: 100,
      sampleIntervalMs: 50,
    });
    const app = express();
    app.use(guard);
    app.get('/', (_req, res) => {
      res.send('ok');
    });
    try {
      await using server = await startServer(app);
      const delays: number[] = [];
      while (guard.stats().samples < 8) {
        const replies = await Promise.all([request(server.url), request(server.url)]);
        expect(replies.map((r) => r.status)).toEqual([200, 200]);
        const sample = guard.stats().lastSample;
        if (sample !== null) delays.push(sample.eventLoopDelayMs);
        await sleep(20);
      }
      expect(guard.stats()).toMatchObject({ underPressure: false, episodes: 0, rejected: 0 });
      expect(delays.length).toBeGreaterThan(0);
      for (const delay of delays) expect(delay).toBeLessThan(100);
    } finally {
      await guard.close();
    }
  });

  test('event-loop delay: a block right after a sample is seen by the next one (no reset() losing its tick)', async () => {
    const guard = memoryGuard({
      maxHeapUsedBytes: 0,
      maxRssBytes: 0,
      maxEventLoopDelayMs: 100,
      sampleIntervalMs: 60_000,
    });
    try {
      await sleep(30);
      await guard.sample();
      expect(guard.isUnderPressure()).toBe(false);
      blockLoop(600);
      await sleep(30);
      await guard.sample();
      expect(guard.stats().reason).toBe('eventLoopDelay');
      expect(guard.stats().lastSample?.eventLoopDelayMs).toBeGreaterThan(100);
      // Sampled again at once: no tick in between, the figure stands (no flapping).
      await guard.sample();
      expect(guard.isUnderPressure()).toBe(true);
      await sleep(150);
      await guard.sample();
      expect(guard.isUnderPressure()).toBe(false);
      expect(guard.stats().episodes).toBe(1);
    } finally {
      await guard.close();
    }
  });

  test('exempts requests, feeds a health check, and passes everything after close', async () => {
    let current = usage(90 * MiB);
    const guard = memoryGuard({
      maxHeapUsedBytes: 50 * MiB,
      sampleIntervalMs: 60_000,
      exempt: (req) => req.url === '/health',
      readMemory: () => current,
    });
    const app = express();
    app.use(guard);
    app.get(['/', '/health'], (_req, res) => {
      res.send('ok');
    });
    await using server = await startServer(app);
    await guard.sample();
    expect(guard.stats().reason).toBe('heapUsed');
    expect((await request(server.url)).status).toBe(503);
    expect((await request(`${server.url}/health`)).status).toBe(200);
    expect(guard.stats().lastSample?.eventLoopDelayMs).toBeGreaterThanOrEqual(0);
    current = usage(10 * MiB);
    await guard.close();
    await guard.sample();
    expect(guard.isUnderPressure()).toBe(false);
    expect((await request(server.url)).status).toBe(200);
  });

  test('bad options get typed errors', () => {
    for (const options of [
      { maxHeapUsedBytes: -1 },
      { sampleIntervalMs: 0 },
      { retryAfterSeconds: 1.5 },
      { logger: {} },
      { exempt: 'x' },
    ]) {
      expect(() => memoryGuard(options as never)).toThrow(
        expect.objectContaining({ code: 'ORG_MIDDLEWARE_INVALID_OPTION' }),
      );
    }
  });
});
