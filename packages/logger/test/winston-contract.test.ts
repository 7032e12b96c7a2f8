// winston's own transport contract (abstract-winston-transport): log() with and without a callback,
// and the 'logged' event. Run against the Elasticsearch transport, and against winston's Stream
// transport as a control that the suite runs as it does under mocha.
import { Writable } from 'node:stream';
import { type EsTestServer, startEsTestServer } from '@org/es-test-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import winston from 'winston';
import { createLogger, ElasticsearchTransport, type ElasticsearchTransportOptions } from '../src/index.js';
import { waitFor } from './helpers.js';
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

describe('as a transport of a plain winston logger', () => {
  const quiet = () => {};

  it('log() without a callback buffers the entry once and emits logged once', async () => {
    const t = new ElasticsearchTransport({ node: server.url, flushIntervalMs: 20, onError: quiet });
    created.push(t);
    const logged: unknown[] = [];
    t.on('logged', (info) => logged.push(info));
    t.log({ level: 'info', message: 'no callback' });
    expect(t.stats()).toMatchObject({ logged: 1, buffered: 1 });
    expect(logged).toHaveLength(1);
    let called = 0;
    t.log({ level: 'info', message: 'with callback' }, () => called++);
    expect(called).toBe(1);
    await t.flush();
    expect(t.stats()).toMatchObject({ logged: 2, sent: 2 });
  });

  it('log() never throws for hostile input: an entry it cannot read is counted, and the callback still comes', async () => {
    const reported: unknown[] = [];
    const t = new ElasticsearchTransport({
      node: server.url,
      flushIntervalMs: 20,
      onError: (e) => reported.push(e),
    });
    created.push(t);
    const hostile = new Proxy({} as Record<string | symbol, unknown>, {
      get() {
        throw new Error('trap');
      },
      ownKeys() {
        throw new Error('trap');
      },
    });
    let called = 0;
    expect(() => t.log(hostile as never, () => called++)).not.toThrow();
    expect(() => t.log(null as never)).not.toThrow();
    expect(() => t.log({ level: 'info', message: 'fine' }, () => called++)).not.toThrow();
    expect(called).toBe(2);
    await t.flush();
    const s = t.stats();
    expect(s.logged).toBe(3);
    expect(s.sent + s.dropped.rejected).toBe(3);
    expect(s.sent).toBeGreaterThanOrEqual(1);
  });

  it('an entry logged while close() runs is counted dropped.closed, and nothing of it is sent', async () => {
    server.reset();
    const t = new ElasticsearchTransport({
      node: server.url,
      indexTemplate: true,
      flushIntervalMs: 60_000,
      onError: () => {},
    });
    created.push(t);
    t.log({ level: 'info', message: 'before close' });
    const closing = t.close();
    t.log({ level: 'info', message: 'during close' });
    await closing;
    t.log({ level: 'info', message: 'after close' });
    expect(t.stats()).toMatchObject({ logged: 3, sent: 1, dropped: { closed: 2 } });
    expect(server.docs.map((doc) => doc.source.message)).toEqual(['before close']);
  });

  it('delivers through winston.createLogger(), and remove() / clear() / close() close the transport', async () => {
    server.reset();
    const make = () =>
      new ElasticsearchTransport({ node: server.url, flushIntervalMs: 60_000, onError: quiet });
    const [a, b, c] = [make(), make(), make()];
    const logger = winston.createLogger({ level: 'info', format: winston.format.json(), transports: [a] });
    for (let i = 0; i < 5; i++) logger.info(`a-${i}`);
    // remove(): winston unpipes the transport, which closes it: its buffer is delivered.
    logger.remove(a);
    await waitFor(() => a.stats().closed && a.stats().buffered + a.stats().inFlight === 0, 'a closed');
    expect(a.stats()).toMatchObject({ logged: 5, sent: 5, closed: true });
    logger.add(b);
    for (let i = 0; i < 3; i++) logger.info(`b-${i}`);
    logger.clear();
    await waitFor(() => b.stats().closed && b.stats().sent === 3, 'b closed');
    logger.add(c);
    logger.warn('c-0');
    logger.close();
    await waitFor(() => c.stats().closed && c.stats().sent === 1, 'c closed');
    expect(server.received).toBe(9);
    expect(server.duplicates()).toEqual([]);
  });

  it('emits problems as warn (winston forwards them on the logger), never as error, and does not unpipe', async () => {
    await server.down();
    try {
      const t = new ElasticsearchTransport({
        node: server.url,
        flushIntervalMs: 20,
        backoff: { initialMs: 20, maxMs: 50 },
        onError: quiet,
      });
      const logger = winston.createLogger({ transports: [t] });
      const warnings: unknown[] = [];
      const errors: unknown[] = [];
      logger.on('warn', (warning) => warnings.push(warning));
      logger.on('error', (error) => errors.push(error));
      logger.info('while down');
      await waitFor(() => warnings.length > 0, 'a warning');
      expect(warnings[0]).toMatchObject({ code: 'ORG_LOGGER_ES_REQUEST_FAILED' });
      expect(errors).toEqual([]);
      expect(logger.transports).toContain(t);
      await server.up();
      await waitFor(() => t.stats().sent === 1, 'delivered after the outage');
      logger.close();
      await t.close();
    } finally {
      await server.up();
    }
  });

  it('emits error when the client cannot be created (the transport can never deliver)', async () => {
    const reported: unknown[] = [];
    const t = new ElasticsearchTransport({
      node: server.url,
      clientOptions: { cloud: { id: 'not-a-cloud-id' } },
      onError: (error) => reported.push(error),
    });
    const errors: unknown[] = [];
    t.on('error', (error) => errors.push(error));
    await waitFor(() => errors.length === 1, "the 'error' event");
    expect(errors[0]).toMatchObject({ code: 'ORG_LOGGER_ES_REQUEST_FAILED' });
    expect(reported).toEqual([expect.objectContaining({ code: 'ORG_LOGGER_ES_REQUEST_FAILED' })]);
    t.log({ level: 'info', message: 'undeliverable' });
    await t.close({ timeoutMs: 100 });
    expect(t.stats()).toMatchObject({
      logged: 1,
      sent: 0,
      dropped: { closed: 1 },
      unconfirmed: 0,
      reachable: false,
    });
  });
});

describe('through the package createLogger()', () => {
  it('is a transport of the logger: the entry is formatted once, delivered once, logged counted once', async () => {
    server.reset();
    const logger = createLogger({
      service: { name: 'contract' },
      console: false,
      env: {},
      onError: () => {},
      elasticsearch: { node: server.url, flushIntervalMs: 20 },
    });
    const transport = logger.elasticsearch!;
    const logged: unknown[] = [];
    transport.on('logged', (info) => logged.push(info));
    logger.info('one', { user: { token: 'secret' } });
    await transport.flush();
    expect(logged).toHaveLength(1);
    expect(server.received).toBe(1);
    expect(server.docs[0]!.source).toMatchObject({ message: 'one', user: { token: '[REDACTED]' } });
    await logger.shutdown();
    expect(logger.stats().elasticsearch).toMatchObject({ logged: 1, sent: 1, closed: true });
  });
});

describe('the request window', () => {
  it('fills when the buffer holds several batches: a burst goes out as maxConcurrentRequests requests at once', async () => {
    server.reset();
    const t = new ElasticsearchTransport({ node: server.url, flushIntervalMs: 60_000, onError: () => {} });
    created.push(t);
    for (let i = 0; i < 1000; i++) t.log({ level: 'info', message: `burst-${i}` });
    await waitFor(() => t.stats().sent === 1000, 'the burst delivered');
    expect(t.stats()).toMatchObject({ peakRequestsInFlight: 4, window: 4, dropped: { overflow: 0 } });
    expect(server.received).toBe(1000);
  });
});
