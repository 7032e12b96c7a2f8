/**
 * Node flags for the `service` line of .node-options: both sample services (built dist/main.js) on
 * the harness primary + replica, under each candidate. Per round: every candidate's two services
 * start at once and sit idle IDLE_S seconds (idle RSS and heap); then, one candidate at a time in a
 * rotated order, orders-api and then events-ingest get LOAD_S seconds of endurance-style load at
 * CONNECTIONS connections (orders: create, list, get; events: batches of 20), sampled every 250 ms
 * for RSS and every second for the heap. Reported per candidate and service: idle RSS, peak RSS
 * (VmHWM), idle heap used, peak heap total, p99 latency and req/s, with req/s as a ratio to the
 * first candidate (today's line) in the same round.
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import {
  benchDatabase,
  benchLine,
  freePort,
  median,
  round1,
  rssMb,
  spread,
  startProcess,
  stopProcess,
} from './util.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const IDLE_S = Number(process.env.BENCH_IDLE_S ?? 30);
const LOAD_S = Number(process.env.BENCH_LOAD_S ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const BASE = '--max-old-space-size=384';
const candidates = (
  process.env.BENCH_CANDIDATES?.split(';') ?? [
    BASE,
    `${BASE} --max-semi-space-size=16`,
    `${BASE} --max-semi-space-size=8`,
    `${BASE} --max-semi-space-size=4`,
    `${BASE} --max-semi-space-size=2`,
  ]
).map((flags) => flags.trim());
const services = ['orders-api', 'events-ingest'] as const;
type ServiceName = (typeof services)[number];
const mainOf = (name: ServiceName) => fileURLToPath(new URL(`../${name}/dist/main.js`, import.meta.url));

interface Sample {
  idleRss: number;
  idleHeapUsed: number;
  peakRss: number;
  peakHeapTotal: number;
  reqPerS: number;
  p99: number;
  errors: number;
}
const samples = new Map<string, Sample[]>();
const key = (flags: string, service: ServiceName) => `${flags}|${service}`;

const db = await benchDatabase('bench_sizing');
let eventSeq = 0;

async function heap(url: string): Promise<{ heapUsed: number; heapTotal: number }> {
  const body = (await (await fetch(`${url}/memory`)).json()) as { heapUsed: number; heapTotal: number };
  return { heapUsed: body.heapUsed / 2 ** 20, heapTotal: body.heapTotal / 2 ** 20 };
}

function requestsFor(service: ServiceName): autocannon.Request[] {
  if (service === 'orders-api') {
    return [
      {
        method: 'POST',
        path: '/orders',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          customerId: 'c-1',
          items: [{ sku: 'sku-1', quantity: 2, unitPriceCents: 1250 }],
        }),
      },
      { method: 'GET', path: '/orders?limit=20' },
      { method: 'GET', path: '/orders/1' },
    ];
  }
  return [
    {
      method: 'POST',
      path: '/events',
      headers: { 'content-type': 'application/json' },
      setupRequest: (request) => {
        const base = eventSeq;
        eventSeq += 20;
        request.body = JSON.stringify({
          events: Array.from({ length: 20 }, (_, i) => ({
            id: `sz-${base + i}`,
            sessionId: `s-${(base + i) % 50}`,
            type: 'view',
            payload: { n: base + i },
          })),
        });
        return request;
      },
    },
  ];
}

async function load(
  service: ServiceName,
  url: string,
  pid: number,
  flags: string,
  idle: { rss: number; heapUsed: number },
) {
  let peakHeapTotal = 0;
  let sampledPeak = 0;
  const rssTimer = setInterval(() => {
    sampledPeak = Math.max(sampledPeak, rssMb(pid).rss);
  }, 250);
  const heapTimer = setInterval(() => {
    heap(url).then(
      (h) => (peakHeapTotal = Math.max(peakHeapTotal, h.heapTotal)),
      () => {},
    );
  }, 1000);
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: LOAD_S,
    requests: requestsFor(service),
    timeout: 10,
  });
  clearInterval(rssTimer);
  clearInterval(heapTimer);
  const list = samples.get(key(flags, service)) ?? [];
  list.push({
    idleRss: idle.rss,
    idleHeapUsed: idle.heapUsed,
    peakRss: Math.max(rssMb(pid).peak, sampledPeak),
    peakHeapTotal,
    reqPerS: result.requests.average,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
  });
  samples.set(key(flags, service), list);
}

for (let round = 0; round < ROUNDS; round++) {
  const running: { flags: string; service: ServiceName; child: ChildProcess; url: string }[] = [];
  // Every candidate's services start together and idle together.
  await Promise.all(
    candidates.flatMap((flags) =>
      services.map(async (service) => {
        const port = await freePort();
        const url = `http://127.0.0.1:${port}`;
        const child = await startProcess(
          [mainOf(service)],
          {
            ...process.env,
            NODE_OPTIONS: flags,
            PORT: String(port),
            DATABASE_URL: db.primary,
            DATABASE_REPLICA_URLS: db.replica,
            ELASTICSEARCH_URL: '',
          },
          url,
        );
        running.push({ flags, service, child, url });
      }),
    ),
  );
  await new Promise((resolve) => setTimeout(resolve, IDLE_S * 1000));
  const idle = new Map<ChildProcess, { rss: number; heapUsed: number }>();
  for (const r of running)
    idle.set(r.child, { rss: rssMb(r.child.pid as number).rss, heapUsed: (await heap(r.url)).heapUsed });
  // Under load one candidate at a time, rotated, so none always runs first.
  const order = candidates.map((_, i) => candidates[(i + round) % candidates.length] as string);
  for (const flags of order) {
    for (const service of services) {
      const r = running.find((x) => x.flags === flags && x.service === service);
      if (!r) continue;
      await load(
        service,
        r.url,
        r.child.pid as number,
        flags,
        idle.get(r.child) as { rss: number; heapUsed: number },
      );
    }
  }
  await Promise.all(running.map((r) => stopProcess(r.child)));
  process.stdout.write(`sizing: round ${round + 1}/${ROUNDS} done\n`);
}

const base = (service: ServiceName) => samples.get(key(candidates[0] as string, service)) ?? [];
process.stdout.write(
  `\nservice line candidates, ${ROUNDS} rounds, idle ${IDLE_S} s, load ${LOAD_S} s at ${CONNECTIONS} connections (medians; req/s ratio to "${candidates[0]}" per round)\n`,
);
process.stdout.write(
  '| flags | service | idle RSS MB | peak RSS MB | idle heap used MB | peak heap total MB | p99 ms | req/s | req/s ratio (spread) | errors |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n',
);
for (const flags of candidates) {
  for (const service of services) {
    const list = samples.get(key(flags, service)) ?? [];
    const ratios = list.map((s, i) => s.reqPerS / (base(service)[i]?.reqPerS ?? Number.NaN));
    const m = (f: (s: Sample) => number) => round1(median(list.map(f)));
    process.stdout.write(
      `| \`${flags}\` | ${service} | ${m((s) => s.idleRss)} | ${m((s) => s.peakRss)} | ${m((s) => s.idleHeapUsed)} | ${m((s) => s.peakHeapTotal)} | ${m((s) => s.p99)} | ${m((s) => s.reqPerS)} | ${median(ratios).toFixed(2)} (${spread(ratios)}) | ${list.reduce((a, s) => a + s.errors, 0)} |\n`,
    );
    const idleRss = median(list.map((s) => s.idleRss));
    const peakRss = median(list.map((s) => s.peakRss));
    const ratio = median(ratios);
    benchLine({
      case: `sizing ${service} ${flags}`,
      results: [
        { name: 'idle RSS', value: round1(idleRss), unit: 'MB' },
        { name: 'peak RSS', value: round1(peakRss), unit: 'MB' },
        { name: 'idle heap used', value: m((s) => s.idleHeapUsed), unit: 'MB' },
        { name: 'peak heap total', value: m((s) => s.peakHeapTotal), unit: 'MB' },
        { name: 'p99', value: m((s) => s.p99), unit: 'ms' },
        { name: 'req/s', value: m((s) => s.reqPerS), unit: 'req/s' },
      ],
      ratios: { 'req/s vs today': Math.round(ratio * 100) / 100 },
      target: 'idle ≤ 80 MB; peak ≤ 130 MB at ≥ 0.9× today’s req/s',
      met: idleRss <= 80 && peakRss <= 130 && ratio >= 0.9,
    });
  }
}
