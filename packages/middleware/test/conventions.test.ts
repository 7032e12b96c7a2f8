import { waitFor } from '@org/shared-lifecycle/testing';
import express from 'express';
import { Registry } from 'prom-client';
import { describe, expect, test } from 'vitest';
import { DEFAULT_PROBE_PATHS, healthHandler, OTEL_DURATION_BUCKETS, requestLogger } from '../src/index.js';
import { captureLogger, promMetrics, request, startServer } from './helpers.js';

describe('route labels', () => {
  test('a route declared with several paths is labelled with the one that matched, in logs and metrics', async () => {
    const { logger, entries } = captureLogger();
    const registry = new Registry();
    const app = express();
    app.use(requestLogger({ logger, metrics: promMetrics(registry), probes: [] }));
    app.get(['/health', '/health/live'], (_req, res) => {
      res.send('ok');
    });
    const router = express.Router();
    router.get(['/orders/:id', '/order/:id'], (_req, res) => {
      res.send('one');
    });
    app.use('/api', router);
    await using server = await startServer(app);
    for (const path of ['/health', '/health/live', '/health/', '/api/orders/7', '/api/order/8']) {
      expect((await request(`${server.url}${path}`)).status).toBe(200);
    }
    await waitFor(() => entries.length === 5);
    expect(entries.map((e) => e.http.route)).toEqual([
      '/health',
      '/health/live',
      '/health',
      '/api/orders/:id',
      '/api/order/:id',
    ]);
    const text = await registry.metrics();
    expect(text).toContain(
      'http_request_duration_seconds_count{route="/health",method="GET",status_class="2xx"} 2',
    );
    expect(text).toContain(
      'http_request_duration_seconds_count{route="/health/live",method="GET",status_class="2xx"} 1',
    );
    expect(text).not.toContain('/health,/health/live');
  });
});

describe('health probes', () => {
  test('are neither logged nor measured by default; probes: [] logs them; answers are no-store and carry no ETag', async () => {
    const registry = new Registry();
    const quiet = captureLogger();
    const loud = captureLogger();
    const build = (logger: typeof quiet.logger, probes?: readonly string[]) => {
      const app = express();
      app.use(
        requestLogger({
          logger,
          metrics: promMetrics(probes === undefined ? registry : new Registry()),
          ...(probes ? { probes } : {}),
        }),
      );
      app.get(
        ['/health', '/health/live'],
        healthHandler({ checks: { ok: () => {} }, details: () => ({ db: 'up' }) }),
      );
      app.get('/orders', (_req, res) => {
        res.json([]);
      });
      return app;
    };
    await using server = await startServer(build(quiet.logger));
    await using loudServer = await startServer(build(loud.logger, []));
    for (const url of [server.url, loudServer.url]) {
      const live = await request(`${url}/health/live?probe=1`);
      const ready = await request(`${url}/health`);
      for (const reply of [live, ready]) {
        expect(reply.status).toBe(200);
        expect(reply.headers['cache-control']).toBe('no-store');
        expect(reply.headers.etag).toBeUndefined();
      }
      expect(JSON.parse(ready.body.toString())).toMatchObject({
        status: 'ok',
        probe: 'readiness',
        details: { db: 'up' },
      });
      expect(JSON.parse(live.body.toString())).toMatchObject({ probe: 'liveness' });
      await request(`${url}/orders`);
    }
    await waitFor(() => quiet.entries.length === 1 && loud.entries.length === 3);
    expect(quiet.entries[0]?.url.path).toBe('/orders');
    expect(loud.entries.map((e) => e.url.path)).toEqual(['/health/live', '/health', '/orders']);
    const text = await registry.metrics();
    expect(text).toContain('route="/orders"');
    expect(text).not.toContain('/health');
    expect(DEFAULT_PROBE_PATHS).toContain('/health/live');
  });
});

describe('metrics conventions', () => {
  test('opentelemetry: http_server_request_duration_seconds with http_route, http_request_method, http_response_status_code and OpenTelemetry buckets', async () => {
    const { logger, entries } = captureLogger();
    const registry = new Registry();
    const app = express();
    app.use(requestLogger({ logger, metrics: promMetrics(registry), metricsConvention: 'opentelemetry' }));
    app.get('/items/:id', (_req, res) => {
      res.status(201).send('x');
    });
    app.all('/items/:id', (_req, res) => {
      res.send('other');
    });
    await using server = await startServer(app);
    await request(`${server.url}/items/1`);
    await request(`${server.url}/items/2`, { method: 'PROPFIND' });
    await waitFor(() => entries.length === 2);
    const text = await registry.metrics();
    expect(text).toContain(
      'http_server_request_duration_seconds_count{http_route="/items/:id",http_request_method="GET",http_response_status_code="201"} 1',
    );
    // Methods outside OpenTelemetry's list are recorded as _OTHER (the label stays bounded).
    expect(text).toContain('http_request_method="_OTHER"');
    const buckets = [
      ...text.matchAll(
        /http_server_request_duration_seconds_bucket\{le="([^"]+)",http_route="\/items\/:id",http_request_method="GET"/g,
      ),
    ].map((m) => m[1]);
    expect(buckets).toEqual([...OTEL_DURATION_BUCKETS.map(String), '+Inf']);
    expect(text).not.toContain('http_request_duration_seconds_count');
  });

  test('every entry carries event.dataset when the service name is given', async () => {
    const { logger, entries } = captureLogger();
    const app = express();
    app.use(requestLogger({ logger, dataset: 'orders-api' }));
    app.get('/', (_req, res) => {
      res.end();
    });
    await using server = await startServer(app);
    await request(server.url);
    await request(`${server.url}/missing`);
    await waitFor(() => entries.length === 2);
    expect(entries.map((e) => e.event.dataset)).toEqual(['orders-api', 'orders-api']);
  });
});
