/** One sample of one service: its /memory JSON and its /metrics text, as columns. */
import { type ColumnSpec, NODE_COLUMNS, parsePrometheus, readColumns } from './sampler.js';

const MB = 1024 * 1024;

/** RSS and heap from /metrics, for a service without a /memory endpoint (prom-client's default names). */
export const MEMORY_FROM_METRICS: readonly ColumnSpec[] = [
  { column: 'rss_mb', metric: 'process_resident_memory_bytes', scale: 1 / MB },
  { column: 'heap_used_mb', metric: 'nodejs_heap_size_used_bytes', scale: 1 / MB },
  { column: 'heap_total_mb', metric: 'nodejs_heap_size_total_bytes', scale: 1 / MB },
  { column: 'external_mb', metric: 'nodejs_external_memory_bytes', scale: 1 / MB },
];

export interface ProbeTarget {
  url: string;
  memoryPath: string | null;
  metricsPath: string;
  headers: Readonly<Record<string, string>>;
  columns: readonly ColumnSpec[];
  timeoutMs: number;
}

async function get(
  url: string,
  headers: Readonly<Record<string, string>>,
  timeoutMs: number,
): Promise<string> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  // The path, never the URL with its query or the headers: a token must not reach the report.
  if (res.status !== 200) throw new Error(`${new URL(url).pathname} answered ${res.status}`);
  return text;
}

/** The columns of one sample; rejects when the service does not answer. */
export async function probe(target: ProbeTarget): Promise<Record<string, number>> {
  const [memoryText, metricsText] = await Promise.all([
    target.memoryPath === null
      ? null
      : get(`${target.url}${target.memoryPath}`, target.headers, target.timeoutMs),
    get(`${target.url}${target.metricsPath}`, target.headers, target.timeoutMs),
  ]);
  const exposition = parsePrometheus(metricsText);
  const row: Record<string, number> = readColumns(exposition, [
    ...NODE_COLUMNS,
    ...(memoryText === null ? MEMORY_FROM_METRICS : []),
    ...target.columns,
  ]);
  if (memoryText !== null) {
    const memory = JSON.parse(memoryText) as Record<string, unknown>;
    const put = (column: string, key: string) => {
      const v = memory[key];
      if (typeof v === 'number' && Number.isFinite(v)) row[column] = v / MB;
    };
    put('rss_mb', 'rss');
    put('heap_used_mb', 'heapUsed');
    put('heap_total_mb', 'heapTotal');
    put('external_mb', 'external');
    put('array_buffers_mb', 'arrayBuffers');
  }
  return row;
}

/** One metric's value summed over its series (e.g. a service's own counter of accepted items). */
export async function readMetric(target: ProbeTarget, metric: string): Promise<number | undefined> {
  const text = await get(`${target.url}${target.metricsPath}`, target.headers, target.timeoutMs);
  return readColumns(parsePrometheus(text), [{ column: 'v', metric }]).v;
}
