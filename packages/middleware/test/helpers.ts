import { once } from 'node:events';
import http, { type IncomingMessage, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Histogram, type Registry } from 'prom-client';
import winston from 'winston';
import type { MetricsLike, RequestLogEntry } from '../src/index.js';

export interface TestServer extends AsyncDisposable {
  server: Server;
  url: string;
  port: number;
}

/** A real server on 127.0.0.1 port 0; disposing closes it and every connection. */
export async function startServer(listener: RequestListener): Promise<TestServer> {
  const server = http.createServer(listener);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // Handles finish closing in the close phase of a later turn of the loop.
      for (let i = 0; i < 3; i++) await new Promise((resolve) => setTimeout(resolve, 1));
    },
  };
}

export interface LoggedEntry extends RequestLogEntry {
  level: string;
  message: string;
}

/** A real winston logger whose transport keeps every entry (as winston's info objects). */
export function captureLogger(): { logger: winston.Logger; entries: LoggedEntry[] } {
  const entries: LoggedEntry[] = [];
  const stream = new Writable({
    objectMode: true,
    write(info: LoggedEntry, _encoding, callback) {
      entries.push(info);
      callback();
    },
  });
  const logger = winston.createLogger({
    level: 'debug',
    transports: [new winston.transports.Stream({ stream })],
  });
  return { logger, entries };
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One request on a fresh connection (agent: false), so nothing is kept alive after it. */
export function request(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: options.method ?? 'GET', headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A request whose body is read and discarded; resolves with the byte count. */
export function drain(url: string): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res: IncomingMessage) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      res.on('error', reject);
      req.on('close', () => resolve({ status: res.statusCode ?? 0, bytes }));
    });
    req.on('error', reject);
  });
}

/** A metrics object on prom-client itself: each histogram() registers a real Histogram in `registry`. */
export function promMetrics(registry: Registry): MetricsLike {
  return {
    histogram: (config) =>
      new Histogram({
        name: config.name,
        help: config.help,
        labelNames: config.labelNames,
        ...(config.buckets === undefined ? {} : { buckets: [...config.buckets] }),
        registers: [registry],
      }),
  };
}
