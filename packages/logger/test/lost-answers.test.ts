// Answers lost after Elasticsearch stored the documents: later than the request timeout, a reset
// mid-answer, an unreadable (truncated) answer, an answer with half the items, an empty answer. In every
// case the counts must bracket what the server really holds:
//   logged = sent + buffered + inFlight + Σ dropped + unconfirmed,  sent ≤ stored ≤ sent + unconfirmed
// — also when the buffer filled up while the answer was outstanding, and when close() runs out of time.
import { type EsFault, type EsTestServer, startEsTestServer } from '@org/es-test-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ElasticsearchTransport,
  type ElasticsearchTransportOptions,
  type ElasticsearchTransportStats,
} from '../src/index.js';
import { collectingReporter, droppedTotal, waitFor } from './helpers.js';

let server: EsTestServer;
let reporter: ReturnType<typeof collectingReporter>;
const transports: ElasticsearchTransport[] = [];

beforeEach(async () => {
  server = await startEsTestServer();
  reporter = collectingReporter();
});

afterEach(async () => {
  for (const transport of transports.splice(0)) await transport.close({ timeoutMs: 1000 });
  await server.close();
});

function transport(options: Partial<ElasticsearchTransportOptions> = {}): ElasticsearchTransport {
  const t = new ElasticsearchTransport({
    node: server.url,
    onError: reporter,
    flushIntervalMs: 20,
    requestTimeoutMs: 1000,
    backoff: { initialMs: 20, maxMs: 100 },
    ...options,
  });
  transports.push(t);
  return t;
}

function log(t: ElasticsearchTransport, from: number, to: number): void {
  for (let i = from; i < to; i++) t.log({ level: 'info', message: `m-${i}` });
}

/** The accounting invariant, and the server's stored count between what is confirmed and what may be. */
function expectBracketed(s: ElasticsearchTransportStats): void {
  expect(s.sent + s.buffered + s.inFlight + droppedTotal(s.dropped) + s.unconfirmed).toBe(s.logged);
  expect(server.received).toBeGreaterThanOrEqual(s.sent);
  expect(server.received).toBeLessThanOrEqual(s.sent + s.unconfirmed);
  // What is counted dropped is certainly not stored: stored + dropped never exceeds logged.
  expect(server.received + droppedTotal(s.dropped)).toBeLessThanOrEqual(s.logged);
  expect(server.duplicates()).toEqual([]);
}

const LOST: [string, EsFault, Partial<ElasticsearchTransportOptions>][] = [
  ['an answer later than the request timeout', { kind: 'latency', ms: 400 }, { requestTimeoutMs: 150 }],
  ['a reset mid-answer', { kind: 'reset' }, {}],
  ['a truncated answer', { kind: 'malformed', mode: 'truncated' }, {}],
  ['an answer with half the items', { kind: 'malformed', mode: 'short' }, {}],
  ['an empty answer', { kind: 'malformed', mode: 'empty' }, {}],
];

describe.each(LOST)('after %s (the documents were stored)', (_name, fault, options) => {
  it('sends the entries again under the same ids: each stored once, all confirmed', async () => {
    const t = transport(options);
    server.setFault({ ...fault, times: 2 });
    log(t, 0, 300);
    await waitFor(() => t.stats().sent === 300, 'every entry confirmed');
    const s = t.stats();
    expect(s).toMatchObject({ unconfirmed: 0, inDoubt: 0, buffered: 0, inFlight: 0 });
    expect(server.received).toBe(300);
    // The re-sends were answered 409 on our ids: confirmed, not stored twice.
    expect(s.alreadyStored).toBeGreaterThan(0);
    // (A re-send whose own answer was lost again was answered 409 too: the server saw at least as many.)
    expect(server.conflicts).toBeGreaterThanOrEqual(s.alreadyStored);
    expectBracketed(s);
  });

  it('counts entries that find the buffer full again on their return as unconfirmed, never as dropped', async () => {
    const t = transport({ ...options, maxBufferedEntries: 100, batchSize: 50, maxConcurrentRequests: 1 });
    server.setFault({ ...fault, times: 1 });
    log(t, 0, 50);
    await Promise.resolve(); // the first 50 go out
    expect(t.stats().inFlight).toBe(50);
    // While their answer is outstanding the buffer fills up (and overflows) with newer entries.
    log(t, 50, 200);
    expect(t.stats().dropped.overflow).toBeGreaterThan(0);
    await waitFor(() => t.stats().inFlight + t.stats().buffered === 0, 'everything settled');
    const s = t.stats();
    expect(s.logged).toBe(200);
    expectBracketed(s);
    expect(s.unconfirmed).toBeGreaterThan(0);
  });

  it('at shutdown, counts entries still in doubt at the deadline as unconfirmed, not dropped.closed', async () => {
    const t = transport({ ...options, requestTimeoutMs: options.requestTimeoutMs ?? 5000 });
    // Every answer is lost until the close deadline (the re-sends too).
    server.setFault(fault.kind === 'latency' ? { kind: 'latency', ms: 5000 } : fault);
    log(t, 0, 50);
    await Promise.resolve();
    const started = performance.now();
    await t.close({ timeoutMs: 400 });
    expect(performance.now() - started).toBeLessThan(1500);
    const s = t.stats();
    expect(server.received).toBe(50);
    expect(s.dropped.closed).toBe(0);
    expect(s.unconfirmed).toBe(50 - s.sent);
    expect(s.unconfirmed).toBeGreaterThan(0);
    expectBracketed(s);
    expect(reporter.errors.some((e) => e.code === 'ORG_LOGGER_ES_CLOSE_UNSENT')).toBe(true);
  });
});

describe('documentIds: false', () => {
  it('does not send an entry again after its answer was lost (a second copy could be stored): unconfirmed', async () => {
    const t = transport({ documentIds: false });
    server.setFault({ kind: 'reset', times: 1 });
    log(t, 0, 100);
    await waitFor(() => t.stats().inFlight + t.stats().buffered === 0, 'settled');
    const s = t.stats();
    expect(s.unconfirmed).toBe(100);
    expect(server.received).toBe(100);
    expectBracketed(s);
    expect(reporter.errors.some((e) => e.code === 'ORG_LOGGER_ES_UNCONFIRMED')).toBe(true);
  });
});
