import { type EsTestServer, startEsTestServer } from '@org/es-test-server';
import { activeResources, isCollected, resourcesAddedSince } from '@org/shared-lifecycle/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createLogger,
  ElasticsearchTransport,
  type ElasticsearchTransportOptions,
  type Logger,
} from '../src/index.js';
import { collectingReporter, droppedTotal, waitFor } from './helpers.js';

// Run the same suite against a real cluster: ELASTICSEARCH_URL=http://localhost:9200 npm test
// (fault-injection tests need the test server and are skipped from the assertions that need it).
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
let server: EsTestServer;
let reporter: ReturnType<typeof collectingReporter>;
const loggers: Logger[] = [];

beforeEach(async () => {
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
  server = await startEsTestServer();
  reporter = collectingReporter();
});

afterEach(async () => {
  vi.useRealTimers();
  for (const logger of loggers.splice(0)) await logger.shutdown({ timeoutMs: 1000 });
  await server.close();
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

function makeLogger(es: Partial<ElasticsearchTransportOptions> = {}): Logger {
  const logger = createLogger({
    service: { name: 'checkout', environment: 'test' },
    console: false,
    env: {},
    onError: reporter,
    elasticsearch: { node: server.url, flushIntervalMs: 50, backoff: { initialMs: 50, maxMs: 400 }, ...es },
  });
  loggers.push(logger);
  return logger;
}

/** Waits until the server holds n documents and the transport has nothing pending (its answers processed). */
async function settled(logger: Logger, n: number, what: string, timeoutMs = 15_000): Promise<void> {
  await waitFor(
    () => server.received === n && esStats(logger).buffered + esStats(logger).inFlight === 0,
    what,
    timeoutMs,
  );
}

function esStats(logger: Logger) {
  return logger.stats().elasticsearch!;
}

/** Nothing pending, logged = sent + Σ dropped + unconfirmed, and the server holds exactly what was confirmed. */
function expectAccounted(logger: Logger): void {
  const s = esStats(logger);
  expect(s.buffered + s.inFlight).toBe(0);
  expect(s.sent + droppedTotal(s.dropped) + s.unconfirmed).toBe(s.logged);
  expect(s.unconfirmed).toBe(0);
  expect(server.received).toBe(s.sent);
  expect(server.duplicates()).toEqual([]);
}

describe('delivery', () => {
  it('delivers ECS documents to a data stream with create and stable ids', async () => {
    const logger = makeLogger();
    for (let i = 0; i < 250; i++) logger.info(`m-${i}`, { i });
    await settled(logger, 250, 'delivery');
    const doc = server.docs[0]!;
    expect(doc.index).toBe('logs-checkout-default');
    expect(doc.source).toMatchObject({ message: 'm-0', 'log.level': 'info', service: { name: 'checkout' } });
    expect(doc.id).not.toMatch(/^auto-/);
    expect(esStats(logger)).toMatchObject({ sent: 250, reachable: true, lastError: null });
    expect(esStats(logger).lastFlushMs).toBeGreaterThanOrEqual(0);
    expectAccounted(logger);
  });

  it('writes to a named index and bootstraps an index template when asked', async () => {
    const logger = makeLogger({ index: 'app-logs', indexTemplate: true });
    await logger.elasticsearch!.templateReady();
    logger.info('to index');
    await logger.elasticsearch!.flush();
    expect(server.docs[0]?.index).toBe('app-logs');
    expect([...server.templates.keys()]).toEqual(['app-logs-template']);
  });

  it('loses and duplicates nothing under item-level 429s, retrying only the failed items', async () => {
    const logger = makeLogger();
    server.setFault({ kind: 'items', status: 429, every: 3 });
    for (let i = 0; i < 600; i++) logger.info(`m-${i}`);
    await waitFor(() => (server.itemFailures[429] ?? 0) > 100, 'item 429s');
    server.setFault(null);
    await settled(logger, 600, 'all delivered');
    const s = esStats(logger);
    expect(s.retries).toBe(server.itemFailures[429]);
    expect(server.conflicts).toBe(0);
    for (let i = 0; i < 600; i++) expect(server.countOf(`m-${i}`)).toBe(1);
    expectAccounted(logger);
  });

  it('drops non-retryable item failures (400) with a count and one sampled diagnostic', async () => {
    const logger = makeLogger();
    server.setFault({ kind: 'items', status: 400, match: (doc) => doc.bad === true });
    for (let i = 0; i < 50; i++) logger.info(`m-${i}`, { bad: i % 10 === 0 });
    await waitFor(() => esStats(logger).sent + esStats(logger).dropped.rejected === 50, 'settled');
    expect(esStats(logger).dropped.rejected).toBe(5);
    expect(server.received).toBe(45);
    const diagnostics = reporter.errors.filter((e) => e.code === 'ORG_LOGGER_ES_ITEMS_REJECTED');
    expect(diagnostics).toHaveLength(1);
    expect(JSON.stringify((diagnostics[0]!.error as { details: unknown }).details)).toContain(
      'document_parsing_exception',
    );
    expectAccounted(logger);
  });
});

describe('whole-request failures', () => {
  it.each([
    ['429', { kind: 'status', status: 429, times: 3 }],
    ['503', { kind: 'status', status: 503, times: 3 }],
    ['reset mid-response', { kind: 'reset', times: 2 }],
  ] as const)('puts the batch back, backs off and recovers after %s', async (_name, fault) => {
    const logger = makeLogger();
    server.setFault(fault);
    for (let i = 0; i < 120; i++) logger.info(`m-${i}`);
    await settled(logger, 120, 'recovery');
    const s = esStats(logger);
    expect(s.failedRequests).toBeGreaterThanOrEqual(fault.times);
    expect(s.retries).toBeGreaterThan(0);
    expect(reporter.errors.some((e) => e.code === 'ORG_LOGGER_ES_REQUEST_FAILED')).toBe(true);
    // A reset after the server stored the batch: the re-send is answered 409 on our ids, not stored twice.
    if (fault.kind === 'reset') expect(server.conflicts).toBeGreaterThan(0);
    expectAccounted(logger);
  });

  it('survives responses slower than the request timeout without loss or duplicates', async () => {
    const logger = makeLogger({ requestTimeoutMs: 200 });
    server.setFault({ kind: 'latency', ms: 600, times: 2 });
    for (let i = 0; i < 100; i++) logger.info(`m-${i}`);
    await waitFor(() => esStats(logger).failedRequests >= 1, 'a timeout');
    expect(esStats(logger).reachable).toBe(false);
    await settled(logger, 100, 'delivery');
    expect(esStats(logger).reachable).toBe(true);
    // The late answers were stored anyway: the re-sends were answered 409 on our ids, not stored twice.
    expect(server.conflicts).toBeGreaterThan(0);
    expectAccounted(logger);
  });

  it('drops a batch the cluster rejects as a whole with a non-retryable 4xx', async () => {
    const logger = makeLogger();
    server.setFault({ kind: 'status', status: 400, times: 1 });
    for (let i = 0; i < 10; i++) logger.info(`m-${i}`);
    await waitFor(() => esStats(logger).dropped.rejected === 10, 'rejection');
    expect(reporter.errors.some((e) => e.code === 'ORG_LOGGER_ES_BATCH_REJECTED')).toBe(true);
    expectAccounted(logger);
  });
});

describe('caps', () => {
  it('caps the buffer in entries, dropping the oldest 20% at once, and the counts add up', async () => {
    await server.down();
    const logger = makeLogger({ maxBufferedEntries: 100 });
    for (let i = 0; i < 1000; i++) logger.info(`m-${i}`);
    const s = esStats(logger);
    // The cap holds for the buffer; at most one batch per concurrent request is out of it, in flight.
    expect(s.buffered).toBeLessThanOrEqual(100);
    expect(s.inFlight).toBeLessThanOrEqual(200);
    expect(s.dropped.overflow).toBeGreaterThan(0);
    expect(s.dropped.overflow % 20).toBe(0);
    await server.up();
    await waitFor(() => esStats(logger).buffered + esStats(logger).inFlight === 0, 'drain', 15_000);
    expectAccounted(logger);
    // The newest entries survived.
    expect(server.countOf('m-999')).toBe(1);
  });

  it('caps the buffer in bytes', async () => {
    await server.down();
    const logger = makeLogger({ maxBufferedBytes: 20_000 });
    for (let i = 0; i < 200; i++) logger.info(`m-${i}`, { pad: 'x'.repeat(500) });
    expect(esStats(logger).bufferedBytes).toBeLessThanOrEqual(20_000);
    expect(esStats(logger).dropped.overflow).toBeGreaterThan(0);
    await server.up();
    await waitFor(() => esStats(logger).buffered + esStats(logger).inFlight === 0, 'drain', 15_000);
    expectAccounted(logger);
  });

  it('refuses an entry larger than its own cap (oversize), counted', async () => {
    const transport = new ElasticsearchTransport({ node: server.url, maxEntryBytes: 300, onError: reporter });
    // A line formatted elsewhere (createLogger truncates to its own cap before this) that is over the cap.
    const preformatted = { level: 'info', message: 'big' } as Record<string | symbol, unknown>;
    preformatted[Symbol.for('message')] = JSON.stringify({ message: 'y'.repeat(1000) });
    preformatted[Symbol.for('@org/shared-logger.ecsLine')] = true;
    transport.log(preformatted as never, () => {});
    transport.log({ level: 'info', message: 'ok' }, () => {});
    expect(transport.stats().dropped.oversize).toBe(1);
    await transport.close();
    expect(server.received).toBe(1);
    expect(transport.stats().sent + droppedTotal(transport.stats().dropped)).toBe(2);
  });

  it('drops entries older than the age cap at flush (fake clock)', async () => {
    let now = 1_000_000;
    await server.down();
    const logger = makeLogger({ now: () => now, maxEntryAgeMs: 60 * 60 * 1000, flushIntervalMs: 10 });
    for (let i = 0; i < 30; i++) logger.info(`old-${i}`);
    now += 61 * 60 * 1000;
    logger.info('fresh');
    await server.up();
    await settled(logger, 1, 'fresh delivered');
    expect(esStats(logger).dropped.expired).toBe(30);
    expect(server.countOf('fresh')).toBe(1);
    expectAccounted(logger);
  });
});

describe('outages', () => {
  it('stays bounded, backs off and recovers through a real outage of a few seconds', async () => {
    const logger = makeLogger({ maxBufferedEntries: 500, backoff: { initialMs: 100, maxMs: 800 } });
    let logged = 0;
    const produce = setInterval(() => {
      for (let i = 0; i < 20; i++) logger.info(`m-${logged++}`);
    }, 10);
    try {
      await waitFor(() => server.received > 100, 'first deliveries');
      await server.down();
      const failedAtDown = esStats(logger).failedRequests;
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const during = esStats(logger);
      expect(during.reachable).toBe(false);
      expect(during.buffered).toBeLessThanOrEqual(500);
      expect(during.dropped.overflow).toBeGreaterThan(0);
      // 3 s at 100→800 ms backoff: a handful of attempts, not one per 50 ms tick.
      expect(during.failedRequests - failedAtDown).toBeLessThan(15);
      await server.up();
    } finally {
      clearInterval(produce);
    }
    await waitFor(() => esStats(logger).buffered + esStats(logger).inFlight === 0, 'drain', 15_000);
    expect(esStats(logger).reachable).toBe(true);
    expect(esStats(logger).logged).toBe(logged);
    expectAccounted(logger);
  });

  it('goes through a 10-minute outage compressed with fake time: bounded, backing off, then recovering', async () => {
    // The sink keeps its pauses on performance.now(): fake it too.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'], now: Date.now() });
    const logger = makeLogger({ flushIntervalMs: 1000, backoff: { initialMs: 500, maxMs: 30_000 } });
    const transport = logger.elasticsearch!;
    const step = async (ms: number) => {
      await vi.advanceTimersByTimeAsync(ms);
      await waitFor(() => transport.stats().inFlight === 0, 'idle');
    };
    for (let i = 0; i < 50; i++) logger.info(`before-${i}`);
    await step(1000);
    await waitFor(() => server.received === 50, 'before outage');
    await server.down();
    const failedBefore = transport.stats().failedRequests;
    let logged = 50;
    for (let second = 0; second < 600; second++) {
      for (let i = 0; i < 3; i++) logger.info(`m-${logged++}`);
      await step(1000);
      const s = transport.stats();
      expect(s.buffered).toBeLessThanOrEqual(1000);
      expect(s.backoffMs).toBeLessThanOrEqual(30_000);
    }
    const during = transport.stats();
    const attempts = during.failedRequests - failedBefore;
    // Without backoff: ~600 attempts (one per tick). With 500 ms → 30 s: about 30.
    expect(attempts).toBeGreaterThan(10);
    expect(attempts).toBeLessThan(45);
    expect(during.reachable).toBe(false);
    expect(during.dropped.overflow).toBeGreaterThan(0);
    await server.up();
    for (let i = 0; i < 40 && transport.stats().buffered > 0; i++) await step(1000);
    await waitFor(() => transport.stats().buffered + transport.stats().inFlight === 0, 'recovered');
    expect(transport.stats().reachable).toBe(true);
    expect(transport.stats().logged).toBe(logged);
    expectAccounted(logger);
    // Reporting is rate-limited: not one report per failed request.
    expect(reporter.errors.filter((e) => e.code === 'ORG_LOGGER_ES_REQUEST_FAILED').length).toBeLessThan(
      attempts,
    );
  });
});

describe('close', () => {
  it('exits promptly with the cluster down: final flush within the deadline, unsent counted, no handles', async () => {
    const before = activeResources();
    await server.down();
    const logger = createLogger({
      service: { name: 'down' },
      console: false,
      env: {},
      onError: reporter,
      elasticsearch: { node: server.url, flushIntervalMs: 50 },
    });
    for (let i = 0; i < 300; i++) logger.info(`m-${i}`);
    const started = performance.now();
    await logger.shutdown({ timeoutMs: 2000 });
    await logger.shutdown();
    expect(performance.now() - started).toBeLessThan(2500);
    const s = esStats(logger);
    expect(s.closed).toBe(true);
    expect(s.dropped.closed).toBe(300);
    expect(s.sent + droppedTotal(s.dropped)).toBe(s.logged);
    expect(reporter.errors.some((e) => e.code === 'ORG_LOGGER_ES_CLOSE_UNSENT')).toBe(true);
    await waitFor(() => Object.keys(resourcesAddedSince(before)).length === 0, 'handles released', 2000);
    expect(resourcesAddedSince(before)).toEqual({});
  });

  it('delivers what is buffered on close, leaves no handles, listeners or objects behind', async () => {
    const before = activeResources();
    const exitListeners = process.listenerCount('exit');
    let logger: Logger | undefined = createLogger({
      service: { name: 'leak' },
      console: false,
      env: {},
      onError: reporter,
      elasticsearch: { node: server.url, flushIntervalMs: 60_000 },
    });
    for (let i = 0; i < 42; i++) logger.info(`m-${i}`);
    expect(server.received).toBe(0);
    await logger.shutdown();
    expect(server.received).toBe(42);
    expect(esStats(logger)).toMatchObject({ sent: 42, buffered: 0, closed: true });
    const refs = [new WeakRef(logger), new WeakRef(logger.elasticsearch!)];
    logger = undefined;
    await waitFor(() => Object.keys(resourcesAddedSince(before)).length === 0, 'handles released', 2000);
    expect(resourcesAddedSince(before)).toEqual({});
    expect(process.listenerCount('exit')).toBe(exitListeners);
    expect(await isCollected(refs)).toBe(true);
  });

  it('close() is idempotent, and entries logged after it are counted, never thrown', async () => {
    const transport = new ElasticsearchTransport({ node: server.url, onError: reporter });
    const first = transport.close();
    expect(transport.close()).toBe(first);
    await first;
    expect(() => transport.log({ level: 'info', message: 'late' }, () => {})).not.toThrow();
    expect(transport.stats().dropped.closed).toBe(1);
    await transport.flush();
  });
});

describe('options', () => {
  it('rejects bad options with typed errors', () => {
    expect(() => new ElasticsearchTransport({})).toThrow(
      expect.objectContaining({ code: 'ORG_LOGGER_INVALID_OPTION' }),
    );
    expect(() => new ElasticsearchTransport({ node: server.url, batchSize: 0 })).toThrow(
      expect.objectContaining({ code: 'ORG_LOGGER_INVALID_OPTION' }),
    );
    expect(() => new ElasticsearchTransport({ node: server.url, maxBufferedEntries: -5 })).toThrow(
      expect.objectContaining({ code: 'ORG_LOGGER_INVALID_OPTION' }),
    );
  });
});
