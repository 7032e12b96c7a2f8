// One contestant in its own process: heap growth after a forced GC when N entries are logged while
// nothing listens (a port that refuses connections). Prints one JSON line.
import { createServer } from 'node:net';
import { setImmediate as tick } from 'node:timers/promises';
import { type Contestant, ours, pinoElasticsearch, winstonElasticsearch } from './contestants.ts';
import { entry } from './entry.ts';

const [name = 'ours', countText = '1000000'] = process.argv.slice(2);
const count = Number(countText);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc (npm run bench does)');

// A port nobody listens on: bind, read the port, close.
const port = await new Promise<number>((resolve) => {
  const probe = createServer().listen(0, '127.0.0.1', () => {
    const address = probe.address() as { port: number };
    probe.close(() => resolve(address.port));
  });
});
const url = `http://127.0.0.1:${port}`;

async function settle(): Promise<number> {
  for (let i = 0; i < 5; i++) {
    gc!();
    await tick();
  }
  return process.memoryUsage().heapUsed;
}

const contestant: Contestant =
  name === 'winston-elasticsearch'
    ? winstonElasticsearch(url)
    : name === 'pino-elasticsearch'
      ? pinoElasticsearch(url)
      : ours(url, 'default');
// Warm up (first allocations of the client, the format, the JIT) before the baseline.
for (let i = 0; i < 1000; i++) contestant.info('warm-up', entry(i));
await new Promise((resolve) => setTimeout(resolve, 200));
const before = await settle();
const started = performance.now();
for (let i = 0; i < count; i++) {
  contestant.info('request handled', entry(i));
  if (i % 1000 === 999) await tick();
}
const elapsedMs = performance.now() - started;
await new Promise((resolve) => setTimeout(resolve, 500));
const after = await settle();
process.stdout.write(
  `${JSON.stringify({ name: contestant.name, count, growthBytes: after - before, elapsedMs })}\n`,
);
process.exit(0);
