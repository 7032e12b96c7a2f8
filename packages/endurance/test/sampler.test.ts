// The endurance sampler reads the real metric names of @org/shared-metrics (Node's default metrics)
// and of the @org/shared-* stats collectors; an exposition captured from events-ingest (with the ES
// transport) pins them.
import { describe, expect, it } from 'vitest';
import {
  missingColumns,
  NODE_COLUMNS,
  ORG_SHARED_COLUMNS,
  parseLabels,
  parsePrometheus,
  REQUIRED_COLUMNS,
  readColumn,
  readColumns,
} from '../src/sampler.ts';

const COLUMNS = [...NODE_COLUMNS, ...ORG_SHARED_COLUMNS];

const exposition = `# HELP nodejs_active_handles Number of active libuv handles.
# TYPE nodejs_active_handles gauge
nodejs_active_handles{service="events-ingest"} 5
nodejs_active_requests{service="events-ingest"} 2
nodejs_eventloop_lag_seconds{service="events-ingest"} 0.001200735
nodejs_eventloop_lag_p50_seconds{service="events-ingest"} 0.010100735
nodejs_eventloop_lag_p90_seconds{service="events-ingest"} 0.010797055
nodejs_eventloop_lag_p99_seconds{service="events-ingest"} 0.019120127
nodejs_eventloop_lag_max_seconds{service="events-ingest"} 0.065273855
nodejs_heap_space_size_used_bytes{space="new",service="events-ingest"} 9437184
nodejs_heap_space_size_used_bytes{space="old",service="events-ingest"} 17825792
nodejs_heap_space_size_used_bytes{space="code",service="events-ingest"} 1048576
nodejs_heap_space_size_used_bytes{space="new_large_object",service="events-ingest"} 204800
nodejs_heap_space_size_used_bytes{space="large_object",service="events-ingest"} 2097152
nodejs_gc_duration_seconds_bucket{le="0.001",kind="minor",service="events-ingest"} 40
nodejs_gc_duration_seconds_count{kind="minor",service="events-ingest"} 52
nodejs_gc_duration_seconds_count{kind="major",service="events-ingest"} 3
logger_elasticsearch_buffered{service="events-ingest"} 17
logger_elasticsearch_max_buffered{service="events-ingest"} 1000
logger_elasticsearch_in_flight{service="events-ingest"} 4
logger_elasticsearch_sent_total{service="events-ingest"} 3
logger_elasticsearch_dropped_total{reason="overflow",service="events-ingest"} 7
logger_elasticsearch_dropped_total{reason="expired",service="events-ingest"} 0
logger_elasticsearch_dropped_total{reason="closed",service="events-ingest"} 2
logger_elasticsearch_reachable{service="events-ingest"} 1
db_pools_used{pool="primary",service="events-ingest"} 2
db_pools_used{pool="replica-1",service="events-ingest"} 1
db_pools_max{pool="primary",service="events-ingest"} 10
db_pools_max{pool="replica-1",service="events-ingest"} 10
db_pools_pending_acquires{pool="primary",service="events-ingest"} 0
db_replicas_lag_bytes{replica="replica-1",service="events-ingest"} 4096
db_replicas_lag_seconds{replica="replica-1",service="events-ingest"} 1.5
db_writers_queue_size{writer="events",service="events-ingest"} 120
db_writers_queue_max_items{writer="events",service="events-ingest"} 21000
db_writers_queue_max_bytes{writer="events",service="events-ingest"} +Inf
memory_guard_rejected_total{service="events-ingest"} 0
`;

describe('endurance sampler', () => {
  it('reads every column from the real metric names', () => {
    expect(readColumns(parsePrometheus(exposition), COLUMNS)).toEqual({
      active_handles: 5,
      active_requests: 2,
      event_loop_p99_ms: 0.019120127 * 1000,
      event_loop_max_ms: 0.065273855 * 1000,
      heap_tenured_mb: 20, // old 17 + code 1 + large_object 2 MiB; new and new_large_object left out
      gc_major: 3,
      logger_buffer: 17,
      logger_buffer_cap: 1000,
      logger_in_flight: 4,
      logger_dropped: 9,
      logger_dropped_overflow: 7,
      logger_sent: 3,
      logger_reachable: 1,
      pool_used: 3,
      pool_max: 20,
      pool_pending: 0,
      replica_lag_s: 1.5,
      replica_lag_bytes: 4096,
      writer_queue: 120,
      writer_queue_cap: 21000,
      memory_guard_rejected: 0,
    });
  });

  it('leaves a column empty when its metric is absent, except declared defaults', () => {
    const m = parsePrometheus('nodejs_active_handles 3\n');
    expect(readColumn(m, COLUMNS.find((c) => c.column === 'logger_buffer')!)).toBeUndefined();
    expect(readColumn(m, COLUMNS.find((c) => c.column === 'gc_major')!)).toBe(0); // no major GC yet
    // A renamed metric (prom-client's old counter-named gauge) is not silently accepted.
    expect(readColumns(parsePrometheus('nodejs_active_handles_total 3\n')).active_handles).toBeUndefined();
  });

  it('names the required columns a service never filled', () => {
    const seen = new Set(['active_handles', 'event_loop_p99_ms', 'gc_major', 'logger_buffer']);
    expect(missingColumns(seen)).toEqual(['heap_tenured_mb']);
    expect(missingColumns(seen, [...REQUIRED_COLUMNS, 'logger_buffer', 'pool_used'])).toEqual([
      'heap_tenured_mb',
      'pool_used',
    ]);
  });

  it('puts every column a chart names on a chart with a unit', () => {
    for (const spec of COLUMNS) if (spec.chart) expect(spec.unit, spec.column).toBeTruthy();
  });

  it('parses label sets with escapes', () => {
    expect(parseLabels('{a="1",b="x\\"y",service="s"}')).toEqual({ a: '1', b: 'x\\"y', service: 's' });
  });
});
