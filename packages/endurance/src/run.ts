/**
 * `npm run endurance -- --duration 2m` (scripts/package.json: org-task endurance node endurance/run.ts).
 *
 * Starts the sample services (orders-api, events-ingest; built dist/) against the PostgreSQL harness
 * (primary + replica) and the logger package's Elasticsearch test server, drives them with
 * autocannon (reads, writes, event ingestion), runs the fault schedule, samples every second, and
 * writes endurance-report/ (samples.csv, summary.json, index.html, service logs). Exit 1 when a check fails.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as wait } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startEsTestServer } from '@org/es-test-server';
import autocannon from 'autocannon';
import pg from 'pg';
import { type Chart, type FaultWindow, renderReport } from './report-html.ts';
import { missingColumns, parsePrometheus, readColumns } from './sampler.ts';
import {
  bucketMinima,
  type Check,
  defaultSlopeLimit,
  enforcesRssSlope,
  heapSlopeVerdict,
  parseDuration,
  slopeMbPerHour,
} from './stats.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '2m' },
    out: { type: 'string', default: join(root, 'endurance-report') },
    rate: { type: 'string', default: '120' },
    'max-rss-mb': { type: 'string', default: '512' },
    'max-slope-mb-per-hour': { type: 'string' },
    'logger-cap': { type: 'string', default: '1000' },
  },
});
const durationMs = parseDuration(values.duration);
const durationS = durationMs / 1000;
const outDir = resolve(values.out);
const rate = Number(values.rate);
const maxRssMb = Number(values['max-rss-mb']);
const slopeLimit = values['max-slope-mb-per-hour']
  ? Number(values['max-slope-mb-per-hour'])
  : defaultSlopeLimit(durationMs);
const loggerCap = Number(values['logger-cap']);
// The steady-state window starts after the warm-up: heaps grow to their working size first.
const warmUpS = durationMs < 10 * 60_000 ? durationS * 0.25 : Math.min(600, durationS * 0.1);
mkdirSync(outDir, { recursive: true });
/** The "service" line of .node-options: the services run with the heap limit they have in production. */
function serviceNodeOptions(): string {
  const line = readFileSync(join(root, '.node-options'), 'utf8')
    .split('\n')
    .find((l) => /^service\s*=/.test(l.trim()));
  return line ? line.slice(line.indexOf('=') + 1).trim() : '';
}
const say = (line: string) => process.stdout.write(`endurance: ${line}\n`);

// ---- infrastructure -------------------------------------------------------------------------
const harness = join(root, 'scripts', 'pg-harness.sh');
if (!process.env.DATABASE_URL) {
  say('DATABASE_URL not set: starting the PostgreSQL harness');
  execFileSync('bash', [harness, 'start'], { stdio: 'inherit' });
  for (const line of execFileSync('bash', [harness, 'env'], { encoding: 'utf8' }).split('\n')) {
    const m = /^(?:export\s+)?([A-Z_]+)=["']?([^"']*)["']?$/.exec(line.trim());
    if (m) process.env[m[1]!] = m[2]!;
  }
}
const databaseUrl = process.env.DATABASE_URL!;
const replicaUrl = (process.env.DATABASE_REPLICA_URLS ?? '').split(',')[0] ?? '';
const runStarted = Date.now();
const es = await startEsTestServer({ storeDocs: false });
say(`Elasticsearch test server on ${es.url}`);

/** /metrics is scraped with a bearer token, as in production. */
const metricsToken = randomBytes(16).toString('hex');

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

interface Service {
  name: string;
  url: string;
  child: ChildProcess;
  unhandled: number;
  /** Set when the service exits before the run sends SIGTERM (a crash, or a signal from elsewhere). */
  earlyExit: string | null;
  stopping: boolean;
  exit: Promise<number | null>;
}

async function startService(name: string, extraEnv: Record<string, string>): Promise<Service> {
  const port = await freePort();
  const log = createWriteStream(join(outDir, `${name}.log`));
  const child = spawn(process.execPath, [join(root, 'services', name, 'dist', 'main.js')], {
    env: {
      ...process.env,
      NODE_OPTIONS: serviceNodeOptions(),
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      DATABASE_REPLICA_URLS: process.env.DATABASE_REPLICA_URLS ?? '',
      ELASTICSEARCH_URL: es.url,
      LOG_LEVEL: 'info',
      SERVICE_ENV: 'endurance',
      METRICS_TOKEN: metricsToken,
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const service: Service = {
    name,
    url: `http://127.0.0.1:${port}`,
    child,
    unhandled: 0,
    earlyExit: null,
    stopping: false,
    exit: new Promise((res) =>
      child.once('exit', (code, signal) => {
        if (!service.stopping) {
          service.earlyExit = `exited with ${code ?? signal} at ${((Date.now() - runStarted) / 1000).toFixed(0)} s`;
          say(`${name} ${service.earlyExit} (before the end of the run; see ${name}.log)`);
        }
        res(code);
      }),
    ),
  };
  const watch = (chunk: Buffer) => {
    log.write(chunk);
    const text = chunk.toString();
    service.unhandled += (
      text.match(/unhandled ?rejection|uncaught ?exception|unhandledRejection|uncaughtException/gi) ?? []
    ).length;
  };
  child.stdout!.on('data', watch);
  child.stderr!.on('data', watch);
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`${name} exited with ${child.exitCode} during start-up (see ${name}.log)`);
    try {
      const res = await fetch(`${service.url}/health`, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) break;
    } catch {
      // not up yet
    }
    if (Date.now() - started > 60_000) throw new Error(`${name} not healthy after 60 s (see ${name}.log)`);
    await wait(250);
  }
  say(`${name} up on ${service.url}`);
  return service;
}

const orders = await startService('orders-api', { REPLICA_POLL_INTERVAL_MS: '1000' });
const ingest = await startService('events-ingest', {});
const services = [orders, ingest];

const runId = `e${Date.now().toString(36)}`;
// A pool, not a client: it reconnects after a primary restart; idle-client errors are expected then.
const db = new pg.Pool({ connectionString: databaseUrl, max: 1 });
db.on('error', () => {});
/** Distinct events of this run in the table (other runs and test suites may share the database). */
async function countEvents(): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    try {
      const { rows: found } = await db.query(
        'select count(distinct event_id)::bigint as n from ingest_events where event_id like $1',
        [`${runId}-%`],
      );
      return Number(found[0].n);
    } catch (error) {
      if (attempt >= 20) throw error;
      await wait(500);
    }
  }
}

// ---- faults ---------------------------------------------------------------------------------
interface Fault extends FaultWindow {
  begin: () => Promise<void>;
  finish: () => Promise<void>;
}
const onReplica = async (sql: string) => {
  const c = new pg.Client({ connectionString: replicaUrl });
  c.on('error', () => {});
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
};
const faultWindow = (
  name: string,
  from: number,
  to: number,
  begin: () => Promise<void>,
  finish: () => Promise<void>,
): Fault => ({
  name,
  startS: durationS * from,
  endS: durationS * to,
  begin,
  finish,
});
const faults: Fault[] = [
  faultWindow(
    'ES down',
    0.12,
    0.24,
    () => es.down(),
    () => es.up(),
  ),
  faultWindow(
    'ES 429',
    0.28,
    0.38,
    async () => es.setFault({ kind: 'status', status: 429 }),
    async () => es.setFault(null),
  ),
  faultWindow(
    'ES slow',
    0.42,
    0.52,
    async () => es.setFault({ kind: 'latency', ms: 3000 }),
    async () => es.setFault(null),
  ),
  faultWindow(
    'replica replay paused',
    0.56,
    0.66,
    () => onReplica('select pg_wal_replay_pause()'),
    () => onReplica('select pg_wal_replay_resume()'),
  ),
  faultWindow(
    'replica stopped',
    0.7,
    0.8,
    async () => void execFileSync('bash', [harness, 'replica-stop'], { stdio: 'ignore' }),
    async () => void execFileSync('bash', [harness, 'replica-start'], { stdio: 'ignore' }),
  ),
];
const faultErrors: string[] = [];

// ---- load -----------------------------------------------------------------------------------
let acceptedEvents = 0;
let eventSeq = 0;
const counters = { requests: 0, errors: 0 };
const nowIso = () => new Date().toISOString();
const loadRuns: Promise<void>[] = [];
function load(url: string, requests: autocannon.Request[], overallRate: number) {
  let finished!: () => void;
  loadRuns.push(new Promise<void>((res) => (finished = res)));
  const instance = autocannon(
    { url, connections: 4, overallRate, duration: durationS, requests, timeout: 10 },
    () => finished(),
  );
  instance.on('response', (_client: unknown, status: number) => {
    counters.requests++;
    if (status >= 400) counters.errors++;
  });
  instance.on('reqError', () => {
    counters.requests++;
    counters.errors++;
  });
  return instance;
}
const loads = [
  load(
    orders.url,
    [
      {
        method: 'POST',
        path: '/orders',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          customerId: 'c-1',
          currency: 'EUR',
          items: [{ sku: 'sku-1', quantity: 2, unitPriceCents: 1250 }],
        }),
      },
      { method: 'GET', path: '/orders?limit=20' },
      { method: 'GET', path: '/orders/1' },
    ],
    Math.round(rate / 2),
  ),
  load(
    ingest.url,
    [
      {
        method: 'POST',
        path: '/events',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => {
          const at = nowIso();
          const events = Array.from({ length: 20 }, () => {
            const n = eventSeq++;
            return { id: `${runId}-${n}`, sessionId: `s-${n % 50}`, type: 'page.view', at, payload: { n } };
          });
          return { ...req, body: JSON.stringify({ events }) };
        },
        onResponse: (status, body) => {
          if (status === 202)
            acceptedEvents += Number((JSON.parse(body) as { accepted?: number }).accepted ?? 0);
        },
      },
    ],
    Math.round(rate / 2),
  ),
];
const loadDone = Promise.all(loadRuns);

// ---- sampling -------------------------------------------------------------------------------
type Row = Record<string, number | string | undefined>;
const rows: Row[] = [];
const columns = new Set<string>(['t', 'service']);
const started = Date.now();
let last = { ...counters, at: started };
let maxLoggerBuffer = 0;
/** Largest excess of a service's logger buffer over the cap it reports itself (≤ 0 when within). */
let loggerOverCap = Number.NEGATIVE_INFINITY;
let loggerCapSeen = 0;

async function sample(service: Service, t: number, reqPerS: number, errorRate: number): Promise<void> {
  const row: Row = { t, service: service.name, req_per_s: reqPerS, error_rate: errorRate };
  try {
    const [memory, metricsText] = await Promise.all([
      fetch(`${service.url}/memory`, { signal: AbortSignal.timeout(900) }).then(
        (r) => r.json() as Promise<Record<string, number>>,
      ),
      fetch(`${service.url}/metrics`, {
        headers: { authorization: `Bearer ${metricsToken}` },
        signal: AbortSignal.timeout(900),
      }).then((r) => {
        if (r.status !== 200) throw new Error(`/metrics answered ${r.status}`);
        return r.text();
      }),
    ]);
    const mb = (v: number | undefined) => (v === undefined ? undefined : v / (1024 * 1024));
    Object.assign(row, {
      rss_mb: mb(memory.rss),
      heap_used_mb: mb(memory.heapUsed),
      heap_total_mb: mb(memory.heapTotal),
      external_mb: mb(memory.external),
      array_buffers_mb: mb(memory.arrayBuffers),
    });
    const m = parsePrometheus(metricsText);
    Object.assign(row, readColumns(m));
    if (typeof row.logger_buffer === 'number') maxLoggerBuffer = Math.max(maxLoggerBuffer, row.logger_buffer);
    if (typeof row.logger_buffer === 'number' && typeof row.logger_buffer_cap === 'number')
      loggerOverCap = Math.max(loggerOverCap, row.logger_buffer - row.logger_buffer_cap);
    if (typeof row.logger_buffer_cap === 'number')
      loggerCapSeen = Math.max(loggerCapSeen, row.logger_buffer_cap);
  } catch (error) {
    row.sample_error = error instanceof Error ? error.message : String(error);
  }
  for (const key of Object.keys(row)) columns.add(key);
  rows.push(row);
}

let done = false;
void loadDone.then(() => {
  done = true;
});
const pending = [...faults];
const active: Fault[] = [];
say(`running for ${values.duration} at ~${rate} req/s; faults: ${faults.map((f) => f.name).join(', ')}`);
while (!done && Date.now() - started < durationMs + 15_000) {
  const t = (Date.now() - started) / 1000;
  while (pending[0] && t >= pending[0].startS) {
    const f = pending.shift()!;
    say(`${t.toFixed(0)} s: ${f.name} begins`);
    await f.begin().catch((e: unknown) => faultErrors.push(`${f.name} begin: ${String(e)}`));
    active.push(f);
  }
  for (const f of [...active]) {
    if (t >= f.endS) {
      say(`${t.toFixed(0)} s: ${f.name} ends`);
      await f.finish().catch((e: unknown) => faultErrors.push(`${f.name} end: ${String(e)}`));
      active.splice(active.indexOf(f), 1);
    }
  }
  const now = Date.now();
  const dt = Math.max(0.001, (now - last.at) / 1000);
  const reqPerS = (counters.requests - last.requests) / dt;
  const errs = counters.errors - last.errors;
  const reqs = counters.requests - last.requests;
  last = { ...counters, at: now };
  await Promise.all(services.map((s) => sample(s, t, reqPerS, reqs === 0 ? 0 : errs / reqs)));
  await wait(Math.max(0, 1000 - (Date.now() - now)));
}
for (const f of active)
  await f.finish().catch((e: unknown) => faultErrors.push(`${f.name} end: ${String(e)}`));
for (const l of loads) l.stop();
await loadDone;

// ---- drain, count, stop ----------------------------------------------------------------------
// Accepted: the larger of what the load saw answered 202 and the service's own counter
// (ingest_accepted_events_total), so that a response the client missed cannot hide a lost event.
let serviceAccepted = 0;
try {
  const text = await fetch(`${ingest.url}/metrics`, {
    headers: { authorization: `Bearer ${metricsToken}` },
    signal: AbortSignal.timeout(5000),
  }).then((r) => r.text());
  serviceAccepted = parsePrometheus(text).get('ingest_accepted_events_total')?.values().next().value ?? 0;
} catch {
  // events-ingest gone: the "ran until the end" check says so
}
const accepted = Math.max(acceptedEvents, serviceAccepted);
say(`load finished: waiting for the batch writer to drain (${accepted} events accepted)`);
let written = await countEvents();
for (let i = 0; i < 60 && written < accepted; i++) {
  await wait(500);
  written = await countEvents();
}
await db.end();
const exitCodes: Record<string, number | null> = {};
for (const s of services) {
  s.stopping = true;
  s.child.kill('SIGTERM');
  const code = await Promise.race([s.exit, wait(20_000).then(() => 'timeout' as const)]);
  if (code === 'timeout') {
    s.child.kill('SIGKILL');
    exitCodes[s.name] = null;
  } else exitCodes[s.name] = code;
}
await es.close();

// ---- verdict ---------------------------------------------------------------------------------
const steady = (name: string) =>
  rows.filter(
    (r) => r.service === name && typeof r.t === 'number' && r.t >= warmUpS && r.sample_error === undefined,
  );
const checks: Check[] = [];
/** The points each service's heap slope was fitted to (chart overlay). */
const heapFloors: Record<string, (readonly [number, number])[]> = {};
for (const s of services) {
  const w = steady(s.name);
  const series = (key: string) =>
    w.map((r) => ({ t: (r.t as number) * 1000, value: r[key] as number | undefined }));
  const bytes = (key: string) =>
    series(key).map((p) => ({ ...p, value: p.value === undefined ? undefined : p.value * 1024 * 1024 }));
  // Regressions on the 10-s minima: the post-GC floor, not the sawtooth's amplitude.
  const rssSlope = slopeMbPerHour(bucketMinima(bytes('rss_mb')));
  const MB = 1024 * 1024;
  const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
  const heap = heapSlopeVerdict(
    rows
      .filter((r) => r.service === s.name && typeof r.t === 'number' && r.sample_error === undefined)
      .map((r) => ({
        t: (r.t as number) * 1000,
        heapUsed: num(r.heap_used_mb) === undefined ? undefined : (r.heap_used_mb as number) * MB,
        tenured: num(r.heap_tenured_mb) === undefined ? undefined : (r.heap_tenured_mb as number) * MB,
        gcMajor: num(r.gc_major),
      })),
    { warmUpMs: warmUpS * 1000, limitMbPerHour: slopeLimit },
  );
  heapFloors[s.name] = heap.points.map((p) => [p.t / 1000, p.value / MB] as const);
  const rssEnforced = enforcesRssSlope(durationMs);
  const maxRss = Math.max(0, ...w.map((r) => (r.rss_mb as number | undefined) ?? 0));
  checks.push(
    {
      name: `${s.name}: RSS slope (10-s minima)`,
      ok: !rssEnforced || rssSlope <= slopeLimit,
      value: `${rssSlope.toFixed(1)} MB/h`,
      limit: rssEnforced ? `${slopeLimit} MB/h` : 'reported only',
      detail: rssEnforced
        ? ''
        : 'runs under 10 min see the heap grow to its working size; the RSS ceiling still holds',
    },
    {
      name: `${s.name}: heap slope (${heap.method === 'post-gc' ? 'tenured heap after each major GC' : 'minima of heap used'}, Theil–Sen)`,
      ok: heap.ok,
      value: `${heap.slopeMbPerHour.toFixed(1)} MB/h`,
      limit: `${slopeLimit} MB/h`,
      detail:
        heap.method === 'post-gc'
          ? `${heap.points.length} major GCs after the ${warmUpS.toFixed(0)}-s warm-up`
          : 'fewer than 4 major GCs (spanning half the window) after the warm-up: fitted to the minima of heap used in buckets of a twelfth of the window (conservative)',
    },
    {
      name: `${s.name}: RSS ceiling`,
      ok: maxRss <= maxRssMb,
      value: `${maxRss.toFixed(0)} MB`,
      limit: `${maxRssMb} MB`,
    },
    { name: `${s.name}: unhandled errors`, ok: s.unhandled === 0, value: s.unhandled, limit: 0 },
    {
      name: `${s.name}: ran until the end`,
      ok: s.earlyExit === null,
      value: s.earlyExit ?? 'yes',
      limit: 'yes',
      detail: s.earlyExit ? 'a shutdown message with its reason (signal) is in the service log' : '',
    },
    {
      name: `${s.name}: clean exit on SIGTERM`,
      ok: exitCodes[s.name] === 0,
      value: String(exitCodes[s.name]),
      limit: 0,
    },
  );
  const sampled = rows.filter((r) => r.service === s.name && r.sample_error === undefined).length;
  checks.push({
    name: `${s.name}: samples answered`,
    ok: sampled >= Math.floor(durationS * 0.8),
    value: sampled,
    limit: `≥ ${Math.floor(durationS * 0.8)}`,
    detail: 'a service that stops answering /memory and /metrics for long is itself a failure',
  });
}
// The logger buffer against the cap each service reports (logger_elasticsearch_max_buffered) and
// against the stated bound (--logger-cap). No gauge at all is a failure, not a pass.
const loggerSampled = rows.some((r) => typeof r.logger_buffer === 'number');
checks.push({
  name: 'logger buffer within its cap',
  ok: loggerSampled && loggerOverCap <= 0 && maxLoggerBuffer <= loggerCap,
  value: loggerSampled ? maxLoggerBuffer : 'not sampled',
  limit: loggerCapSeen > 0 ? Math.min(loggerCap, loggerCapSeen) : loggerCap,
  detail: loggerSampled
    ? `largest buffer of any service; caps reported: ${loggerCapSeen}, stated bound --logger-cap ${loggerCap}`
    : 'no logger_elasticsearch_buffered gauge in /metrics',
});
const writerRows = rows.filter(
  (r) => typeof r.writer_queue === 'number' && typeof r.writer_queue_cap === 'number',
);
const maxWriterQueue = Math.max(0, ...writerRows.map((r) => r.writer_queue as number));
checks.push({
  name: 'events-ingest: batch writer queue within its cap',
  ok:
    writerRows.length > 0 &&
    writerRows.every((r) => (r.writer_queue as number) <= (r.writer_queue_cap as number)),
  value: writerRows.length > 0 ? maxWriterQueue : 'not sampled',
  limit: writerRows.length > 0 ? (writerRows[0]!.writer_queue_cap as number) : '-',
});
for (const s of services) {
  const missing = missingColumns(
    s.name,
    rows.filter((r) => r.service === s.name),
  );
  checks.push({
    name: `${s.name}: every sampled quantity present in /metrics`,
    ok: missing.length === 0,
    value: missing.length === 0 ? 'all' : `missing ${missing.join(', ')}`,
    limit: 'all',
    detail: 'a renamed metric would leave its column (and its check) empty',
  });
}
const lost = Math.max(0, accepted - written);
checks.push({
  name: 'lost accepted events',
  ok: lost === 0 && accepted > 0,
  value: lost,
  limit: 0,
  detail: `${accepted} accepted (202 answers seen: ${acceptedEvents}, service counter: ${serviceAccepted}), ${written} distinct events of this run written`,
});
checks.push({
  name: 'fault schedule ran',
  ok: faultErrors.length === 0,
  value: faultErrors.length,
  limit: 0,
  detail: faultErrors.join('; '),
});
const verdict = checks.every((c) => c.ok);

// ---- report ----------------------------------------------------------------------------------
const cols = [...columns];
const csv = [
  cols.join(','),
  ...rows.map((r) =>
    cols.map((c) => (r[c] === undefined ? '' : String(r[c]).replaceAll(',', ';'))).join(','),
  ),
].join('\n');
writeFileSync(join(outDir, 'samples.csv'), `${csv}\n`);
const meta = {
  date: new Date(started).toISOString(),
  duration: values.duration,
  node: process.version,
  rate: `${rate} req/s`,
  requests: counters.requests,
  'error responses': counters.errors,
  'steady-state window': `${warmUpS.toFixed(0)} s – end`,
};
const summary = {
  verdict,
  meta,
  checks,
  faults: faults.map(({ name, startS, endS }) => ({ name, startS, endS })),
  acceptedEvents: accepted,
  acceptedSeenByLoad: acceptedEvents,
  acceptedByServiceCounter: serviceAccepted,
  eventsWritten: written,
  exitCodes,
};
writeFileSync(join(outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
const points = (name: string, key: string) =>
  rows
    .filter((r) => r.service === name && typeof r[key] === 'number')
    .map((r) => [r.t as number, r[key] as number] as const);
const charts: Chart[] = [];
for (const s of services) {
  charts.push({
    title: `${s.name}: memory`,
    unit: 'MB',
    series: [
      ...[
        'rss_mb',
        'heap_used_mb',
        'heap_total_mb',
        'heap_tenured_mb',
        'external_mb',
        'array_buffers_mb',
      ].map((k) => ({ name: k, points: points(s.name, k) })),
      { name: 'heap slope fit points', points: heapFloors[s.name] ?? [], style: 'dots' as const },
    ],
  });
}
charts.push({
  title: 'buffers and queues (logger buffer per service, its cap, events-ingest batch writer queue)',
  unit: 'entries',
  series: [
    ...services.map((s) => ({ name: `${s.name} logger_buffer`, points: points(s.name, 'logger_buffer') })),
    { name: 'logger cap', points: points('orders-api', 'logger_buffer_cap') },
    { name: 'events-ingest writer_queue', points: points('events-ingest', 'writer_queue') },
  ],
});
charts.push({
  title: 'logger entries dropped (cumulative, all reasons) and in flight to Elasticsearch',
  unit: 'entries',
  series: services.flatMap((s) => [
    { name: `${s.name} dropped`, points: points(s.name, 'logger_dropped') },
    { name: `${s.name} in flight`, points: points(s.name, 'logger_in_flight') },
  ]),
});
charts.push({
  title: 'replica lag (largest over replicas)',
  unit: 's',
  series: services.map((s) => ({ name: s.name, points: points(s.name, 'replica_lag_s') })),
});
charts.push({
  title: 'database pool in use (all pools) and waiting acquires',
  unit: 'connections',
  series: services.flatMap((s) => [
    { name: `${s.name} used`, points: points(s.name, 'pool_used') },
    { name: `${s.name} pending`, points: points(s.name, 'pool_pending') },
  ]),
});
charts.push({
  title: 'load',
  unit: 'req/s',
  series: [{ name: 'requests/s (both)', points: points('orders-api', 'req_per_s') }],
});
charts.push({
  title: 'error rate',
  unit: 'fraction',
  series: [{ name: 'non-2xx or failed', points: points('orders-api', 'error_rate') }],
});
charts.push({
  title: 'event loop delay p99 and active handles',
  unit: 'ms / count',
  series: services.flatMap((s) => [
    { name: `${s.name} p99 ms`, points: points(s.name, 'event_loop_p99_ms') },
    { name: `${s.name} handles`, points: points(s.name, 'active_handles') },
  ]),
});
writeFileSync(
  join(outDir, 'index.html'),
  renderReport({ title: `Endurance run ${meta.date}`, verdict, checks, meta, charts, faults, durationS }),
);
for (const c of checks)
  say(
    `${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.value} (limit ${c.limit})${c.detail ? ` — ${c.detail}` : ''}`,
  );
say(`${verdict ? 'PASS' : 'FAIL'}; report in ${outDir}/index.html`);
process.stdout.write(
  `${JSON.stringify({ type: 'endurance', verdict, duration: values.duration, checks })}\n`,
);
process.exit(verdict ? 0 : 1);
