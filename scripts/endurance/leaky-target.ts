/**
 * A tiny service for proving the endurance verdict: a node:http server with the real /metrics
 * (@org/shared-metrics default metrics), /memory (@org/shared-middleware) and /health. It makes
 * garbage like a JSON API, and keeps a bounded cache (16 MB) whose entries live long enough to be
 * promoted, so that the old generation fills with garbage and major GCs happen every few seconds: the
 * evidence the heap verdict needs, also in a 1-minute run.
 *
 * The leak, for good, in a module-level array (the classic shape):
 *   LEAK_MB_PER_HOUR=300        retains that much per hour of wall time (small strings every 100 ms),
 *                               exact whatever the request rate
 *   LEAK_BYTES_PER_REQUEST=1024 retains that much per request
 *
 *   PORT=0 LEAK_MB_PER_HOUR=300 node endurance/leaky-target.ts   → prints "listening <port>"
 * Run through the endurance mechanism by endurance/leaky.config.ts.
 */
import { createServer } from 'node:http';
import { createMetrics } from '@org/shared-metrics';
import { memoryHandler } from '@org/shared-middleware';

const leakPerRequest = Number(process.env.LEAK_BYTES_PER_REQUEST ?? 0);
const leakPerTick = Math.round((Number(process.env.LEAK_MB_PER_HOUR ?? 0) * 1024 * 1024) / 36_000);
const retained: number[][] = [];
// Old-generation garbage at a steady rate, by timer (as a service's caches and timeouts make it): one
// entry replaced every 10 ms, so an entry lives ~10 s, long enough to be promoted, and 1.6 MB/s of
// garbage reaches the old generation whatever the request rate. On the service line
// (--max-semi-space-size=4) that makes a major GC every 2–4 s: the evidence a 1-minute verdict needs.
// (Per request, in autocannon's once-a-second bursts, the live entries still in the young generation
// at a major GC varied by up to 1.3 MB, and so did the tenured heap after it.) Arrays, as the leak: the
// 4-KiB padEnd strings this cache held before shared their filler, and major GCs came every 10–17 s.
const recent: unknown[] = new Array(Number(process.env.CACHE_ENTRIES ?? 1024)).fill(null);
const entryBytes = Number(process.env.CACHE_ENTRY_BYTES ?? 16_384);
const externalBytes = Number(process.env.EXTERNAL_BYTES_PER_REQUEST ?? 32_768);
let next = 0;
const metrics = createMetrics({ defaultLabels: { service: 'leaky-target' } });
const scrape = metrics.handler();
const memory = memoryHandler();
// Arrays of small integers (8 bytes an element), each its own: strings made with padEnd or repeat can
// share their filler inside V8 and retain far less than their length.
const leak = (bytes: number) =>
  retained.push(new Array(Math.max(1, Math.round(bytes / 8))).fill(retained.length));
const ticker = leakPerTick > 0 ? setInterval(() => leak(leakPerTick), 100) : null;
const churn = setInterval(() => {
  recent[next++ % recent.length] = new Array(Math.max(1, Math.round(entryBytes / 8))).fill(next);
}, 10);

const server = createServer((req, res) => {
  if (req.url === '/metrics') return scrape(req, res);
  if (req.url === '/memory') return memory(req, res);
  if (req.url === '/health') {
    res.setHeader('content-type', 'application/json');
    return res.end('{"status":"ok"}');
  }
  const body = JSON.stringify({ items: Array.from({ length: 50 }, (_, i) => ({ i, name: `item-${i}` })) });
  // I/O buffers outside the heap, as a service's sockets and drivers make them: external memory that
  // makes V8 run major GCs regularly (a request's bytes, then garbage).
  Buffer.alloc(externalBytes, next & 0xff);
  if (leakPerRequest > 0) leak(leakPerRequest);
  res.setHeader('content-type', 'application/json');
  res.end(body);
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`);
});
process.on('SIGTERM', () => {
  if (ticker) clearInterval(ticker);
  clearInterval(churn);
  server.close();
  server.closeAllConnections();
  void metrics.destroy();
});
