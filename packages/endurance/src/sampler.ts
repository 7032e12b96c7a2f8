/**
 * What the endurance run reads from a service's `/metrics`: Node's default metrics (prom-client's,
 * as @org/shared-metrics exposes them), the @org/shared-* packages' stats (logger buffer, pools,
 * replicas, batch writers, memory guard) and whatever columns a config adds, turned into the columns
 * of the report. Pure (no I/O), so the names are pinned by a test on a real exposition.
 */

/** Metric samples of a Prometheus text exposition: name → (labels string → value). */
export type Exposition = Map<string, Map<string, number>>;

export type Aggregate = 'sum' | 'max';

export interface ColumnSpec {
  /** CSV column. */
  column: string;
  /** Exact metric name as exposed (no prefix: the services use none). */
  metric: string;
  /** Only series whose labels include all of these (e.g. { kind: 'major' }). */
  labels?: Record<string, string>;
  /** How several series (pools, replicas, reasons) combine. Default sum. */
  aggregate?: Aggregate;
  /** Multiplier (seconds → ms). Default 1. */
  scale?: number;
  /** Leave out series whose label has one of these values (e.g. the young-generation spaces). */
  excludeLabels?: Record<string, readonly string[]>;
  /** Value when the metric is absent (e.g. a histogram with no observation yet). Default: none (empty cell). */
  absent?: number;
  /** The report chart it is drawn on (columns with the same chart share one, across services). Default: not drawn. */
  chart?: string;
  /** Unit shown on that chart. */
  unit?: string;
}

/** Node's default metrics: what the verdict needs (major GCs, tenured heap) and the event loop. */
export const NODE_COLUMNS: readonly ColumnSpec[] = [
  {
    chart: 'active handles and requests',
    unit: 'count',
    column: 'active_handles',
    metric: 'nodejs_active_handles',
  },
  {
    chart: 'active handles and requests',
    unit: 'count',
    column: 'active_requests',
    metric: 'nodejs_active_requests',
  },
  {
    chart: 'event loop delay (p99 and max)',
    unit: 'ms',
    column: 'event_loop_p99_ms',
    metric: 'nodejs_eventloop_lag_p99_seconds',
    aggregate: 'max',
    scale: 1000,
  },
  // The heap outside the young generation (what survives scavenges); right after a major GC it is the live set.
  {
    column: 'heap_tenured_mb',
    metric: 'nodejs_heap_space_size_used_bytes',
    excludeLabels: { space: ['new', 'new_large_object'] },
    scale: 1 / (1024 * 1024),
  },
  {
    chart: 'event loop delay (p99 and max)',
    unit: 'ms',
    column: 'event_loop_max_ms',
    metric: 'nodejs_eventloop_lag_max_seconds',
    aggregate: 'max',
    scale: 1000,
  },
  // Cumulative count of major (mark-compact) GCs: a heap sample right after it rose is post-GC.
  {
    column: 'gc_major',
    metric: 'nodejs_gc_duration_seconds_count',
    labels: { kind: 'major' },
    absent: 0,
  },
];

/**
 * The stats of the @org/shared-* packages as a service built on them exposes them:
 * collectStats('logger', …) and collectStats('db', …) (see the services' README), and the memory guard.
 */
export const ORG_SHARED_COLUMNS: readonly ColumnSpec[] = [
  // collectStats('logger', () => logger.stats(), { labels: { 'elasticsearch.dropped': 'reason' }, … })
  {
    chart: 'logger buffer, its cap and entries in flight',
    unit: 'entries',
    column: 'logger_buffer',
    metric: 'logger_elasticsearch_buffered',
  },
  {
    chart: 'logger buffer, its cap and entries in flight',
    unit: 'entries',
    column: 'logger_buffer_cap',
    metric: 'logger_elasticsearch_max_buffered',
  },
  {
    chart: 'logger buffer, its cap and entries in flight',
    unit: 'entries',
    column: 'logger_in_flight',
    metric: 'logger_elasticsearch_in_flight',
  },
  {
    chart: 'logger entries dropped and sent (cumulative)',
    unit: 'entries',
    column: 'logger_dropped',
    metric: 'logger_elasticsearch_dropped_total',
  },
  {
    column: 'logger_dropped_overflow',
    metric: 'logger_elasticsearch_dropped_total',
    labels: { reason: 'overflow' },
  },
  {
    chart: 'logger entries dropped and sent (cumulative)',
    unit: 'entries',
    column: 'logger_sent',
    metric: 'logger_elasticsearch_sent_total',
  },
  { column: 'logger_reachable', metric: 'logger_elasticsearch_reachable', aggregate: 'max' },
  // collectStats('db', () => db.stats(), { labels: { pools: 'pool', replicas: 'replica', writers: 'writer' }, … })
  {
    chart: 'database pools: used, max, waiting acquires',
    unit: 'connections',
    column: 'pool_used',
    metric: 'db_pools_used',
  },
  {
    chart: 'database pools: used, max, waiting acquires',
    unit: 'connections',
    column: 'pool_max',
    metric: 'db_pools_max',
  },
  {
    chart: 'database pools: used, max, waiting acquires',
    unit: 'connections',
    column: 'pool_pending',
    metric: 'db_pools_pending_acquires',
  },
  {
    chart: 'replica lag (largest over replicas)',
    unit: 's',
    column: 'replica_lag_s',
    metric: 'db_replicas_lag_seconds',
    aggregate: 'max',
  },
  { column: 'replica_lag_bytes', metric: 'db_replicas_lag_bytes', aggregate: 'max' },
  {
    chart: 'batch writer queue and its cap',
    unit: 'rows',
    column: 'writer_queue',
    metric: 'db_writers_queue_size',
  },
  {
    chart: 'batch writer queue and its cap',
    unit: 'rows',
    column: 'writer_queue_cap',
    metric: 'db_writers_queue_max_items',
  },
  {
    chart: 'memory guard rejections (cumulative)',
    unit: 'requests',
    column: 'memory_guard_rejected',
    metric: 'memory_guard_rejected_total',
  },
];

/** Columns every service must fill (the verdict's evidence); a config names more per service. */
export const REQUIRED_COLUMNS: readonly string[] = [
  'active_handles',
  'event_loop_p99_ms',
  'gc_major',
  'heap_tenured_mb',
];

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

/** Every column of `specs` for one scrape. */
export function readColumns(
  m: Exposition,
  specs: readonly ColumnSpec[] = NODE_COLUMNS,
): Record<string, number> {
  const row: Record<string, number> = {};
  for (const spec of specs) {
    const value = readColumn(m, spec);
    if (value !== undefined) row[spec.column] = value;
  }
  return row;
}

/** Required columns that never had a value (`seen`: the columns a service filled at least once). */
export function missingColumns(
  seen: ReadonlySet<string>,
  required: readonly string[] = REQUIRED_COLUMNS,
): string[] {
  return required.filter((column) => !seen.has(column));
}
