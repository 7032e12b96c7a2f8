// Benchmarks of @org/shared-metrics against raw prom-client, in one process, side by side.
// Run with `npm run bench` (builds nothing: run `npm run build` first; the package resolves to dist/).
import { createMetrics } from '@org/shared-metrics';
import client from 'prom-client';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc (npm run bench does)');

type Result = { name: string; value: number; unit: string };
const lines: string[] = [];
const table: string[][] = [];

function emit(
  caseName: string,
  results: Result[],
  ratios: Record<string, number>,
  target: string,
  met: boolean,
): void {
  lines.push(
    JSON.stringify({ type: 'bench', package: 'metrics', case: caseName, results, ratios, target, met }),
  );
  table.push([
    caseName,
    results.map((r) => `${r.name}=${round(r.value)} ${r.unit}`).join(', '),
    Object.entries(ratios)
      .map(([k, v]) => `${k}=${v.toFixed(2)}`)
      .join(', '),
    `${target}: ${met ? 'met' : 'NOT met'}`,
  ]);
}

function round(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

/** ns per call of fn(i), median of `rounds` rounds, contestants interleaved round by round. */
function race(
  contestants: Record<string, (i: number) => void>,
  iterations: number,
  rounds = 9,
): Record<string, number> {
  const samples: Record<string, number[]> = {};
  for (const name of Object.keys(contestants)) samples[name] = [];
  for (const fn of Object.values(contestants)) for (let i = 0; i < iterations; i++) fn(i); // warm-up
  for (let r = 0; r < rounds; r++) {
    const order = Object.entries(contestants);
    if (r % 2 === 1) order.reverse();
    for (const [name, fn] of order) {
      const start = process.hrtime.bigint();
      for (let i = 0; i < iterations; i++) fn(i);
      samples[name]!.push(Number(process.hrtime.bigint() - start) / iterations);
    }
  }
  const out: Record<string, number> = {};
  for (const [name, values] of Object.entries(samples)) out[name] = median(values);
  return out;
}

const LABEL_NAMES = ['method', 'route', 'code', 'region'] as const;
function labelPool(count: number, size: number): Record<string, string>[] {
  const pool: Record<string, string>[] = [];
  for (let i = 0; i < size; i++) {
    const labels: Record<string, string> = {};
    for (let k = 0; k < count; k++) labels[LABEL_NAMES[k]!] = `${LABEL_NAMES[k]}-${(i * (k + 3)) % 17}`;
    pool.push(labels);
  }
  return pool;
}

let sink = 0;
const ITER = 200_000;

// 1. Counter.inc and Histogram.observe with 0, 2 and 4 labels.
for (const kind of ['counter_inc', 'histogram_observe'] as const) {
  for (const count of [0, 2, 4]) {
    const ours = createMetrics({ defaultMetrics: false });
    const raw = new client.Registry();
    const names = LABEL_NAMES.slice(0, count);
    const pool = labelPool(count, 64);
    let oursFn: (i: number) => void;
    let rawFn: (i: number) => void;
    if (kind === 'counter_inc') {
      const a = ours.counter({ name: 'c', help: 'c', labelNames: names });
      const b = new client.Counter({ name: 'c_total', help: 'c', labelNames: names, registers: [raw] });
      oursFn = count === 0 ? () => a.inc() : (i) => a.inc(pool[i & 63]!);
      rawFn = count === 0 ? () => b.inc() : (i) => b.inc(pool[i & 63]!);
    } else {
      const a = ours.histogram({ name: 'h', help: 'h', labelNames: names });
      const b = new client.Histogram({ name: 'h', help: 'h', labelNames: names, registers: [raw] });
      oursFn =
        count === 0 ? (i) => a.observe((i & 1023) / 100) : (i) => a.observe(pool[i & 63]!, (i & 1023) / 100);
      rawFn =
        count === 0 ? (i) => b.observe((i & 1023) / 100) : (i) => b.observe(pool[i & 63]!, (i & 1023) / 100);
    }
    const noop = (i: number) => {
      sink += pool.length === 0 ? i : (pool[i & 63]?.method?.length ?? 1);
    };
    const r = race({ 'shared-metrics': oursFn, 'prom-client': rawFn, noop }, ITER);
    const ratio = r['shared-metrics']! / r['prom-client']!;
    emit(
      `${kind}_${count}_labels`,
      Object.entries(r).map(([name, value]) => ({ name, value, unit: 'ns/op' })),
      { 'shared-metrics/prom-client': ratio, 'shared-metrics/noop': r['shared-metrics']! / r.noop! },
      'shared-metrics/prom-client <= 1.1',
      ratio <= 1.1,
    );
    await ours.destroy();
  }
}

// 2. Scrape time and heap per series at 10,000 series.
async function heapUsed(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc!();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}
{
  const SERIES = 10_000;
  // Instances and metrics first, so that only the series are in the heap deltas.
  const ours = createMetrics({ defaultMetrics: false, maxLabelSets: SERIES * 2 });
  const oc = ours.counter({ name: 'req', help: 'r', labelNames: ['route', 'code'] });
  const raw = new client.Registry();
  const rc = new client.Counter({
    name: 'req_total',
    help: 'r',
    labelNames: ['route', 'code'],
    registers: [raw],
  });
  const fill = (inc: (labels: Record<string, string>) => void) => {
    for (let i = 0; i < SERIES; i++) inc({ route: `/route/${i}`, code: String(200 + (i % 5)) });
  };
  // Warm both paths up on throw-away series, so compiled code is not counted as series.
  fill((l) => oc.inc(l));
  fill((l) => rc.inc(l));
  oc.reset();
  rc.reset();
  let base = await heapUsed();
  fill((l) => rc.inc(l));
  const rawHeap = (await heapUsed()) - base;
  base = await heapUsed();
  fill((l) => oc.inc(l));
  const oursHeap = (await heapUsed()) - base;
  const times: Record<string, number[]> = { 'shared-metrics': [], 'prom-client': [], noop: [] };
  for (let r = 0; r < 15; r++) {
    let t = process.hrtime.bigint();
    sink += (await ours.text()).length;
    times['shared-metrics']!.push(Number(process.hrtime.bigint() - t) / 1e6);
    t = process.hrtime.bigint();
    sink += (await raw.metrics()).length;
    times['prom-client']!.push(Number(process.hrtime.bigint() - t) / 1e6);
    t = process.hrtime.bigint();
    sink += (await Promise.resolve('')).length;
    times.noop!.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  const ms = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
  const scrapeRatio = ms['shared-metrics']! / ms['prom-client']!;
  emit(
    'scrape_10000_series',
    Object.entries(ms).map(([name, value]) => ({ name, value, unit: 'ms/scrape' })),
    { 'shared-metrics/prom-client': scrapeRatio },
    'shared-metrics/prom-client <= 1.1',
    scrapeRatio <= 1.1,
  );
  const perSeries = { 'shared-metrics': oursHeap / SERIES, 'prom-client': rawHeap / SERIES };
  const heapRatio = perSeries['shared-metrics'] / perSeries['prom-client'];
  emit(
    'heap_per_series_10000',
    Object.entries(perSeries).map(([name, value]) => ({ name, value, unit: 'bytes/series' })),
    { 'shared-metrics/prom-client': heapRatio },
    'shared-metrics/prom-client <= 1.1',
    heapRatio <= 1.1,
  );
  await ours.destroy();
  raw.clear();
}

// 3. Heap after 1,000,000 distinct label values: the guard (bounded) versus raw prom-client.
{
  const N = 1_000_000;
  const ours = createMetrics({ defaultMetrics: false });
  const oc = ours.counter({ name: 'by_user', help: 'u', labelNames: ['user'] });
  const base = await heapUsed();
  for (let i = 0; i < N; i++) oc.inc({ user: `user-${i}` });
  const oursHeap = (await heapUsed()) - base;
  const oursSeries = oc.labelSets;
  await ours.destroy();
  const base2 = await heapUsed();
  const raw = new client.Registry();
  const rc = new client.Counter({ name: 'by_user_total', help: 'u', labelNames: ['user'], registers: [raw] });
  for (let i = 0; i < N; i++) rc.inc({ user: `user-${i}` });
  const rawHeap = (await heapUsed()) - base2;
  raw.clear();
  const mb = (b: number) => b / 1024 / 1024;
  emit(
    'heap_after_1000000_label_values',
    [
      { name: 'shared-metrics', value: mb(oursHeap), unit: 'MiB' },
      { name: 'prom-client', value: mb(rawHeap), unit: 'MiB' },
      { name: 'shared-metrics series', value: oursSeries + 1, unit: 'series' },
    ],
    { 'shared-metrics/prom-client': oursHeap / rawHeap },
    'bounded: shared-metrics holds <= 2001 series and < 5 % of the raw heap',
    oursSeries + 1 <= 2001 && oursHeap / rawHeap < 0.05,
  );
}

const widths = [0, 1, 2, 3].map((c) => Math.max(...table.map((row) => row[c]!.length), 4));
console.log(`\n@org/shared-metrics benchmarks (${new Date().toISOString()}, node ${process.version})\n`);
for (const row of table) console.log(row.map((cell, c) => cell.padEnd(widths[c]!)).join(' | '));
console.log('');
for (const line of lines) console.log(line);
if (sink === -1) console.log(sink);
