// One Express server in its own process, so that its peak RSS (VmHWM) is its own.
// Usage: node benchmarks/server.ts <bare|org|express-winston|pino-http>; prints the port on stdout.
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
process.on('SIGTERM', () => server.close(() => process.exit(0)));
