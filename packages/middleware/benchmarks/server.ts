// One Express server in its own process, so that its CPU time and peak RSS (VmHWM) are its own.
// Usage: node benchmarks/server.ts <mode>; prints the port on stdout.
//
// Every logging contestant formats one JSON line per request and writes it to the same kind of no-op
// Writable (nullStream): the winston-based ones (org, express-winston) through one identical winston
// logger (format.json(), Stream transport); pino-http through pino (its own JSON formatter, which is
// part of what pino-http is). Two diagnostics separate the middleware's own cost from its sink's:
// `org-nullsink` (a sink that does nothing) and `org-pino` (the same pino sink as pino-http).
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { requestLogger } from '@org/shared-middleware';
import express from 'express';
import expressWinston from 'express-winston';
import pino from 'pino';
import { pinoHttp } from 'pino-http';
import winston from 'winston';

const mode = process.argv[2] ?? 'bare';
const nullStream = () =>
  new Writable({
    write(_chunk, _encoding, callback) {
      callback();
    },
  });
const winstonLogger = () =>
  winston.createLogger({
    format: winston.format.json(),
    transports: [new winston.transports.Stream({ stream: nullStream() })],
  });

const small = {
  id: 42,
  name: 'widget',
  tags: ['a', 'b', 'c'],
  price: 9.99,
  items: Array.from({ length: 10 }, (_, i) => ({ i })),
};
const big = Buffer.alloc(32 * 1024 * 1024, 'a');
big.write('{"data":"');
big.write('"}', big.length - 2);

const app = express();
if (mode === 'org') {
  app.use(requestLogger({ logger: winstonLogger(), captureResponseBody: true }));
} else if (mode === 'org-nullsink') {
  app.use(requestLogger({ logger: { log: () => undefined }, captureResponseBody: true }));
} else if (mode === 'org-pino') {
  // The same sink as pino-http's: pino's formatter to a no-op stream, through a log(level, msg, meta) adapter.
  const sink = pino(nullStream());
  const logger = {
    log: (level: string, message: string, meta?: Record<string, unknown>) => {
      const method = level === 'error' || level === 'warn' ? level : 'info';
      sink[method](meta, message);
    },
  };
  app.use(requestLogger({ logger, captureResponseBody: true }));
} else if (mode === 'express-winston') {
  expressWinston.responseWhitelist.push('body');
  app.use(expressWinston.logger({ winstonInstance: winstonLogger(), meta: true }));
} else if (mode === 'pino-http') {
  app.use(pinoHttp({ logger: pino(nullStream()) }));
} else if (mode !== 'bare') {
  throw new Error(`unknown mode ${mode}`);
}
app.get('/json', (_req, res) => {
  res.json(small);
});
app.get('/big', (_req, res) => {
  res.type('application/json').end(big);
});
const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
