// One server in its own process, so that its CPU time and peak RSS (VmHWM) are its own.
// Usage: node benchmarks/server.ts <framework> <mode>, with an IPC channel: sends { port } when it
// listens, and answers the message "cpu" with its process.cpuUsage() (user + system, µs).
//
// framework: express (Express 5) or http (node:http). Routes: GET /json (a ~1 KB JSON object) and
// GET /big (32 MB of JSON text, for the memory case).
//
// Every logging contestant writes one JSON line per request to stdout, as a service does; the runner
// points the server's stdout at /dev/null:
// - org, org-capture: requestLogger / withRequestLogging → createLogger of @org/shared-logger with its
//   defaults (ECS JSON on stdout); org-capture also captures the bodies;
// - pino-http: pino-http → pino() with its defaults (its own stdout destination, sonic-boom);
// - diagnostics: org-winston (requestLogger → a plain winston logger, format.json(), Stream transport
//   on process.stdout), org-nullsink (requestLogger → a sink that does nothing);
// - express-winston (memory case only): its body whitelist, the same winston logger.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@org/shared-logger';
import { requestLogger, withRequestLogging } from '@org/shared-middleware';
import express from 'express';
import expressWinston from 'express-winston';
import pino from 'pino';
import { pinoHttp } from 'pino-http';
import winston from 'winston';

const framework = process.argv[2] ?? 'express';
const mode = process.argv[3] ?? 'bare';

const orgLogger = () =>
  createLogger({
    service: { name: 'bench', version: '1.0.0', environment: 'production' },
    level: 'info',
  });
const winstonLogger = () =>
  winston.createLogger({
    format: winston.format.json(),
    transports: [new winston.transports.Stream({ stream: process.stdout })],
  });
const pinoLogger = () => pino();

/** About 1 KB of JSON, like a small API answer. */
const payload = {
  id: 'ord_8f14e45fceea167a5a36dedd4bea2543',
  customerId: 'cus_42',
  status: 'paid',
  currency: 'EUR',
  createdAt: '2026-01-02T03:04:05.678Z',
  items: Array.from({ length: 8 }, (_, i) => ({
    sku: `SKU-${1000 + i}`,
    name: `Widget number ${i}`,
    qty: i + 1,
    price: 9.99 + i,
  })),
  shipping: {
    name: 'Ada Lovelace',
    street: '12 Analytical Row',
    city: 'London',
    postcode: 'NW1 2AB',
    country: 'GB',
  },
  notes: 'Leave at the door. '.repeat(4),
};
const json = JSON.stringify(payload);
const big = Buffer.alloc(32 * 1024 * 1024, 'a');
big.write('{"data":"');
big.write('"}', big.length - 2);

const options = (capture: boolean) => ({
  dataset: 'bench',
  ...(capture ? { captureResponseBody: true, captureRequestBody: true } : {}),
});

function loggerFor(): Parameters<typeof requestLogger>[0]['logger'] | null {
  switch (mode) {
    case 'org':
    case 'org-capture':
      return orgLogger();
    case 'org-winston':
      return winstonLogger();
    case 'org-nullsink':
      return { log: () => undefined };
    default:
      return null;
  }
}

let server: http.Server;
if (framework === 'express') {
  const app = express();
  const logger = loggerFor();
  if (logger !== null) app.use(requestLogger({ logger, ...options(mode === 'org-capture') }));
  else if (mode === 'pino-http') app.use(pinoHttp({ logger: pinoLogger() }));
  else if (mode === 'express-winston') {
    expressWinston.responseWhitelist.push('body');
    app.use(expressWinston.logger({ winstonInstance: winstonLogger(), meta: true }));
  } else if (mode !== 'bare') throw new Error(`unknown mode ${mode}`);
  app.get('/json', (_req, res) => {
    res.json(payload);
  });
  app.get('/big', (_req, res) => {
    res.type('application/json').end(big);
  });
  server = http.createServer(app);
} else if (framework === 'http') {
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/big') {
      res.setHeader('content-type', 'application/json');
      res.end(big);
      return;
    }
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.setHeader('content-length', Buffer.byteLength(json));
    res.end(json);
  };
  const logger = loggerFor();
  if (logger !== null)
    server = http.createServer(withRequestLogging(handler, { logger, ...options(mode === 'org-capture') }));
  else if (mode === 'pino-http') {
    const log = pinoHttp({ logger: pinoLogger() });
    server = http.createServer((req, res) => {
      log(req, res);
      handler(req, res);
    });
  } else if (mode === 'bare') server = http.createServer(handler);
  else throw new Error(`unknown mode ${mode}`);
} else {
  throw new Error(`unknown framework ${framework}`);
}

server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: (server.address() as AddressInfo).port });
});
process.on('message', (message) => {
  if (message === 'cpu') {
    const { user, system } = process.cpuUsage();
    process.send?.({ cpuUs: user + system });
  }
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
