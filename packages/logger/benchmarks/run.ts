// npm run bench: the transport against winston-elasticsearch, pino-elasticsearch and a no-op baseline,
// side by side in one run, against the same ES test server (in this process). Prints a table and
// one JSON line per case. Not a test: nothing here asserts; targets are reported as met or not.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { setImmediate as tick } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { startEsTestServer } from '@org/es-test-server';
import { type Contestant, noop, ours, pinoElasticsearch, winstonElasticsearch } from './contestants.ts';
import { entry } from './entry.ts';
import { burst, peerPushback, pushback } from './pushback.ts';

const quick = process.env.BENCH_QUICK === '1';
const HOT_N = quick ? 10_000 : 20_000;
const THROUGHPUT_N = quick ? 50_000 : 200_000;
const OUTAGE_N = quick ? 200_000 : 1_000_000;
const PEER_OUTAGE_N = quick ? 20_000 : 100_000;
const THROUGHPUT_TIMEOUT_MS = 40_000;
const PUSHBACK_N = quick ? 5_000 : 20_000;
const BURST_N = quick ? 5_000 : 20_000;
// BENCH_ONLY=pushback,burst runs only the cases named (hot-path, throughput, pushback, burst, outage-memory).
const only = process.env.BENCH_ONLY?.split(',').map((name) => name.trim());
const runs = (name: string) => only === undefined || only.includes(name);

interface Result {
  name: string;
  value: number;
  unit: string;
  note?: string;
}

// ---------------------------------------------------------------- the server, in this process
// In-process on purpose: the producer, the client and the server share one event loop, so delivery per
// loop turn depends on each transport's design (window, batch size), not on how busy the other core is
// on this shared 2-core box (a worker thread made every contestant's figures swing with the load).
const server = await startEsTestServer({ storeDocs: false, idOf: () => undefined });
const url = server.url;

// ---------------------------------------------------------------- helpers
function line(
  caseName: string,
  results: Result[],
  ratios: Record<string, number>,
  target: string,
  met: boolean,
) {
  const json = {
    type: 'bench',
    package: 'logger',
    case: caseName,
    results: results.map(({ name, value, unit }) => ({ name, value: round(value), unit })),
    ratios: Object.fromEntries(Object.entries(ratios).map(([k, v]) => [k, round(v)])),
    target,
    met,
  };
  return JSON.stringify(json);
}

function round(value: number): number {
  return Number.isFinite(value) ? Math.round(value * 1000) / 1000 : value;
}

function table(title: string, results: Result[]) {
  console.log(`\n${title}`);
  const width = Math.max(...results.map((r) => r.name.length));
  for (const r of results) {
    console.log(
      `  ${r.name.padEnd(width)}  ${round(r.value).toLocaleString('en-US').padStart(14)} ${r.unit}${r.note ? `  (${r.note})` : ''}`,
    );
  }
}

function describeRun(run: {
  delivered: number;
  dropped: number;
  requests: number;
  retries: number;
  elapsedMs: number;
}) {
  return `${run.delivered} stored, ${run.dropped} dropped, ${run.requests} requests, ${run.retries} retried, ${Math.round(run.elapsedMs)} ms`;
}

function gc() {
  (globalThis as { gc?: () => void }).gc?.();
}

async function pause(ms: number) {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------- 1. hot path
// All contestants alive at once and measured round-robin (5 rounds, median), so that load from other
// processes on the box falls on all of them alike.
async function hotPath(makers: (() => Contestant)[]): Promise<Result[]> {
  const contestants = makers.map((make) => make());
  for (const contestant of contestants) {
    for (let i = 0; i < 5000; i++) contestant.info('request handled', entry(i));
  }
  await pause(200);
  const samples = contestants.map(() => [] as number[]);
  for (let round = 0; round < 5; round++) {
    for (const [k, contestant] of contestants.entries()) {
      gc();
      const started = process.hrtime.bigint();
      for (let i = 0; i < HOT_N; i++) contestant.info('request handled', entry(i));
      // Work the calls deferred (winston-elasticsearch formats after an await) is part of their cost.
      await tick();
      samples[k]!.push(Number(process.hrtime.bigint() - started) / HOT_N);
      await pause(20);
    }
  }
  for (const contestant of contestants) await contestant.close();
  await pause(200);
  gc();
  return contestants.map((contestant, k) => {
    const sorted = samples[k]!.sort((a, b) => a - b);
    return { name: contestant.name, value: sorted[2]!, unit: 'ns/call' };
  });
}

// ---------------------------------------------------------------- 2. delivered throughput
async function throughput(make: () => Contestant): Promise<Result> {
  server.reset();
  const contestant = make();
  const started = performance.now();
  for (let i = 0; i < THROUGHPUT_N; i++) {
    contestant.info('request handled', entry(i));
    if (i % 100 === 99) await tick();
  }
  let received = 0;
  while (performance.now() - started < THROUGHPUT_TIMEOUT_MS) {
    received = server.received;
    if (received >= THROUGHPUT_N) break;
    await pause(5);
  }
  const elapsed = (performance.now() - started) / 1000;
  await contestant.close();
  await pause(200);
  gc();
  const done = received >= THROUGHPUT_N;
  return {
    name: contestant.name,
    value: received / elapsed,
    unit: 'docs/s',
    ...(done
      ? {}
      : { note: `only ${received} of ${THROUGHPUT_N} delivered within ${THROUGHPUT_TIMEOUT_MS / 1000} s` }),
  };
}

// ---------------------------------------------------------------- 3. outage memory (one process each)
function outage(name: string, count: number): Result {
  // --no-flush-bytecode: otherwise V8 drops the bytecode of code unused since start-up (the client's
  // API surface) during a long run, and the growth comes out negative by several MB.
  const script = fileURLToPath(new URL('./outage.ts', import.meta.url));
  const out = execFileSync(process.execPath, ['--no-flush-bytecode', script, name, String(count)], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  const result = JSON.parse(out.trim().split('\n').at(-1)!) as {
    name: string;
    growthBytes: number;
    elapsedMs: number;
  };
  return {
    name: `${result.name} (N=${count.toLocaleString('en-US')})`,
    value: result.growthBytes / 1024 / 1024,
    unit: 'MB',
    note: `${round((result.growthBytes / count) * 1000) / 1000} B/entry, ${Math.round(result.elapsedMs)} ms`,
  };
}

console.log(
  `@org/shared-logger benchmarks — ${new Date().toISOString()} — node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'})`,
);

// 4 and 5 (the package's own outputs, hostile input) in a process of their own, first: BENCH_ONLY=es skips them.
if (process.env.BENCH_ONLY !== 'es') {
  execFileSync(
    process.execPath,
    [...process.execArgv, fileURLToPath(new URL('./local.ts', import.meta.url))],
    {
      stdio: 'inherit',
      timeout: 600_000,
    },
  );
}
if (process.env.BENCH_ONLY === 'local') process.exit(0);

// 1
if (runs('hot-path')) {
  const hot = await hotPath([
    () => ours(url, 'large'),
    () => winstonElasticsearch(url),
    () => pinoElasticsearch(url),
    () => noop(),
  ]);
  table(
    `1. hot path (ns per log call incl. deferred work, median of 5 × ${HOT_N.toLocaleString('en-US')}; delivery not included)`,
    hot,
  );
  {
    const [o, w, p, n] = hot as [Result, Result, Result, Result];
    console.log(
      line(
        'hot-path',
        hot,
        {
          'ours/winston-elasticsearch': o.value / w.value,
          'ours/pino-elasticsearch': o.value / p.value,
          'ours/no-op': o.value / n.value,
        },
        'ns/call no slower than winston-elasticsearch (ours/winston-elasticsearch <= 1)',
        o.value <= w.value,
      ),
    );
  }
}

// 2
if (runs('throughput')) {
  const thr = [
    await throughput(() => ours(url, 'default')),
    await throughput(() => pinoElasticsearch(url)),
    await throughput(() => winstonElasticsearch(url)),
  ];
  table(
    `2. delivered throughput (docs/s until the server holds ${THROUGHPUT_N.toLocaleString('en-US')}; producer yields every 100; default caps)`,
    thr,
  );
  {
    const [o, p, w] = thr as [Result, Result, Result];
    console.log(
      line(
        'throughput',
        thr,
        { 'ours/pino-elasticsearch': o.value / p.value, 'ours/winston-elasticsearch': o.value / w.value },
        'docs/s at least 1.25x pino-elasticsearch, nothing dropped',
        o.value >= 1.25 * p.value && o.note === undefined,
      ),
    );
  }
}
await server.close();

// 4
if (runs('pushback')) {
  const { healthy, pushback: busy } = await pushback(PUSHBACK_N, 3);
  const results: Result[] = [
    {
      name: 'ours, healthy cluster',
      value: healthy.docsPerSecond,
      unit: 'docs/s',
      note: describeRun(healthy),
    },
    {
      name: 'ours, 1 item in 3 answered 429',
      value: busy.docsPerSecond,
      unit: 'docs/s',
      note: describeRun(busy),
    },
  ];
  // The peers on the same producer and faults, once each (what they do with 429 items, for comparison).
  const peers = await peerPushback(PUSHBACK_N, [winstonElasticsearch, pinoElasticsearch]);
  for (const peer of peers) {
    for (const [label, run] of [
      ['healthy', peer.healthy],
      ['1 in 3 429', peer.pushback],
    ] as const) {
      results.push({
        name: `${peer.name}, ${label}`,
        value: run.docsPerSecond,
        unit: 'docs/s',
        note: `${run.delivered} stored in ${Math.round(run.elapsedMs)} ms`,
      });
    }
  }
  table(
    `4. pushback (docs/s until ${PUSHBACK_N.toLocaleString('en-US')} are stored; producer yields every 100; ours: buffer holds the run, median of 3 interleaved rounds; peers: once each, until nothing more arrives for 3 s)`,
    results,
  );
  const ratio = busy.docsPerSecond / healthy.docsPerSecond;
  console.log(
    line(
      'pushback',
      results,
      {
        '429-every-3rd/healthy': ratio,
        ...Object.fromEntries(
          peers.map((peer) => [
            `${peer.name} 429-every-3rd/healthy`,
            peer.pushback.docsPerSecond / peer.healthy.docsPerSecond,
          ]),
        ),
        ...Object.fromEntries(
          peers.map((peer) => [`${peer.name} stored/logged under 429`, peer.pushback.delivered / PUSHBACK_N]),
        ),
      },
      'docs/s with one item in three answered 429 at least half of a healthy cluster, everything delivered',
      ratio >= 0.5 && busy.delivered === PUSHBACK_N && healthy.delivered === PUSHBACK_N,
    ),
  );
}

// 5
if (runs('burst')) {
  const b = await burst(BURST_N, 3, 100, 10);
  const results: Result[] = [
    { name: 'delivered', value: b.delivered, unit: 'docs' },
    { name: 'dropped', value: b.dropped, unit: 'docs' },
    { name: 'peak requests in flight', value: b.peakRequestsInFlight, unit: 'requests' },
    { name: 'throughput', value: b.docsPerSecond, unit: 'docs/s', note: describeRun(b) },
  ];
  table(
    `5. burst (${BURST_N.toLocaleString('en-US')} entries, 100 per event-loop turn; every _bulk answered after 10 ms; default caps: 1000 entries, 4 requests; median of 3)`,
    results,
  );
  console.log(
    line(
      'burst',
      results,
      { 'peak-in-flight/max': b.peakRequestsInFlight / 4, 'dropped/logged': b.dropped / BURST_N },
      'the window fills (peak requests in flight = maxConcurrentRequests = 4)',
      b.peakRequestsInFlight === 4,
    ),
  );
}

// 3
if (runs('outage-memory')) {
  const mem = [
    outage('ours', OUTAGE_N),
    outage('ours', PEER_OUTAGE_N),
    outage('winston-elasticsearch', PEER_OUTAGE_N),
    outage('pino-elasticsearch', PEER_OUTAGE_N),
  ];
  table('3. outage memory (heap growth after forced GC; nothing listens; default caps)', mem);
  {
    const [big, small, w, p] = mem as [Result, Result, Result, Result];
    console.log(
      line(
        'outage-memory',
        mem,
        {
          [`ours@${OUTAGE_N}/ours@${PEER_OUTAGE_N}`]: big.value / small.value,
          'ours/winston-elasticsearch': small.value / w.value,
          'ours/pino-elasticsearch': small.value / p.value,
        },
        `heap growth <= 8 MB at N=${OUTAGE_N} with default caps`,
        big.value <= 8,
      ),
    );
  }
}
process.exit(0);
