/**
 * Middleware on a real node:http server that opens, serves and closes, many times: memoryGuard →
 * requestLogger (request and response bodies captured) → routes, with healthHandler (a passing
 * and a timing-out check) and memoryHandler. Per iteration: a JSON response captured in the log
 * entry, a posted body, health and memory probes, a request the client aborts mid-response, a 404;
 * then the server, the guard and every socket close. Requests, responses, captured bodies, the
 * guard's sampler and the log entries must all be gone.
 */
import { once } from 'node:events';
import { createServer, IncomingMessage, request, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defineScenario } from '@org/shared-leakcheck';
import {
  CaptureBudget,
  healthHandler,
  type LogSink,
  memoryGuard,
  memoryHandler,
  type RequestLogEntry,
  requestLogger,
} from '@org/shared-middleware';

interface Reply {
  status: number;
  body: string;
}

function call(port: number, path: string, method = 'GET', body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.setHeader('content-type', 'application/json');
    req.end(body);
  });
}

/** Starts a slow response and destroys the client socket after its first chunk. */
function aborted(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/slow', agent: false }, (res) => {
      res.once('data', () => {
        req.destroy();
        resolve();
      });
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET') reject(error);
    });
    req.end();
  });
}

export default defineScenario({
  name: 'middleware/server',
  description:
    'http server with memoryGuard + requestLogger (body capture) + healthHandler → 6 requests incl. an aborted one → close',
  iterations: 30,
  classes: [Server, IncomingMessage, ServerResponse, CaptureBudget],
  async iteration(_state, i) {
    const entries = { count: 0, bodies: 0, aborted: 0 };
    const logger: LogSink = {
      log(_level, _message, meta) {
        entries.count++;
        const entry = meta as RequestLogEntry | undefined;
        if (entry?.http.response.body.content !== undefined) entries.bodies++;
        if (entry?.http.request.aborted) entries.aborted++;
      },
    };
    const guard = memoryGuard({ sampleIntervalMs: 10, logger, onError: () => {} });
    const logging = requestLogger({
      logger,
      captureResponseBody: true,
      captureRequestBody: true,
      captureBudget: new CaptureBudget({ maxBytes: 1024 * 1024 }),
      maxCaptureBytes: 64 * 1024,
      // The health probes are logged too, so that every request of the iteration has an entry.
      probes: [],
    });
    const health = healthHandler({
      checks: {
        ok: async () => {},
        slow: { check: (signal) => once(signal, 'abort'), timeoutMs: 20 },
      },
      timeoutMs: 500,
    });
    const memory = memoryHandler();
    let slowClosed: Promise<unknown> = Promise.resolve();
    const server = createServer((req, res) => {
      guard(req, res, () =>
        logging(req, res, () => {
          const path = (req.url ?? '/').split('?')[0];
          if (path?.startsWith('/health')) return health(req, res);
          if (path === '/memory') return memory(req, res);
          if (path === '/json') {
            res.setHeader('content-type', 'application/json');
            return res.end(JSON.stringify({ iteration: i, items: Array.from({ length: 50 }, (_, n) => n) }));
          }
          if (path === '/echo') {
            const chunks: Buffer[] = [];
            req.on('data', (chunk: Buffer) => chunks.push(chunk));
            req.on('end', () => {
              res.setHeader('content-type', 'application/json');
              res.end(Buffer.concat(chunks));
            });
            return;
          }
          if (path === '/slow') {
            res.setHeader('content-type', 'text/plain');
            res.write('first chunk\n');
            const timer = setTimeout(() => res.end('never reached\n'), 5000);
            res.on('close', () => clearTimeout(timer));
            slowClosed = once(res, 'close');
            return;
          }
          res.statusCode = 404;
          res.end('not found');
        }),
      );
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const json = await call(port, '/json');
    const echo = await call(port, '/echo', 'POST', JSON.stringify({ user: 'a', password: 'secret' }));
    const ready = await call(port, '/health');
    const live = await call(port, '/health/live');
    await call(port, '/memory');
    await call(port, '/nowhere');
    await aborted(port);
    await slowClosed; // the server side sees the abort
    server.close();
    server.closeAllConnections();
    await once(server, 'close');
    await guard.close();
    if (json.status !== 200 || echo.status !== 200)
      throw new Error(`bad replies ${json.status} ${echo.status}`);
    if (ready.status !== 503 || live.status !== 200) throw new Error(`health ${ready.status}/${live.status}`);
    const stats = logging.stats();
    if (stats.inFlight !== 0 || stats.logged !== 7 || stats.aborted !== 1)
      throw new Error(`request logger stats: ${JSON.stringify(stats)}`);
    if (entries.bodies < 2 || entries.aborted !== 1)
      throw new Error(`no captured body in the entries: ${JSON.stringify(entries)}`);
    return [server, guard, logging, health];
  },
});
