// winston's own transport contract (abstract-winston-transport): log() with and without a callback,
// and the 'logged' event. Run against the Elasticsearch transport, and against winston's Stream
// transport as a control that the suite runs as it does under mocha.
import { Writable } from 'node:stream';
import { type EsTestServer, startEsTestServer } from '@org/es-test-server';
import { afterAll, beforeAll } from 'vitest';
import winston from 'winston';
import { ElasticsearchTransport, type ElasticsearchTransportOptions } from '../src/index.js';
import { runMochaSuite } from './mocha-suite.js';

let server: EsTestServer;
const created: ElasticsearchTransport[] = [];

beforeAll(async () => {
  server = await startEsTestServer();
});

afterAll(async () => {
  await Promise.all(created.splice(0).map((transport) => transport.close()));
  await server.close();
});

runMochaSuite('abstract-winston-transport', {
  name: 'ElasticsearchTransport',
  Transport: class extends ElasticsearchTransport {
    constructor(options: ElasticsearchTransportOptions) {
      super(options);
      created.push(this);
    }
  },
  construct: () => ({ node: server.url, flushIntervalMs: 50, onError: () => {} }),
  afterEach: (_options: unknown, done: (error?: unknown) => void) => {
    Promise.all(created.splice(0).map((transport) => transport.close())).then(
      () => done(),
      (error: unknown) => done(error),
    );
  },
});

runMochaSuite('abstract-winston-transport', {
  name: 'winston Stream (control)',
  Transport: winston.transports.Stream,
  construct: () => ({ stream: new Writable({ write: (_chunk, _encoding, callback) => callback() }) }),
});
