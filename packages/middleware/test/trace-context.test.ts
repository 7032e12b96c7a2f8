import { readFileSync } from 'node:fs';
import http from 'node:http';
import { describe, expect, test } from 'vitest';
import {
  formatTraceparent,
  parseTraceparent,
  parseTracestate,
  requestContext,
  withRequestLogging,
} from '../src/index.js';
import { startServer } from './helpers.js';

type Expectation =
  | ['traceIdEquals' | 'traceIdNotEquals' | 'parentIdNotEquals', string]
  | ['tracestateHas' | 'tracestateLacks' | 'tracestateContains', string]
  | ['tracestateValue' | 'tracestateOrder', string, string]
  | ['tracestateSize', number]
  | ['tracestateContainsAny', string[]];

interface Case {
  test: string;
  headers: [string, string][];
  expect: Expectation[];
}

const cases = JSON.parse(
  readFileSync(new URL('./data/w3c-trace-context/cases.json', import.meta.url), 'utf8'),
) as Case[];

/** The harness's own format check of a propagated traceparent. */
const TRACEPARENT_FORMAT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const nullSink = { log() {} };

/**
 * One GET with raw header lines, exactly as given (a name given twice is sent as two lines; with raw
 * headers Node adds no Host, so it is added here); resolves with the response headers.
 */
function send(url: string, headers: [string, string][]): Promise<http.IncomingHttpHeaders> {
  return new Promise((resolve, reject) => {
    const raw = [['host', new URL(url).host], ...headers].flat();
    const req = http.request(url, { agent: false, headers: raw }, (res) => {
      res.resume();
      res.on('end', () =>
        res.statusCode === 200 ? resolve(res.headers) : reject(new Error(`HTTP ${res.statusCode}`)),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** The tracestate members as the harness reads them: key → value, in order. */
function members(tracestate: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const member of (tracestate ?? '').split(/[ \t]*,[ \t]*/)) {
    if (member === '') continue;
    const eq = member.indexOf('=');
    out.set(member.slice(0, eq), member.slice(eq + 1));
  }
  return out;
}

function holds(e: Expectation, traceId: string, parentId: string, tracestate: string | undefined): boolean {
  const state = members(tracestate);
  const text = tracestate ?? '';
  switch (e[0]) {
    case 'traceIdEquals':
      return traceId === e[1];
    case 'traceIdNotEquals':
      return traceId !== e[1];
    case 'parentIdNotEquals':
      return parentId !== e[1];
    case 'tracestateHas':
      return state.has(e[1]);
    case 'tracestateLacks':
      return !state.has(e[1]);
    case 'tracestateValue':
      return state.get(e[1]) === e[2];
    case 'tracestateSize':
      return state.size === e[1];
    case 'tracestateContains':
      return text.includes(e[1]);
    case 'tracestateContainsAny':
      return e[1].some((t) => text.includes(t));
    case 'tracestateOrder':
      return text.indexOf(e[1]) < text.indexOf(e[2]);
  }
}

/**
 * Sends every case to a service that calls `harness` once per request (as the W3C harness asks its
 * test service to), and checks what arrived there and what the service echoed. Returns the failures.
 */
async function runCases(serviceUrl: string, downstream: http.IncomingHttpHeaders[]): Promise<string[]> {
  const failures: string[] = [];
  for (const c of cases) {
    downstream.length = 0;
    const echoed = await send(serviceUrl, c.headers);
    const fail = (what: string) => failures.push(`${c.test} ${JSON.stringify(c.headers)}: ${what}`);
    const received = downstream[0];
    if (received === undefined) {
      fail('no downstream call');
      continue;
    }
    const traceparent = String(received.traceparent);
    const match = TRACEPARENT_FORMAT.exec(traceparent);
    if (match === null || match[2] === '0'.repeat(32) || match[3] === '0'.repeat(16) || match[1] === 'ff') {
      fail(`propagated traceparent ${traceparent} is invalid`);
      continue;
    }
    if (echoed.traceparent !== traceparent) fail(`echoed ${echoed.traceparent}, propagated ${traceparent}`);
    const tracestate = received.tracestate as string | undefined;
    for (const e of c.expect) {
      if (!holds(e, match[2]!, match[3]!, tracestate)) {
        fail(`${JSON.stringify(e)} failed: traceparent ${traceparent}, tracestate ${tracestate}`);
      }
    }
  }
  return failures;
}

async function harness(): Promise<{ url: string; downstream: http.IncomingHttpHeaders[] } & AsyncDisposable> {
  const downstream: http.IncomingHttpHeaders[] = [];
  const server = await startServer((req, res) => {
    downstream.push(req.headers);
    res.end();
  });
  return { url: server.url, downstream, [Symbol.asyncDispose]: () => server[Symbol.asyncDispose]() };
}

describe('W3C Trace Context conformance cases, over real HTTP', () => {
  test('every case of the W3C harness: what the service propagates downstream, and what it echoes', async () => {
    await using downstream = await harness();
    await using service = await startServer(
      withRequestLogging(
        async (_req, res) => {
          const context = requestContext();
          if (context === undefined) throw new Error('no request context in the handler');
          await send(downstream.url, [
            ['traceparent', context.traceparent],
            ...(context.tracestate === undefined
              ? []
              : ([['tracestate', context.tracestate]] as [string, string][])),
          ]);
          res.end('ok');
        },
        { logger: nullSink },
      ),
    );
    expect(cases.length).toBeGreaterThan(70);
    expect(await runCases(service.url, downstream.downstream)).toEqual([]);
  });

  test('the same check fails on a service that forwards the incoming headers unchanged (it can fail)', async () => {
    await using downstream = await harness();
    await using naive = await startServer(async (req, res) => {
      const forward: [string, string][] = [];
      for (const name of ['traceparent', 'tracestate']) {
        const value = req.headers[name];
        if (value !== undefined) forward.push([name, String(value)]);
      }
      // Invents a (valid) traceparent when none came, and echoes it, as a careless implementation might.
      if (forward.length === 0 || forward[0]?.[0] !== 'traceparent') {
        forward.unshift(['traceparent', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01']);
      }
      await send(downstream.url, forward);
      res.setHeader('traceparent', forward[0]?.[1] ?? '');
      res.end();
    });
    const failures = await runCases(naive.url, downstream.downstream);
    for (const test of [
      'test_traceparent_version_0xff',
      'test_traceparent_trace_id_all_zero',
      'test_traceparent_parent_id_all_zero',
      'test_traceparent_included_tracestate_missing',
      'test_tracestate_key_illegal_characters',
    ]) {
      expect(
        failures.some((f) => f.startsWith(`${test} `)),
        test,
      ).toBe(true);
    }
  });
});

describe('parseTraceparent', () => {
  const valid = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

  test('accepts the specification example and a future version with more fields', () => {
    expect(parseTraceparent(valid)).toEqual({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      parentId: '00f067aa0ba902b7',
      flags: '01',
    });
    expect(parseTraceparent(`cc${valid.slice(2)}-future`)?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(parseTraceparent(` \t${valid}\t `)?.flags).toBe('01');
  });

  test('rejects version ff, all-zero ids, wrong lengths, upper-case hex, joined duplicates and non-strings', () => {
    const bad = [
      `ff${valid.slice(2)}`,
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
      valid.slice(0, -1),
      `${valid}0`,
      `${valid}-extra`,
      '00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01',
      '00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A',
      'Ab-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      `${valid}, ${valid}`,
      '',
    ];
    for (const header of bad) expect(parseTraceparent(header), header).toBeUndefined();
    expect(parseTraceparent(undefined)).toBeUndefined();
    expect(parseTraceparent([valid, valid])).toBeUndefined();
  });

  test('formats version 00', () => {
    expect(formatTraceparent('4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7', '01')).toBe(valid);
  });
});

describe('parseTracestate', () => {
  test('keeps valid members in order, drops whitespace and empty members; discards an invalid header whole', () => {
    expect(parseTracestate('rojo=00f067aa0ba902b7, congo=t61rcWkgMzE')).toBe(
      'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE',
    );
    expect(parseTracestate(', ,a=1,, b=2 ')).toBe('a=1,b=2');
    expect(parseTracestate('a=1,a=2')).toBe('a=1');
    expect(parseTracestate('A=1')).toBeUndefined();
    expect(parseTracestate('a=1,b')).toBeUndefined();
    expect(parseTracestate('')).toBeUndefined();
    expect(parseTracestate(Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(','))).toBeUndefined();
  });
});
