import { EventEmitter } from 'node:events';
import http from 'node:http';
import { Writable } from 'node:stream';
import { waitFor } from '@org/shared-lifecycle/testing';
import express from 'express';
import { describe, expect, test } from 'vitest';
import winston from 'winston';
import {
  contextLogFields,
  errorHandler,
  type RequestContext,
  requestContext,
  requestLogger,
  runWithContext,
  withRequestLogging,
} from '../src/index.js';
import { captureLogger, request, startServer } from './helpers.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const id = () => requestContext()?.requestId;

/**
 * A winston logger with a format that adds contextLogFields() to every line, as a logger's context
 * hook does: the entry's own fields win (the request entry has an http object of its own).
 */
function contextLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = winston.createLogger({
    level: 'debug',
    format: winston.format((info) => {
      for (const [key, value] of Object.entries(contextLogFields() ?? {}))
        if (!(key in info)) info[key] = value;
      return info;
    })(),
    transports: [
      new winston.transports.Stream({
        stream: new Writable({
          objectMode: true,
          write(info: Record<string, unknown>, _e: unknown, cb: () => void) {
            lines.push(info);
            cb();
          },
        }),
      }),
    ],
  });
  return { logger, lines };
}

describe('request context', () => {
  test('follows the request through await, setTimeout, setImmediate, an EventEmitter, a body parser and a promise resolved after the response; 50 concurrent requests never see each other', async () => {
    const { logger, lines } = contextLogger();
    const late: { expected: string; seen: string | undefined }[] = [];
    const outside: unknown[] = [];
    const app = express();
    app.use((_req, _res, next) => {
      outside.push(requestContext());
      next();
    });
    app.use(requestLogger({ logger }));
    app.post('/work', express.json(), async (req, res) => {
      const expected = (req.body as { id: string }).id;
      const seen: Record<string, string | undefined> = { sync: id() };
      await sleep(Math.random() * 20);
      seen.await = id();
      await new Promise<void>((resolve) =>
        setTimeout(() => {
          seen.timeout = id();
          resolve();
        }, Math.random() * 10),
      );
      await new Promise<void>((resolve) =>
        setImmediate(() => {
          seen.immediate = id();
          resolve();
        }),
      );
      const emitter = new EventEmitter();
      const emitted = new Promise<void>((resolve) =>
        emitter.on('done', () => {
          seen.emitter = id();
          resolve();
        }),
      );
      setTimeout(() => emitter.emit('done'), 1);
      await emitted;
      logger.info('from the route', { orderId: expected });
      // Started here, settled after the response has gone.
      void sleep(40).then(() => {
        late.push({ expected, seen: id() });
        logger.info('after the response');
      });
      res.json(seen);
    });
    await using server = await startServer(app);
    const ids = Array.from({ length: 50 }, (_, i) => `req-${i}`);
    const replies = await Promise.all(
      ids.map((requestId) =>
        request(`${server.url}/work`, {
          method: 'POST',
          body: JSON.stringify({ id: requestId }),
          headers: { 'content-type': 'application/json', 'x-request-id': requestId },
        }),
      ),
    );
    for (const [i, reply] of replies.entries()) {
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.body.toString())).toEqual({
        sync: ids[i],
        await: ids[i],
        timeout: ids[i],
        immediate: ids[i],
        emitter: ids[i],
      });
    }
    await waitFor(() => late.length === 50 && lines.length === 150);
    expect(late.every((l) => l.seen === l.expected)).toBe(true);
    // Code that runs before the request logger entered the context sees none.
    expect(outside.every((c) => c === undefined)).toBe(true);
    // Every line carries its own request's ids: the route's line, the late one and the entry.
    const byRequest = new Map<string, Record<string, unknown>[]>();
    for (const line of lines) {
      const requestId = (line.http as { request: { id: string } }).request.id;
      byRequest.set(requestId, [...(byRequest.get(requestId) ?? []), line]);
    }
    expect([...byRequest.keys()].sort()).toEqual([...ids].sort());
    for (const [requestId, group] of byRequest) {
      const messages = group.map((l) => String(l.message));
      expect(messages.filter((m) => m === 'from the route' || m === 'after the response').sort()).toEqual([
        'after the response',
        'from the route',
      ]);
      expect(messages.filter((m) => m.startsWith('POST /work 200 '))).toHaveLength(1);
      const entry = group.find((l) => String(l.message).startsWith('POST /work 200 '));
      expect(entry?.http).toMatchObject({
        request: { id: requestId, method: 'POST' },
        response: { status_code: 200 },
      });
      const traceIds = new Set(group.map((l) => (l.trace as { id: string }).id));
      expect(traceIds.size, requestId).toBe(1);
      const spans = new Set(group.map((l) => (l.span as { id: string }).id));
      expect(spans.size, requestId).toBe(1);
    }
    expect(requestContext()).toBeUndefined();
    expect(contextLogFields()).toBeUndefined();
  });

  test('a body read with data/end events (no body parser of Express) is read inside the request context', async () => {
    const app = express();
    app.use(requestLogger({ logger: { log() {} } }));
    app.post('/raw', (req, res) => {
      const seen: (string | undefined)[] = [];
      req.on('data', () => seen.push(id()));
      req.on('end', () => {
        seen.push(id());
        res.json(seen);
      });
    });
    await using server = await startServer(app);
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        request(`${server.url}/raw`, {
          method: 'POST',
          body: 'x'.repeat(100_000),
          headers: { 'x-request-id': `raw-${i}`, 'content-type': 'text/plain' },
        }),
      ),
    );
    for (const [i, reply] of replies.entries()) {
      const seen = JSON.parse(reply.body.toString()) as string[];
      expect(seen.length).toBeGreaterThan(1);
      expect(new Set(seen)).toEqual(new Set([`raw-${i}`]));
    }
  });

  test('context log fields are ECS: trace.id, span.id, transaction.id, http.request.id; frozen, built once per request', async () => {
    const seen: unknown[] = [];
    let context: RequestContext | undefined;
    await using server = await startServer(
      withRequestLogging(
        (_req, res) => {
          context = requestContext();
          seen.push(contextLogFields(), contextLogFields());
          res.end();
        },
        { logger: { log() {} } },
      ),
    );
    const reply = await request(server.url, {
      headers: {
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        'x-request-id': 'r-1',
      },
    });
    expect(context).toMatchObject({
      requestId: 'r-1',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      parentSpanId: '00f067aa0ba902b7',
      traceFlags: '01',
    });
    expect(context?.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(context?.spanId).not.toBe('00f067aa0ba902b7');
    expect(reply.headers.traceparent).toBe(`00-4bf92f3577b34da6a3ce929d0e0e4736-${context?.spanId}-01`);
    expect(seen[0]).toBe(seen[1]);
    expect(seen[0]).toEqual({
      trace: { id: '4bf92f3577b34da6a3ce929d0e0e4736' },
      span: { id: context?.spanId },
      transaction: { id: context?.spanId },
      http: { request: { id: 'r-1' } },
    });
    expect(Object.isFrozen(seen[0])).toBe(true);
    expect(Object.isFrozen((seen[0] as { http: object }).http)).toBe(true);
    // runWithContext carries a context into work handed elsewhere.
    expect(runWithContext(context as RequestContext, () => id())).toBe('r-1');
  });

  test('a new trace and span when traceparent is absent or invalid; keep-alive requests on one connection get their own', async () => {
    const contexts: RequestContext[] = [];
    await using server = await startServer(
      withRequestLogging(
        (_req, res) => {
          contexts.push(requestContext() as RequestContext);
          res.end();
        },
        { logger: { log() {} } },
      ),
    );
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const get = (headers: Record<string, string>) =>
        new Promise<http.IncomingMessage>((resolve, reject) =>
          http
            .get(server.url, { agent, headers }, (res) => {
              res.resume();
              res.on('end', () => resolve(res));
            })
            .on('error', reject),
        );
      const a = await get({});
      const b = await get({ traceparent: 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
      expect(contexts).toHaveLength(2);
      expect(contexts[0]?.traceId).not.toBe(contexts[1]?.traceId);
      expect(contexts[1]?.traceId).not.toBe('4bf92f3577b34da6a3ce929d0e0e4736');
      expect(contexts.map((c) => c.parentSpanId)).toEqual([undefined, undefined]);
      expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
      expect(a.socket).toBe(b.socket);
    } finally {
      agent.destroy();
    }
  });

  test('errorHandler: an Express error is logged once, on the request entry, with error.* and the request id; the client gets 500 JSON without the stack', async () => {
    const { logger, entries } = captureLogger();
    const reported: unknown[] = [];
    const app = express();
    app.use(requestLogger({ logger }));
    app.get('/boom', async () => {
      await sleep(1);
      throw new TypeError('database exploded: password=hunter2');
    });
    app.get('/teapot', () => {
      throw Object.assign(new Error('short and stout'), { status: 418, expose: true });
    });
    app.use(errorHandler({ onError: (error) => reported.push(error) }));
    await using server = await startServer(app);
    const boom = await request(`${server.url}/boom`, { headers: { 'x-request-id': 'err-1' } });
    expect(boom.status).toBe(500);
    expect(boom.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(boom.body.toString())).toEqual({ error: 'Internal Server Error', requestId: 'err-1' });
    expect(boom.body.toString()).not.toContain('hunter2');
    expect(boom.body.toString()).not.toContain('TypeError');
    const teapot = await request(`${server.url}/teapot`);
    expect(teapot.status).toBe(418);
    expect(JSON.parse(teapot.body.toString())).toMatchObject({ error: 'short and stout' });
    await waitFor(() => entries.length === 2);
    expect(entries[0]).toMatchObject({
      level: 'error',
      http: { request: { id: 'err-1' }, response: { status_code: 500 }, route: '/boom' },
    });
    expect(entries[0]?.error).toBeInstanceOf(TypeError);
    expect(entries[1]).toMatchObject({ level: 'warn', http: { response: { status_code: 418 } } });
    expect(reported).toEqual([]);
  });
});
