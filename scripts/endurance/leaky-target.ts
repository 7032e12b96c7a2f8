/**
 * A tiny target for proving the endurance heap verdict: a node:http server with the real
 * /metrics (@org/shared-metrics default metrics) and /memory (@org/shared-middleware). With
 * LEAK_BYTES_PER_REQUEST > 0 every request retains that many bytes for good (a module-level array,
 * the classic leak); with 0 it only makes garbage. Used by test/endurance-leaky-target.test.ts.
 *
 *   PORT=0 LEAK_BYTES_PER_REQUEST=2048 node endurance/leaky-target.ts   → prints "listening <port>"
 */
import { createServer } from 'node:http';
import { createMetrics } from '@org/shared-metrics';
import { memoryHandler } from '@org/shared-middleware';

const leakBytes = Number(process.env.LEAK_BYTES_PER_REQUEST ?? 0);
const retained: string[] = [];
// A bounded cache of recent responses (256 × 16 KiB, the oldest replaced): its entries live long
// enough to be promoted, so the old generation fills with garbage and major GCs happen regularly,
// as in the services. Bounded: not a leak.
const recent: string[] = new Array(256).fill('');
let next = 0;
const metrics = createMetrics({ defaultLabels: { service: 'leaky-target' } });
const scrape = metrics.handler();
const memory = memoryHandler();

const server = createServer((req, res) => {
  if (req.url === '/metrics') return scrape(req, res);
  if (req.url === '/memory') return memory(req, res);
  // Some garbage per request, like a JSON API.
  const body = JSON.stringify({ items: Array.from({ length: 50 }, (_, i) => ({ i, name: `item-${i}` })) });
  recent[next++ % recent.length] = `${next}:`.padEnd(16_384, body);
  if (leakBytes > 0) retained.push(`${retained.length}:`.padEnd(leakBytes, 'x'));
  res.setHeader('content-type', 'application/json');
  res.end(body);
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void metrics.destroy();
});
