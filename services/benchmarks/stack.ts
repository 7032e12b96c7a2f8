/**
 * The whole stack: orders-api (built dist/main.js: @org/shared-service, knex, the lag-aware router,
 * our request logger) against the same two endpoints written by hand (hand-rolled.ts: Express 5 +
 * pg Pool + pino-http, the same SQL and validation) and a no-op node:http baseline, on the harness
 * primary + replica, each server a process of its own. After a warm-up, ROUNDS rounds run every
 * contestant in a rotated order for DURATION_S seconds of GET /orders?limit=20 and then of POST
 * /orders at CONNECTIONS connections. Reported: median req/s, the median of per-round ratios to
 * the hand-rolled one with their spread, p99, and the server's own CPU ms per request.
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import {
  benchDatabase,
  benchLine,
  cpuSeconds,
  freePort,
  median,
  round1,
  spread,
  startProcess,
  stopProcess,
} from './util.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
// The service line of .node-options.
const FLAGS = process.env.BENCH_NODE_OPTIONS ?? '--max-old-space-size=384 --max-semi-space-size=4';
const contestants = ['orders-api', 'hand-rolled', 'noop'] as const;
type Name = (typeof contestants)[number];
const endpoints = {
  'GET /orders?limit=20': { method: 'GET', path: '/orders?limit=20' },
  'POST /orders': {
    method: 'POST',
    path: '/orders',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      customerId: 'bench',
      currency: 'EUR',
      items: [
        { sku: 'SKU-1', quantity: 2, unitPriceCents: 1250 },
        { sku: 'SKU-2', quantity: 1, unitPriceCents: 999 },
      ],
    }),
  },
} as const satisfies Record<string, autocannon.Request>;
type Endpoint = keyof typeof endpoints;

const db = await benchDatabase('bench_stack');
const env = {
  ...process.env,
  NODE_OPTIONS: FLAGS,
  DATABASE_URL: db.primary,
  DATABASE_REPLICA_URLS: db.replica,
  ELASTICSEARCH_URL: '',
};
const servers = new Map<Name, { child: ChildProcess; url: string }>();
for (const name of contestants) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args =
    name === 'orders-api'
      ? [fileURLToPath(new URL('../orders-api/dist/main.js', import.meta.url))]
      : [
          fileURLToPath(new URL('./hand-rolled.ts', import.meta.url)),
          String(port),
          ...(name === 'noop' ? ['noop'] : []),
        ];
  // orders-api migrates the bench database before the hand-rolled server uses it.
  servers.set(name, { child: await startProcess(args, { ...env, PORT: String(port) }, url), url });
}

async function run(name: Name, endpoint: Endpoint, seconds: number) {
  const server = servers.get(name) as { child: ChildProcess; url: string };
  const pid = server.child.pid as number;
  const cpuBefore = cpuSeconds(pid);
  const result = await autocannon({
    url: server.url,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [endpoints[endpoint]],
    timeout: 10,
  });
  const requests = result.requests.total;
  return {
    reqPerS: result.requests.average,
    p99: result.latency.p99,
    cpuMsPerRequest: ((cpuSeconds(pid) - cpuBefore) * 1000) / Math.max(1, requests),
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

// Warm-up (JIT, pools; POST first so that GET has 20 orders to list).
for (const endpoint of ['POST /orders', 'GET /orders?limit=20'] as const)
  for (const name of contestants) await run(name, endpoint, 2);

type Result = Awaited<ReturnType<typeof run>>;
const results = new Map<string, Result[]>();
for (let round = 0; round < ROUNDS; round++) {
  const order = contestants.map((_, i) => contestants[(i + round) % contestants.length] as Name);
  for (const endpoint of Object.keys(endpoints) as Endpoint[]) {
    for (const name of order) {
      const list = results.get(`${name}|${endpoint}`) ?? [];
      list.push(await run(name, endpoint, DURATION_S));
      results.set(`${name}|${endpoint}`, list);
    }
  }
  process.stdout.write(`stack: round ${round + 1}/${ROUNDS} done\n`);
}
await Promise.all([...servers.values()].map((s) => stopProcess(s.child)));

process.stdout.write(
  `\nwhole stack, ${ROUNDS} rounds × ${DURATION_S} s at ${CONNECTIONS} connections, ${FLAGS} (medians; ratios per round)\n`,
);
process.stdout.write(
  '| endpoint | contestant | req/s | vs hand-rolled (spread) | vs noop | p99 ms | CPU ms/request | errors |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n',
);
for (const endpoint of Object.keys(endpoints) as Endpoint[]) {
  const of = (name: Name) => results.get(`${name}|${endpoint}`) ?? [];
  const ratio = (name: Name, to: Name) =>
    of(name).map((r, i) => r.reqPerS / (of(to)[i]?.reqPerS ?? Number.NaN));
  for (const name of contestants) {
    const list = of(name);
    process.stdout.write(
      `| ${endpoint} | ${name} | ${round1(median(list.map((r) => r.reqPerS)))} | ${median(ratio(name, 'hand-rolled')).toFixed(2)} (${spread(ratio(name, 'hand-rolled'))}) | ${median(ratio(name, 'noop')).toFixed(2)} | ${round1(median(list.map((r) => r.p99)))} | ${median(list.map((r) => r.cpuMsPerRequest)).toFixed(3)} | ${list.reduce((a, r) => a + r.errors, 0)} |\n`,
    );
  }
  const vsHand = median(ratio('orders-api', 'hand-rolled'));
  benchLine({
    case: `stack ${endpoint}`,
    results: contestants.flatMap((name) => [
      { name: `${name} req/s`, value: round1(median(of(name).map((r) => r.reqPerS))), unit: 'req/s' },
      {
        name: `${name} CPU per request`,
        value: Math.round(median(of(name).map((r) => r.cpuMsPerRequest)) * 1000) / 1000,
        unit: 'ms',
      },
    ]),
    ratios: {
      'orders-api / hand-rolled': Math.round(vsHand * 100) / 100,
      'orders-api / noop': Math.round(median(ratio('orders-api', 'noop')) * 100) / 100,
      'hand-rolled / noop': Math.round(median(ratio('hand-rolled', 'noop')) * 100) / 100,
    },
    target: 'orders-api req/s ≥ 0.85× the hand-rolled service',
    met: vsHand >= 0.85,
  });
}
