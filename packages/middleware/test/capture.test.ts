import { once } from 'node:events';
import http, { type ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { waitFor } from '@org/shared-lifecycle/testing';
import compression from 'compression';
import express from 'express';
import { describe, expect, test } from 'vitest';
import {
  CaptureBudget,
  type LogSink,
  type RequestLogEntry,
  requestLogger,
  withRequestLogging,
} from '../src/index.js';
import { captureLogger, drain, request, startServer } from './helpers.js';

const MiB = 1024 * 1024;

/** A sink that keeps the entries' meta but only the length of captured text (for the big-body tests). */
function metaSink(): LogSink & { entries: (RequestLogEntry & { textLength?: number })[] } {
  const entries: (RequestLogEntry & { textLength?: number })[] = [];
  return {
    entries,
    log(_level, _message, meta) {
      const entry = structuredClone(meta) as unknown as RequestLogEntry & { textLength?: number };
      const body = entry.http.response.body;
      if (body.content !== undefined) {
        entry.textLength = body.content.length;
        body.content = '';
      }
      entries.push(entry);
    },
  };
}

function drainOrClose(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Writes `total` bytes of JSON-looking text in 64 KiB chunks, honouring backpressure. */
async function stream(res: ServerResponse, total: number, onWrite?: (ok: boolean) => void): Promise<void> {
  const chunk = Buffer.alloc(64 * 1024, 'a');
  res.setHeader('content-type', 'application/json');
  let sent = 0;
  while (sent < total && !res.destroyed) {
    const ok = res.write(chunk);
    onWrite?.(ok);
    sent += chunk.length;
    if (!ok) await drainOrClose(res);
  }
  res.end();
}

describe('response body capture', () => {
  test('captures bodies sent by write and end: strings in several encodings, Buffers, Uint8Arrays, callbacks in either position', async () => {
    const { logger, entries } = captureLogger();
    const calls: string[] = [];
    const returns: unknown[] = [];
    const handler = withRequestLogging(
      (req, res) => {
        res.setHeader('content-type', 'text/plain; charset=utf-8');
        if (req.url === '/end-callback-only') {
          res.write('only');
          res.end(() => calls.push('end-only'));
          return;
        }
        returns.push(res.write('héllo ', 'utf8', () => calls.push('w-utf8')));
        returns.push(res.write('776f726c64', 'hex'));
        returns.push(res.write(Buffer.from(' and ')));
        returns.push(res.write(new Uint8Array([0x75, 0x38]), () => calls.push('w-u8')));
        returns.push(res.write(Buffer.from(' base64!').toString('base64'), 'base64'));
        res.end(' \u00e9nd', 'latin1', () => calls.push('end'));
      },
      { logger, captureResponseBody: true },
    );
    await using server = await startServer(handler);
    const reply = await request(server.url);
    const expected = Buffer.concat([
      Buffer.from('héllo world and u8 base64! '),
      Buffer.from(' \u00e9nd', 'latin1').subarray(1),
    ]);
    expect(reply.body.equals(expected)).toBe(true);
    const other = await request(`${server.url}/end-callback-only`);
    expect(other.body.toString()).toBe('only');
    await waitFor(() => entries.length === 2 && calls.length === 4);
    expect(calls.sort()).toEqual(['end', 'end-only', 'w-u8', 'w-utf8']);
    expect(returns.every((value) => typeof value === 'boolean')).toBe(true);
    expect(entries[0]?.http.response.body).toEqual({
      bytes: expected.length,
      content: expected.toString('utf8'),
    });
    expect(entries[1]?.http.response.body).toEqual({ bytes: 4, content: 'only' });
  });

  test('captures with writeHead (headers object and an overriding wrapper such as on-headers)', async () => {
    const { logger, entries } = captureLogger();
    const handler = withRequestLogging(
      (_req, res) => {
        const original = res.writeHead;
        // What on-headers and response-time do: wrap writeHead to set a header at the last moment.
        res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
          this.setHeader('x-response-time', '1ms');
          return Reflect.apply(original, this, args);
        } as typeof res.writeHead;
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end('{"created":true}');
      },
      { logger, captureResponseBody: true, logResponseHeaders: true },
    );
    await using server = await startServer(handler);
    const reply = await request(server.url);
    expect(reply.status).toBe(201);
    expect(reply.headers['x-response-time']).toBe('1ms');
    await waitFor(() => entries.length === 1);
    expect(entries[0]?.http.response).toMatchObject({
      status_code: 201,
      body: { content: '{"created":true}', bytes: 16 },
      headers: { 'x-response-time': '1ms', 'content-type': 'application/json' },
    });
  });

  test('binary and compressed bodies are not captured, but their size is logged', async () => {
    const { logger, entries } = captureLogger();
    const handler = withRequestLogging(
      (req, res) => {
        if (req.url === '/binary') {
          res.setHeader('content-type', 'application/octet-stream');
          res.end(Buffer.alloc(1000));
        } else {
          res.setHeader('content-type', 'application/json');
          res.setHeader('content-encoding', 'br');
          res.end(Buffer.alloc(500));
        }
      },
      { logger, captureResponseBody: true },
    );
    await using server = await startServer(handler);
    await request(`${server.url}/binary`);
    await request(`${server.url}/br`);
    await waitFor(() => entries.length === 2);
    expect(entries[0]?.http.response.body).toEqual({ bytes: 1000, skipped: 'content-type' });
    expect(entries[1]?.http.response.body).toEqual({ bytes: 500, skipped: 'encoding' });
  });

  test('HEAD, 204 and 304 responses have no body', async () => {
    const { logger, entries } = captureLogger();
    const app = express();
    app.use(requestLogger({ logger, captureResponseBody: true }));
    app.get('/doc', (_req, res) => {
      res.json({ a: 1 });
    });
    app.delete('/doc', (_req, res) => {
      res.status(204).send('ignored');
    });
    await using server = await startServer(app);
    const head = await request(`${server.url}/doc`, { method: 'HEAD' });
    const deleted = await request(`${server.url}/doc`, { method: 'DELETE' });
    const first = await request(`${server.url}/doc`);
    const notModified = await request(`${server.url}/doc`, {
      headers: { 'if-none-match': String(first.headers.etag) },
    });
    expect([head.status, deleted.status, first.status, notModified.status]).toEqual([200, 204, 200, 304]);
    await waitFor(() => entries.length === 4);
    for (const i of [0, 1, 3]) {
      expect(entries[i]?.http.response.body).toEqual({ bytes: 0, skipped: 'no-body' });
    }
    expect(entries[2]?.http.response.body).toEqual({ bytes: 7, content: '{"a":1}' });
  });

  test('a 50 MB streamed response: at most the cap is held, the entry is marked truncated, the bytes are released', async () => {
    const sink = metaSink();
    const budget = new CaptureBudget({ maxBytes: 64 * MiB });
    let maxHeld = 0;
    const handler = withRequestLogging(
      async (_req, res) => {
        await stream(res, 50 * MiB, () => {
          maxHeld = Math.max(maxHeld, budget.heldBytes);
        });
      },
      {
        logger: sink,
        captureResponseBody: true,
        maxCaptureBytes: 10 * MiB,
        maxLoggedBodyBytes: 10 * MiB,
        captureBudget: budget,
      },
    );
    await using server = await startServer(handler);
    const reply = await drain(server.url);
    expect(reply.bytes).toBe(50 * MiB);
    await waitFor(() => sink.entries.length === 1);
    const entry = sink.entries[0]!;
    expect(entry.http.response.body).toMatchObject({
      bytes: 50 * MiB,
      truncated: true,
      truncated_by: 'max-bytes',
    });
    expect(entry.textLength).toBe(10 * MiB);
    expect(maxHeld).toBe(10 * MiB);
    expect(budget.stats()).toMatchObject({ heldBytes: 0, peakBytes: 10 * MiB });
  });

  test('with the defaults only the loggable excerpt (64 KiB) is ever held', async () => {
    const sink = metaSink();
    const budget = new CaptureBudget();
    const handler = withRequestLogging((_req, res) => stream(res, 2 * MiB), {
      logger: sink,
      captureResponseBody: true,
      captureBudget: budget,
    });
    await using server = await startServer(handler);
    await drain(server.url);
    await waitFor(() => sink.entries.length === 1);
    expect(sink.entries[0]?.http.response.body).toMatchObject({ bytes: 2 * MiB, truncated: true });
    expect(sink.entries[0]?.textLength).toBe(64 * 1024);
    expect(budget.stats()).toMatchObject({ heldBytes: 0, peakBytes: 64 * 1024, maxBytes: 32 * MiB });
  });

  test('100 concurrent 20 MB responses stay within the process-wide budget', async () => {
    const sink = metaSink();
    const budget = new CaptureBudget({ maxBytes: 32 * MiB });
    let maxHeld = 0;
    const handler = withRequestLogging(
      (_req, res) =>
        stream(res, 20 * MiB, () => {
          maxHeld = Math.max(maxHeld, budget.heldBytes);
        }),
      {
        logger: sink,
        captureResponseBody: true,
        maxCaptureBytes: 10 * MiB,
        maxLoggedBodyBytes: 10 * MiB,
        captureBudget: budget,
      },
    );
    await using server = await startServer(handler);
    const replies = await Promise.all(Array.from({ length: 100 }, () => drain(server.url)));
    expect(replies.every((r) => r.bytes === 20 * MiB)).toBe(true);
    await waitFor(() => sink.entries.length === 100);
    // Without the budget the captures would have held up to 100 × 10 MiB at once.
    expect(maxHeld).toBeLessThanOrEqual(32 * MiB);
    const stats = budget.stats();
    expect(stats.peakBytes).toBeLessThanOrEqual(32 * MiB);
    expect(stats.refusals).toBeGreaterThan(0);
    expect(stats.heldBytes).toBe(0);
    expect(
      sink.entries.every(
        (e) => e.http.response.body.truncated === true && e.http.response.body.bytes === 20 * MiB,
      ),
    ).toBe(true);
    expect(sink.entries.some((e) => e.http.response.body.truncated_by === 'budget')).toBe(true);
  }, 60_000);
});

describe('aborted requests', () => {
  test('aborted before headers: logged once with status null; aborted mid-body: logged once with its status', async () => {
    const { logger, entries } = captureLogger();
    const budget = new CaptureBudget();
    let arrived!: () => void;
    const gotRequest = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const handler = withRequestLogging(
      (req, res) => {
        arrived();
        if (req.url === '/partial') {
          res.setHeader('content-type', 'text/plain');
          res.write('first part');
        }
        // Never ends: the client goes away.
      },
      { logger, captureResponseBody: true, captureBudget: budget },
    );
    await using server = await startServer(handler);

    const silent = http.get(`${server.url}/silent`, { agent: false });
    silent.on('error', () => {});
    await gotRequest;
    silent.destroy();

    const partial = http.get(`${server.url}/partial`, { agent: false });
    partial.on('error', () => {});
    const response = (await once(partial, 'response'))[0] as http.IncomingMessage;
    response.on('error', () => {});
    await once(response, 'data');
    partial.destroy();

    await waitFor(() => entries.length === 2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(entries).toHaveLength(2);
    const byUrl = Object.fromEntries(entries.map((e) => [e.url.path, e]));
    expect(byUrl['/silent']).toMatchObject({
      level: 'warn',
      message: expect.stringMatching(/^GET \/silent aborted /),
      event: { outcome: 'failure' },
      http: { request: { aborted: true } },
    });
    expect(byUrl['/silent']?.http.response.status_code).toBeUndefined();
    expect(byUrl['/partial']).toMatchObject({
      http: {
        request: { aborted: true },
        response: { status_code: 200, body: { content: 'first part', bytes: 10 } },
      },
    });
    expect(budget.heldBytes).toBe(0);
  });
});

describe('backpressure', () => {
  test('write() still returns false to a slow client, and drain still arrives', async () => {
    const { logger, entries } = captureLogger();
    const writes: boolean[] = [];
    let drained = 0;
    const handler = withRequestLogging(
      async (_req, res) => {
        res.on('drain', () => drained++);
        await stream(res, 8 * MiB, (ok) => writes.push(ok));
      },
      { logger, captureResponseBody: true },
    );
    await using server = await startServer(handler);
    const req = http.get(server.url, { agent: false });
    const res = (await once(req, 'response'))[0] as http.IncomingMessage;
    res.pause();
    // The client reads nothing for a while: the server's writes must report a full buffer.
    await waitFor(() => writes.includes(false));
    const writesWhilePaused = writes.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(writes.length).toBe(writesWhilePaused);
    let bytes = 0;
    res.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    res.resume();
    await once(res, 'end');
    expect(bytes).toBe(8 * MiB);
    expect(drained).toBeGreaterThan(0);
    await waitFor(() => entries.length === 1);
    expect(entries[0]?.http.response.body).toMatchObject({ bytes: 8 * MiB, truncated: true });
  });
});

describe('compression', () => {
  const payload = { items: Array.from({ length: 200 }, (_, i) => ({ i, name: `item ${i}` })) };

  test('compression before the logger: the plain JSON is captured, its uncompressed size logged', async () => {
    const { logger, entries } = captureLogger();
    const app = express();
    app.use(compression({ threshold: 0 }));
    app.use(requestLogger({ logger, captureResponseBody: true }));
    app.get('/', (_req, res) => {
      res.json(payload);
    });
    await using server = await startServer(app);
    const reply = await request(server.url, { headers: { 'accept-encoding': 'gzip' } });
    expect(reply.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(reply.body).toString())).toEqual(payload);
    await waitFor(() => entries.length === 1);
    const json = JSON.stringify(payload);
    expect(entries[0]?.http.response.body).toEqual({ bytes: Buffer.byteLength(json), content: json });
  });

  test('compression after the logger: the gzip bytes are not captured, their size is logged', async () => {
    const { logger, entries } = captureLogger();
    const app = express();
    app.use(requestLogger({ logger, captureResponseBody: true }));
    app.use(compression({ threshold: 0 }));
    app.get('/', (_req, res) => {
      res.json(payload);
    });
    await using server = await startServer(app);
    const reply = await request(server.url, { headers: { 'accept-encoding': 'gzip' } });
    expect(reply.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(reply.body).toString())).toEqual(payload);
    await waitFor(() => entries.length === 1);
    expect(entries[0]?.http.response.body).toEqual({ bytes: reply.body.length, skipped: 'encoding' });
  });
});

describe('request body capture', () => {
  test('captures textual request bodies under the same cap, counting every byte', async () => {
    const sink = metaSink();
    const budget = new CaptureBudget();
    const seen: string[] = [];
    const app = express();
    app.use(
      requestLogger({
        logger: {
          log: (level, message, meta) => {
            seen.push((meta as unknown as RequestLogEntry).http.request.body.content ?? '');
            sink.log(level, message, meta);
          },
        },
        captureRequestBody: true,
        maxLoggedBodyBytes: 16,
        captureBudget: budget,
      }),
    );
    app.post('/', express.text(), (req, res) => {
      res.send(String((req.body as string).length));
    });
    await using server = await startServer(app);
    const body = 'x'.repeat(100_000);
    const reply = await request(server.url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'text/plain' },
    });
    expect(reply.body.toString()).toBe('100000');
    await waitFor(() => sink.entries.length === 1);
    expect(sink.entries[0]?.http.request.body).toMatchObject({
      bytes: 100_000,
      truncated: true,
      truncated_by: 'max-bytes',
    });
    expect(seen[0]).toBe('x'.repeat(16));
    expect(budget.heldBytes).toBe(0);
  });
});
