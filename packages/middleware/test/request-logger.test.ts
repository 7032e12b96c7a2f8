import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { createRedactor } from '@org/shared-lifecycle';
import { waitFor } from '@org/shared-lifecycle/testing';
import express from 'express';
import { Registry } from 'prom-client';
import { describe, expect, test } from 'vitest';
import {
  CaptureBudget,
  getRequestId,
  MiddlewareError,
  requestLogger,
  withRequestLogging,
} from '../src/index.js';
import { captureLogger, promMetrics, request, startServer } from './helpers.js';

function lastEntry<T>(entries: T[]): T {
  const entry = entries.at(-1);
  if (entry === undefined) throw new Error('no entry');
  return entry;
}

describe('requestLogger (Express)', () => {
  test('logs one entry with the route template, status, sizes, ids and client address', async () => {
    const { logger, entries } = captureLogger();
    const app = express();
    app.use(requestLogger({ logger }));
    const router = express.Router();
    router.post('/users/:id', (req, res) => {
      req.resume();
      req.on('end', () => res.status(201).json({ id: req.params.id }));
    });
    app.use('/api', router);
    await using server = await startServer(app);

    const reply = await request(`${server.url}/api/users/42?verbose=1`, {
      method: 'POST',
      body: 'hello world',
      headers: { 'content-type': 'text/plain', 'user-agent': 'test-agent/1', 'x-request-id': 'abc-123' },
    });
    await waitFor(() => entries.length === 1);
    const entry = lastEntry(entries);
    expect(reply.status).toBe(201);
    expect(reply.headers['x-request-id']).toBe('abc-123');
    expect(entry).toMatchObject({
      level: 'info',
      event: { outcome: 'success' },
      http: {
        version: '1.1',
        route: '/api/users/:id',
        request: { id: 'abc-123', method: 'POST', body: { bytes: 11 } },
        response: { status_code: 201, body: { bytes: reply.body.length } },
      },
      url: { path: '/api/users/42', query: 'verbose=1' },
      user_agent: { original: 'test-agent/1' },
      client: { ip: '127.0.0.1' },
    });
    expect(entry.http.request.aborted).toBeUndefined();
    expect(entry.event.dataset).toBeUndefined();
    expect(entry.event.duration).toBeGreaterThan(0);
    expect(Number.isInteger(entry.event.duration)).toBe(true);
    expect(entry.message).toBe(`POST /api/users/:id 201 ${(entry.event.duration / 1e6).toFixed(1)} ms`);
    expect(entry.http.response.body.content).toBeUndefined();
  });

  test('counts chunked request bodies (no content-length) and 0 bytes for requests without a body', async () => {
    const { logger, entries } = captureLogger();
    const app = express();
    app.use(requestLogger({ logger }));
    app.all('/', (req, res) => {
      req.resume();
      req.on('end', () => res.send('ok'));
    });
    await using server = await startServer(app);
    await new Promise<void>((resolve, reject) => {
      const req = http.request(server.url, { method: 'POST', agent: false }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.write('abc');
      req.write(Buffer.from('defg'));
      req.end();
    });
    await waitFor(() => entries.length === 1);
    expect(entries[0]?.http.request).toMatchObject({ method: 'POST', body: { bytes: 7 } });
    await request(server.url);
    await request(server.url, { method: 'POST', headers: { 'content-length': '0' } });
    await waitFor(() => entries.length === 3);
    expect(entries.map((e) => e.http.request.body.bytes)).toEqual([7, 0, 0]);
  });

  test('generates a request id when the incoming one is missing or implausible', async () => {
    const { logger, entries } = captureLogger();
    const app = express();
    app.use(requestLogger({ logger, generateRequestId: () => 'generated-1' }));
    app.get('/', (req, res) => {
      res.send(getRequestId(req) ?? 'none');
    });
    await using server = await startServer(app);
    const bad = await request(server.url, { headers: { 'x-request-id': `a b ${'x'.repeat(300)}` } });
    expect(bad.headers['x-request-id']).toBe('generated-1');
    expect(bad.body.toString()).toBe('generated-1');
    const none = await request(server.url);
    expect(none.headers['x-request-id']).toBe('generated-1');
    await waitFor(() => entries.length === 2);
  });

  test('labels unmatched requests (unmatched) instead of their raw URL, and 4xx/5xx get warn/error', async () => {
    const { logger, entries } = captureLogger();
    const app = express();
    app.use(requestLogger({ logger }));
    app.get('/boom', () => {
      throw new Error('boom');
    });
    await using server = await startServer(app);
    await request(`${server.url}/wp-admin/12345/x.php`);
    await request(`${server.url}/boom`);
    await waitFor(() => entries.length === 2);
    expect(entries[0]).toMatchObject({
      level: 'warn',
      message: expect.stringMatching(/^GET \(unmatched\) 404 /),
      http: { response: { status_code: 404 } },
      url: { path: '/wp-admin/12345/x.php' },
    });
    // No router matched: the entry has no http.route (the label is only for the message and metrics).
    expect(entries[0]?.http.route).toBeUndefined();
    expect(entries[1]).toMatchObject({
      level: 'error',
      event: { outcome: 'failure' },
      http: { route: '/boom', response: { status_code: 500 } },
    });
  });

  test('redacts sensitive headers and secret-looking body fields by default', async () => {
    const { logger, entries } = captureLogger();
    const app = express();
    app.use(
      requestLogger({
        logger,
        captureRequestBody: true,
        captureResponseBody: true,
        logResponseHeaders: true,
      }),
    );
    app.post('/login', express.json(), (_req, res) => {
      res.cookie('session', 'sekrit-session');
      res.json({ ok: true, access_token: 'tok-123', nested: { apiKey: 'k-1', name: 'bob' } });
    });
    await using server = await startServer(app);
    await request(`${server.url}/login?access_token=qs-secret&page=1`, {
      method: 'POST',
      body: JSON.stringify({
        user: 'bob',
        password: 'hunter2',
        card_number: 4111111111111111,
        refresh_token: 'rt-1',
        client_secret: 'cs-1',
        dbPassword: 'db-1',
      }),
      headers: {
        'content-type': 'application/json',
        authorization: 'Bearer very-secret',
        cookie: 'sid=very-secret',
        'x-api-key': 'very-secret',
        'proxy-authorization': 'Basic very-secret',
      },
    });
    await waitFor(() => entries.length === 1);
    const entry = lastEntry(entries);
    const text = JSON.stringify(entry);
    for (const secret of [
      'very-secret',
      'hunter2',
      '4111111111111111',
      'tok-123',
      'k-1',
      'sekrit-session',
      'rt-1',
      'cs-1',
      'db-1',
      'qs-secret',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(entry.http.request.headers).toMatchObject({
      authorization: '[REDACTED]',
      cookie: '[REDACTED]',
      'x-api-key': '[REDACTED]',
      'proxy-authorization': '[REDACTED]',
    });
    expect(entry.http.response.headers?.['set-cookie']).toBe('[REDACTED]');
    expect(JSON.parse(entry.http.request.body.content ?? '')).toEqual({
      user: 'bob',
      password: '[REDACTED]',
      card_number: '[REDACTED]',
      refresh_token: '[REDACTED]',
      client_secret: '[REDACTED]',
      dbPassword: '[REDACTED]',
    });
    expect(entry.url).toEqual({ path: '/login', query: 'access_token=***&page=1' });
    expect(JSON.parse(entry.http.response.body.content ?? '')).toEqual({
      ok: true,
      access_token: '[REDACTED]',
      nested: { apiKey: '[REDACTED]', name: 'bob' },
    });
  });

  test("redaction is lifecycle's Redactor: other keys with createRedactor(), none with createRedactor(false)", async () => {
    const { logger, entries } = captureLogger();
    const app = express();
    app.use(
      requestLogger({
        logger,
        captureResponseBody: true,
        redact: createRedactor({ keys: ['x-tenant'], replaceDefaults: true }),
      }),
    );
    app.get('/', (_req, res) => {
      res.json({ password: 'visible' });
    });
    await using server = await startServer(app);
    await request(server.url, { headers: { 'x-tenant': 't1', authorization: 'Bearer shown' } });
    await waitFor(() => entries.length === 1);
    const entry = lastEntry(entries);
    expect(entry.http.request.headers).toMatchObject({
      'x-tenant': '[REDACTED]',
      authorization: 'Bearer shown',
    });
    expect(entry.http.response.body.content).toBe('{"password":"visible"}');
    const off = captureLogger();
    const open = express();
    open.use(requestLogger({ logger: off.logger, captureResponseBody: true, redact: createRedactor(false) }));
    open.get('/', (_req, res) => {
      res.json({ token: 'visible' });
    });
    await using openServer = await startServer(open);
    await request(`${openServer.url}/?api_key=k`, { headers: { cookie: 'sid=1' } });
    await waitFor(() => off.entries.length === 1);
    expect(off.entries[0]).toMatchObject({
      url: { query: 'api_key=k' },
      http: {
        request: { headers: { cookie: 'sid=1' } },
        response: { body: { content: '{"token":"visible"}' } },
      },
    });
  });

  test('honours Express trust proxy through req.ip, or its own trustProxy option', async () => {
    const { logger, entries } = captureLogger();
    const app = express();
    app.set('trust proxy', 'loopback');
    app.use(requestLogger({ logger }));
    app.get('/', (_req, res) => {
      res.end();
    });
    const own = express();
    own.use(requestLogger({ logger, trustProxy: false }));
    own.get('/', (_req, res) => {
      res.end();
    });
    await using server = await startServer(app);
    await using ownServer = await startServer(own);
    await request(server.url, { headers: { 'x-forwarded-for': '203.0.113.7' } });
    await request(ownServer.url, { headers: { 'x-forwarded-for': '203.0.113.7' } });
    await waitFor(() => entries.length === 2);
    expect(entries.map((e) => e.client?.ip).sort()).toEqual(['127.0.0.1', '203.0.113.7']);
  });

  test('records http_request_duration_seconds by route template, method and status class', async () => {
    const { logger, entries } = captureLogger();
    const registry = new Registry();
    const metrics = promMetrics(registry);
    const app = express();
    app.use(requestLogger({ logger, metrics }));
    // A second logger on the same metrics object reuses the histogram instead of registering it twice.
    app.use(requestLogger({ logger, metrics }));
    app.get('/items/:id', (_req, res) => {
      res.json({});
    });
    await using server = await startServer(app);
    await request(`${server.url}/items/1`);
    await request(`${server.url}/items/2`);
    await waitFor(() => entries.length === 2);
    const text = await registry.metrics();
    expect(text).toContain(
      'http_request_duration_seconds_count{route="/items/:id",method="GET",status_class="2xx"} 2',
    );
  });

  test('a throwing logger is reported with a code and does not break the request', async () => {
    const reported: unknown[] = [];
    const app = express();
    const middleware = requestLogger({
      logger: {
        log() {
          throw new Error('sink down');
        },
      },
      onError: (error) => reported.push(error),
    });
    app.use(middleware);
    app.get('/', (_req, res) => {
      res.send('ok');
    });
    await using server = await startServer(app);
    const reply = await request(server.url);
    expect(reply.body.toString()).toBe('ok');
    await waitFor(() => reported.length === 1);
    expect(reported[0]).toBeInstanceOf(MiddlewareError);
    expect((reported[0] as MiddlewareError).code).toBe('ORG_MIDDLEWARE_LOG_FAILED');
    expect(middleware.stats()).toMatchObject({ requests: 1, inFlight: 0, logErrors: 1, logged: 0 });
  });

  test('bad options get typed errors', () => {
    const { logger } = captureLogger();
    const bad: [string, unknown][] = [
      ['logger', { logger: {} }],
      ['maxCaptureBytes', { logger, maxCaptureBytes: -1 }],
      ['maxLoggedBodyBytes', { logger, maxLoggedBodyBytes: 'big' }],
      ['captureResponseBody', { logger, captureResponseBody: 'yes' }],
      ['redact', { logger, redact: { headers() {} } }],
      ['probes', { logger, probes: '/health' }],
      ['metricsConvention', { logger, metricsConvention: 'otel' }],
      ['requestIdHeader', { logger, requestIdHeader: 'bad header' }],
      ['metrics', { logger, metrics: {} }],
      ['trustProxy', { logger, trustProxy: ['not-an-ip'] }],
    ];
    for (const [name, options] of bad) {
      expect(() => requestLogger(options as never), name).toThrow(
        expect.objectContaining({ code: 'ORG_MIDDLEWARE_INVALID_OPTION' }),
      );
    }
    expect(() =>
      requestLogger({
        logger,
        metrics: {
          histogram() {
            throw new Error('duplicate');
          },
        },
      }),
    ).toThrow(expect.objectContaining({ code: 'ORG_MIDDLEWARE_METRICS_FAILED' }));
    expect(() => withRequestLogging('nope' as never, { logger })).toThrow(MiddlewareError);
  });
});

describe('withRequestLogging (node:http)', () => {
  test('logs a plain handler with a normalized route; ids in the path do not become labels', async () => {
    const { logger, entries } = captureLogger();
    const handler = withRequestLogging(
      (_req, res) => {
        res.setHeader('content-type', 'application/json');
        res.end('{"ok":true}');
      },
      { logger, captureResponseBody: true },
    );
    await using server = await startServer(handler);
    await request(`${server.url}/orders/123456/items/0b5e9c1a-6f1e-4c8e-9d2a-7e3c2b1a0f9e?x=1`);
    await waitFor(() => entries.length === 1);
    const entry = lastEntry(entries);
    expect(entry.message).toMatch(/^GET \/orders\/:id\/items\/:id 200 /);
    expect(entry.http.route).toBeUndefined();
    expect(entry).toMatchObject({
      url: { path: '/orders/123456/items/0b5e9c1a-6f1e-4c8e-9d2a-7e3c2b1a0f9e', query: 'x=1' },
      http: { response: { status_code: 200, body: { content: '{"ok":true}', bytes: 11 } } },
    });
    expect(handler.stats()).toMatchObject({ requests: 1, logged: 1, inFlight: 0 });
  });

  test('a handler that throws or rejects gets a 500 with the request id, and the error is logged once, on its entry', async () => {
    const { logger, entries } = captureLogger();
    const reported: unknown[] = [];
    const handler = withRequestLogging(
      async (req: IncomingMessage, _res: ServerResponse) => {
        if (req.url === '/health') throw new Error('probe failed');
        await Promise.resolve();
        throw new Error('async failure');
      },
      { logger, onError: (error) => reported.push(error) },
    );
    // The sync path: a non-async handler that throws.
    const syncHandler = withRequestLogging(
      () => {
        throw new Error('sync failure');
      },
      { logger, onError: (error) => reported.push(error) },
    );
    await using server = await startServer(handler);
    await using syncServer = await startServer(syncHandler);
    const a = await request(`${server.url}/async`, { headers: { 'x-request-id': 'req-a' } });
    const b = await request(`${syncServer.url}/sync`);
    expect([a.status, b.status]).toEqual([500, 500]);
    expect(JSON.parse(a.body.toString())).toEqual({ error: 'Internal Server Error', requestId: 'req-a' });
    expect(JSON.parse(b.body.toString())).toEqual({
      error: 'Internal Server Error',
      requestId: b.headers['x-request-id'],
    });
    expect(a.body.toString()).not.toContain('async failure');
    await waitFor(() => entries.length === 2);
    expect(entries.map((e) => [e.http.response.status_code, (e.error as Error).message]).sort()).toEqual([
      [500, 'async failure'],
      [500, 'sync failure'],
    ]);
    expect(reported).toEqual([]);
    // A probe is not logged: no entry can carry its error, so it goes to onError with a code.
    const probe = await request(`${server.url}/health`);
    expect(JSON.parse(probe.body.toString())).toEqual({ error: 'Internal Server Error' });
    await waitFor(() => reported.length === 1);
    expect((reported[0] as MiddlewareError).code).toBe('ORG_MIDDLEWARE_HANDLER_FAILED');
    expect(((reported[0] as MiddlewareError).cause as Error).message).toBe('probe failed');
    expect(entries).toHaveLength(2);
  });

  test('uses a custom capture budget and exposes it', () => {
    const { logger } = captureLogger();
    const budget = new CaptureBudget({ maxBytes: 1024 });
    expect(requestLogger({ logger, captureBudget: budget }).captureBudget).toBe(budget);
  });
});
