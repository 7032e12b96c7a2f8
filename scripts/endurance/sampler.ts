/**
 * What the endurance run reads from a service's `/metrics`: the real metric names of
 * @org/shared-metrics (default metrics, see packages/metrics/README.md) and of the services'
 * `collectStats('logger' | 'db' | …)` collectors, turned into the CSV columns of the report.
 * Pure (no I/O), so the names are pinned by a test on a real exposition.
 */

/** Metric samples of a Prometheus text exposition: name → (labels string → value). */
export type Exposition = Map<string, Map<string, number>>;

export type Aggregate = 'sum' | 'max';

export interface ColumnSpec {
  /** CSV column. */
  column: string;
  /** Exact metric name as exposed (no prefix: the services use none). */
  metric: string;
  /** Only series whose labels include all of these (e.g. { quantile: '0.99' }). */
  labels?: Record<string, string>;
  /** How several series (pools, replicas, reasons) combine. Default sum. */
  aggregate?: Aggregate;
  /** Multiplier (seconds → ms). Default 1. */
  scale?: number;
  /** Leave out series whose label has one of these values (e.g. the young-generation spaces). */
  excludeLabels?: Record<string, readonly string[]>;
  /** Value when the metric is absent (e.g. a histogram with no observation yet). Default: none (empty cell). */
  absent?: number;
}

/** The columns every service must fill (a check fails when one of them never has a value). */
export const COLUMNS: readonly ColumnSpec[] = [
  // default metrics
  { column: 'active_handles', metric: 'nodejs_active_handles' },
  { column: 'active_requests', metric: 'nodejs_active_requests' },
  { column: 'event_loop_p99_ms', metric: 'nodejs_eventloop_lag_p99_seconds', aggregate: 'max', scale: 1000 },
  // The heap outside the young generation (what survives scavenges); right after a major GC it is the live set.
  {
    column: 'heap_tenured_mb',
    metric: 'nodejs_heap_space_size_used_bytes',
    excludeLabels: { space: ['new', 'new_large_object'] },
    scale: 1 / (1024 * 1024),
  },
  { column: 'event_loop_max_ms', metric: 'nodejs_eventloop_lag_max_seconds', aggregate: 'max', scale: 1000 },
  // Cumulative count of major (mark-compact) GCs: a heap sample right after it rose is post-GC.
  {
    column: 'gc_major',
    metric: 'nodejs_gc_duration_seconds_count',
    labels: { kind: 'major' },
    absent: 0,
  },
  // collectStats('logger', () => logger.stats(), { labels: { 'elasticsearch.dropped': 'reason' }, … })
  { column: 'logger_buffer', metric: 'logger_elasticsearch_buffered' },
  { column: 'logger_buffer_cap', metric: 'logger_elasticsearch_max_buffered' },
  { column: 'logger_in_flight', metric: 'logger_elasticsearch_in_flight' },
  { column: 'logger_dropped', metric: 'logger_elasticsearch_dropped_total' },
  {
    column: 'logger_dropped_overflow',
    metric: 'logger_elasticsearch_dropped_total',
    labels: { reason: 'overflow' },
  },
  { column: 'logger_sent', metric: 'logger_elasticsearch_sent_total' },
  { column: 'logger_reachable', metric: 'logger_elasticsearch_reachable', aggregate: 'max' },
  // collectStats('db', () => db.stats(), { labels: { pools: 'pool', replicas: 'replica', writers: 'writer' }, … })
  { column: 'pool_used', metric: 'db_pools_used' },
  { column: 'pool_max', metric: 'db_pools_max' },
  { column: 'pool_pending', metric: 'db_pools_pending_acquires' },
  { column: 'replica_lag_s', metric: 'db_replicas_lag_seconds', aggregate: 'max' },
  { column: 'replica_lag_bytes', metric: 'db_replicas_lag_bytes', aggregate: 'max' },
  { column: 'writer_queue', metric: 'db_writers_queue_size' },
  { column: 'writer_queue_cap', metric: 'db_writers_queue_max_items' },
  { column: 'memory_guard_rejected', metric: 'memory_guard_rejected_total' },
];

/** Columns that must have a value in at least one sample of every service (else the names drifted). */
export const REQUIRED_COLUMNS: readonly string[] = [
  'active_handles',
  'event_loop_p99_ms',
  'gc_major',
  'heap_tenured_mb',
  'logger_buffer',
  'logger_buffer_cap',
  'logger_dropped',
  'pool_used',
  'replica_lag_s',
];

/** Per service, columns required on top of REQUIRED_COLUMNS. */
export const REQUIRED_BY_SERVICE: Readonly<Record<string, readonly string[]>> = {
  'events-ingest': ['writer_queue', 'writer_queue_cap'],
};

/** Parses a Prometheus text exposition (0.0.4). */
export function parsePrometheus(text: string): Exposition {
  const metrics: Exposition = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const value = match[3] === '+Inf' ? Number.POSITIVE_INFINITY : Number(match[3]);
    if (Number.isNaN(value)) continue;
    const byLabels = metrics.get(match[1]!) ?? new Map<string, number>();
    metrics.set(match[1]!, byLabels);
    byLabels.set(match[2] ?? '', value);
  }
  return metrics;
}

/** `{a="1",b="x"}` → { a: '1', b: 'x' }. */
export function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const m of text.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[m[1]!] = m[2]!;
  return labels;
}

/** The value of one column: the matching series of `metric`, combined; undefined when there are none. */
export function readColumn(m: Exposition, spec: ColumnSpec): number | undefined {
  const byLabels = m.get(spec.metric);
  let result: number | undefined;
  for (const [text, value] of byLabels ?? []) {
    if (!Number.isFinite(value)) continue;
    if (spec.labels || spec.excludeLabels) {
      const labels = parseLabels(text);
      if (spec.labels && !Object.entries(spec.labels).every(([k, v]) => labels[k] === v)) continue;
      if (
        spec.excludeLabels &&
        Object.entries(spec.excludeLabels).some(([k, vs]) => vs.includes(labels[k] ?? ''))
      )
        continue;
    }
    result =
      result === undefined
        ? value
        : (spec.aggregate ?? 'sum') === 'max'
          ? Math.max(result, value)
          : result + value;
  }
  if (result === undefined) return spec.absent;
  return result * (spec.scale ?? 1);
}

/** Every column of COLUMNS for one scrape. */
export function readColumns(m: Exposition, specs: readonly ColumnSpec[] = COLUMNS): Record<string, number> {
  const row: Record<string, number> = {};
  for (const spec of specs) {
    const value = readColumn(m, spec);
    if (value !== undefined) row[spec.column] = value;
  }
  return row;
}

/** Required columns that have no value in any of a service's rows. */
export function missingColumns(
  service: string,
  rows: readonly Record<string, unknown>[],
  required: readonly string[] = [...REQUIRED_COLUMNS, ...(REQUIRED_BY_SERVICE[service] ?? [])],
): string[] {
  return required.filter((column) => !rows.some((row) => typeof row[column] === 'number'));
}
