import type { IncomingMessage, ServerResponse } from 'node:http';
import { activeResources, isCollected, resourcesAddedSince, waitFor } from '@org/shared-lifecycle/testing';
import express from 'express';
import { describe, expect, test } from 'vitest';
import { CaptureBudget, healthHandler, memoryGuard, memoryHandler, requestLogger } from '../src/index.js';
import { captureLogger, request, startServer } from './helpers.js';

async function exercise(keep: (req: IncomingMessage, res: ServerResponse) => void) {
  const { logger, entries } = captureLogger();
  const budget = new CaptureBudget();
  const guard = memoryGuard({ sampleIntervalMs: 10 });
  const app = express();
  app.use(guard);
  app.use(
    requestLogger({ logger, captureResponseBody: true, captureRequestBody: true, captureBudget: budget }),
  );
  app.get('/health', healthHandler({ checks: { ok: () => {} } }));
  app.get('/memory', memoryHandler());
  app.post('/echo', express.json(), (req, res) => {
    keep(req, res);
    res.write('{"a":');
    res.end('1}');
  });
  const refs: WeakRef<object>[] = [];
  const sockets = process.listenerCount('exit');
  {
    await using server = await startServer((req, res) => {
      refs.push(new WeakRef(req), new WeakRef(res));
      app(req, res);
    });
    for (let i = 0; i < 20; i++) {
      await request(`${server.url}/echo`, {
        method: 'POST',
        body: '{"password":"x"}',
        headers: { 'content-type': 'application/json' },
      });
    }
    await request(`${server.url}/health`);
    await request(`${server.url}/memory`);
    // /health is a probe: not logged.
    await waitFor(() => entries.length === 21);
  }
  await guard.close();
  expect(budget.heldBytes).toBe(0);
  expect(process.listenerCount('exit')).toBe(sockets);
  return refs;
}

describe('leaks', () => {
  test('after the server closes nothing of ours is active, and every req/res is collected', async () => {
    const before = activeResources();
    const refs = await exercise(() => {});
    expect(resourcesAddedSince(before)).toEqual({});
    expect(refs.length).toBe(44);
    expect(await isCollected(refs)).toBe(true);
  });

  test('the collection check fails on a deliberately leaky handler (it can catch a leak)', async () => {
    const leaked: unknown[] = [];
    const refs = await exercise((req, res) => leaked.push(req, res));
    expect(await isCollected(refs)).toBe(false);
    expect(leaked.length).toBe(40);
  });
});
