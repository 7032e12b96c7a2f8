import { readFileSync } from 'node:fs';
import { undocumentedCodes } from '@org/shared-lifecycle/testing';
import express from 'express';
import { describe, expect, test } from 'vitest';
import {
  defaultThresholds,
  healthHandler,
  MIDDLEWARE_ERROR_CODES,
  memoryGuard,
  memoryHandler,
  memoryLimits,
} from '../src/index.js';
import { request, startServer } from './helpers.js';

describe('healthHandler', () => {
  test('a failing non-critical check makes the answer degraded but 200; a critical one makes it 503', async () => {
    let elasticsearchUp = false;
    let databaseUp = true;
    const health = healthHandler({
      checks: {
        database: () => {
          if (!databaseUp) throw new Error('db down');
        },
        elasticsearch: {
          critical: false,
          check: () => {
            if (!elasticsearchUp) throw new Error('es unreachable');
          },
        },
      },
    });
    await using server = await startServer(health);
    const degraded = await request(`${server.url}/health`);
    expect(degraded.status).toBe(200);
    expect(JSON.parse(degraded.body.toString())).toMatchObject({
      status: 'degraded',
      checks: {
        database: { status: 'ok' },
        elasticsearch: { status: 'fail', error: { message: 'es unreachable' } },
      },
    });
    elasticsearchUp = true;
    expect(JSON.parse((await request(`${server.url}/health`)).body.toString()).status).toBe('ok');
    databaseUp = false;
    elasticsearchUp = false;
    const failed = await request(`${server.url}/health`);
    expect(failed.status).toBe(503);
    expect(JSON.parse(failed.body.toString()).status).toBe('fail');
  });

  test('readiness runs every check with its timeout; liveness only liveness checks (node:http)', async () => {
    let aborted: unknown = null;
    const reported: unknown[] = [];
    const health = healthHandler({
      timeoutMs: 100,
      onError: (error) => reported.push(error),
      checks: {
        db: async () => {},
        cache: {
          liveness: true,
          check: () => 'ok',
        },
        search: (signal) =>
          new Promise((_resolve, reject) => {
            signal.addEventListener('abort', () => {
              aborted = signal.reason;
              reject(signal.reason);
            });
          }),
        broken: () => {
          throw Object.assign(new Error('down'), { code: 'ECONNREFUSED' });
        },
      },
    });
    await using server = await startServer(health);
    const ready = await request(`${server.url}/health`);
    expect(ready.status).toBe(503);
    const body = JSON.parse(ready.body.toString());
    expect(body).toMatchObject({
      status: 'fail',
      probe: 'readiness',
      checks: {
        db: { status: 'ok' },
        cache: { status: 'ok' },
        search: { status: 'fail', error: { code: 'ORG_MIDDLEWARE_HEALTH_CHECK_TIMEOUT' } },
        broken: { status: 'fail', error: { code: 'ECONNREFUSED', message: 'down' } },
      },
    });
    expect((aborted as { code?: string }).code).toBe('ORG_MIDDLEWARE_HEALTH_CHECK_TIMEOUT');
    expect(reported).toHaveLength(2);
    const live = await request(`${server.url}/health/live`);
    expect(live.status).toBe(200);
    expect(JSON.parse(live.body.toString())).toMatchObject({
      status: 'ok',
      probe: 'liveness',
      checks: { cache: {} },
    });
    expect(Object.keys(JSON.parse(live.body.toString()).checks)).toEqual(['cache']);
    expect((await request(`${server.url}/health`, { method: 'POST' })).status).toBe(405);
    const head = await request(`${server.url}/health/live`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
  });

  test('works as an Express handler, and concurrent probes share one run of the checks', async () => {
    let runs = 0;
    const health = healthHandler({
      checks: {
        slow: async () => {
          runs++;
          await new Promise((resolve) => setTimeout(resolve, 50));
        },
      },
    });
    const app = express();
    app.get(['/healthz', '/healthz/live'], health);
    await using server = await startServer(app);
    const replies = await Promise.all([1, 2, 3].map(() => request(`${server.url}/healthz`)));
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(runs).toBe(1);
  });

  test('bad checks get typed errors', () => {
    expect(() => healthHandler({ checks: { x: 'nope' as never } })).toThrow(
      expect.objectContaining({ code: 'ORG_MIDDLEWARE_INVALID_OPTION' }),
    );
    expect(() => healthHandler({ timeoutMs: 0 })).toThrow(
      expect.objectContaining({ code: 'ORG_MIDDLEWARE_INVALID_OPTION' }),
    );
  });
});

describe('memoryHandler', () => {
  test('reports usage, both limits, utilisation and the thresholds in force (defaults, or the guard given)', async () => {
    const app = express();
    app.get('/memory', memoryHandler());
    await using server = await startServer(app);
    await using plain = await startServer(memoryHandler());
    const guard = memoryGuard({ maxHeapUsedBytes: 123_456_789, maxEventLoopDelayMs: 0 });
    await using withGuard = await startServer(memoryHandler({ guard }));
    try {
      for (const url of [`${server.url}/memory`, plain.url, withGuard.url]) {
        const reply = await request(url);
        expect(reply.status).toBe(200);
        expect(reply.headers['cache-control']).toBe('no-store');
        expect(reply.headers.etag).toBeUndefined();
        const body = JSON.parse(reply.body.toString());
        for (const key of ['rss', 'heapUsed', 'heapTotal', 'external', 'arrayBuffers']) {
          expect(body[key]).toBeGreaterThan(0);
        }
        expect(body.limits).toEqual(memoryLimits());
        expect(body.limits.oldGenerationBytes).toBeLessThan(body.limits.heapSizeLimitBytes);
        expect(body.heapUtilisation).toBeCloseTo(body.heapUsed / body.limits.oldGenerationBytes, 3);
        expect(body.rssUtilisation).toBe(
          body.limits.containerBytes === null
            ? null
            : expect.closeTo(body.rss / body.limits.containerBytes, 3),
        );
      }
      const defaults = JSON.parse((await request(plain.url)).body.toString());
      expect(defaults).toMatchObject({
        thresholdsSource: 'defaults',
        thresholds: defaultThresholds(),
        guard: null,
      });
      const guarded = JSON.parse((await request(withGuard.url)).body.toString());
      expect(guarded).toMatchObject({
        thresholdsSource: 'guard',
        thresholds: { maxHeapUsedBytes: 123_456_789, maxEventLoopDelayMs: 0 },
        guard: { underPressure: false, reason: null, episodes: 0, rejected: 0 },
      });
    } finally {
      await guard.close();
    }
  });
});

test('every error code is documented in the README', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  expect(undocumentedCodes(readme, Object.keys(MIDDLEWARE_ERROR_CODES))).toEqual([]);
  expect(Object.keys(MIDDLEWARE_ERROR_CODES).length).toBeGreaterThan(5);
});
