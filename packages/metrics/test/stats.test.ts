import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics, type Metrics } from '../src/index.js';
import { collectingReporter, samples } from './helpers.js';

let open: Metrics[] = [];
afterEach(async () => {
  await Promise.all(open.map((m) => m.destroy()));
  open = [];
});
function make(reporter = collectingReporter()) {
  const m = createMetrics({ defaultMetrics: false, onError: reporter });
  open.push(m);
  return { m, reporter };
}

/** The shape of the logger's stats(). */
const loggerStats = (sent: number) => ({
  buffered: 812,
  bufferedBytes: 40_960,
  sent,
  dropped: { overflow: 3, expired: 1, oversize: 0, rejected: 2 },
  retries: 4,
  reachable: false,
  lastFlushMs: 250,
});

describe('collectStats()', () => {
  it('turns a logger snapshot into gauges, counters and labelled series, read at scrape time', async () => {
    const { m, reporter } = make();
    let sent = 10;
    let calls = 0;
    m.collectStats(
      'logger',
      () => {
        calls++;
        return loggerStats(sent);
      },
      {
        counters: ['sent', 'dropped', 'retries'],
        labels: { dropped: 'reason' },
        help: { buffered: 'Entries waiting.' },
      },
    );
    const callsBefore = calls;
    const text = await m.text();
    expect(calls - callsBefore).toBe(1);
    const s = samples(text);
    expect(s.get('logger_buffered')).toBe(812);
    expect(s.get('logger_buffered_bytes')).toBe(40_960);
    expect(s.get('logger_sent_total')).toBe(10);
    expect(s.get('logger_dropped_total{reason="overflow"}')).toBe(3);
    expect(s.get('logger_dropped_total{reason="rejected"}')).toBe(2);
    expect(s.get('logger_retries_total')).toBe(4);
    expect(s.get('logger_reachable')).toBe(0);
    expect(s.get('logger_last_flush_seconds')).toBe(0.25);
    expect(text).toContain('# TYPE logger_sent_total counter');
    expect(text).toContain('# TYPE logger_buffered gauge');
    expect(text).toContain('# HELP logger_buffered Entries waiting.');
    // Without help: the path in words, with the unit of the name.
    expect(text).toContain('# HELP logger_buffered_bytes Buffered, in bytes (logger stats()).');
    expect(text).toContain('# HELP logger_last_flush_seconds Last flush, in seconds (logger stats()).');
    expect(text).toContain('# HELP logger_sent_total Sent, in total (logger stats()).');
    sent = 25;
    expect(samples(await m.text()).get('logger_sent_total')).toBe(25);
    expect(reporter.errors).toEqual([]);
  });

  it('turns a database snapshot into pool gauges and per-replica labelled lag', async () => {
    const { m } = make();
    const replicas: Record<string, { lagBytes: number; lagSeconds: number }> = {
      'replica-1': { lagBytes: 1024, lagSeconds: 0.5 },
    };
    m.collectStats(
      'db',
      () => ({ pool: { used: 10, free: 0, pending: 7, max: 10 }, acquireMs: { last: 1500 }, replicas }),
      {
        labels: { replicas: 'replica' },
      },
    );
    let s = samples(await m.text());
    expect(s.get('db_pool_used')).toBe(10);
    expect(s.get('db_pool_pending')).toBe(7);
    expect(s.get('db_acquire_last')).toBeUndefined();
    expect(s.get('db_replicas_lag_bytes{replica="replica-1"}')).toBe(1024);
    expect(s.get('db_replicas_lag_seconds{replica="replica-1"}')).toBe(0.5);
    replicas['replica-2'] = { lagBytes: 0, lagSeconds: 0 };
    delete replicas['replica-1'];
    s = samples(await m.text());
    expect(s.has('db_replicas_lag_bytes{replica="replica-1"}')).toBe(false);
    expect(s.get('db_replicas_lag_bytes{replica="replica-2"}')).toBe(0);
  });

  it('takes the database stats() as it is: arrays keyed by name, strings and nulls skipped', async () => {
    const { m, reporter } = make();
    const dbStats = {
      closed: false,
      pools: {
        primary: { used: 10, free: 0, pendingAcquires: 4, pendingCreates: 0, max: 10 },
        'replica-1': { used: 1, free: 2, pendingAcquires: 0, pendingCreates: 0, max: 10 },
      },
      replicas: [{ name: 'replica-1', state: 'healthy', lagBytes: 2048, lagSeconds: null }],
      monitor: { polls: 12, pollErrors: 1, primaryReachable: true },
      writers: [],
    };
    m.collectStats('db', () => dbStats, {
      labels: { pools: 'pool', replicas: 'replica' },
      counters: ['monitor.polls', 'monitor.pollErrors'],
    });
    const s = samples(await m.text());
    expect(s.get('db_closed')).toBe(0);
    expect(s.get('db_pools_pending_acquires{pool="primary"}')).toBe(4);
    expect(s.get('db_pools_max{pool="replica-1"}')).toBe(10);
    expect(s.get('db_replicas_lag_bytes{replica="replica-1"}')).toBe(2048);
    expect(s.has('db_replicas_lag_seconds{replica="replica-1"}')).toBe(false);
    expect(s.get('db_monitor_polls_total')).toBe(12);
    expect(s.get('db_monitor_poll_errors_total')).toBe(1);
    expect(s.get('db_monitor_primary_reachable')).toBe(1);
    expect(reporter.errors).toEqual([]);
  });

  it('converts time units to seconds, also inside records (the unit moves to the end)', async () => {
    const { m } = make();
    m.collectStats('x', () => ({ acquireMs: { p99: 1500 }, waitMs: 20, uptimeMinutes: 2, timeoutUs: 5 }));
    const s = samples(await m.text());
    expect(s.get('x_acquire_p99_seconds')).toBe(1.5);
    expect(s.get('x_wait_seconds')).toBe(0.02);
    expect(s.get('x_uptime_seconds')).toBe(120);
    expect(s.get('x_timeout_seconds')).toBe(5e-6);
  });

  it('never names a gauge with a reserved suffix, nor with a type or a non-base unit word', async () => {
    const { m, reporter } = make();
    m.collectStats(
      'memory_guard',
      () => ({
        episodes: 2,
        lastSample: { heapUsed: 10, heapTotal: 20, eventLoopDelayMs: 3 },
        retryCount: 4,
        latencySum: 5,
        bucket: 6,
        created: 7,
        info: 8,
        heapMb: 9,
        counterResets: 10,
        sentTotal: 11,
      }),
      { counters: ['episodes', 'sentTotal'] },
    );
    expect(Object.fromEntries(samples(await m.text()))).toEqual({
      memory_guard_episodes_total: 2,
      memory_guard_last_sample_heap_used: 10,
      memory_guard_last_sample_heap_total_value: 20,
      memory_guard_last_sample_event_loop_delay_seconds: 0.003,
      memory_guard_retry_count_value: 4,
      memory_guard_latency_sum_value: 5,
      memory_guard_bucket_value: 6,
      memory_guard_created_value: 7,
      memory_guard_info_value: 8,
      memory_guard_heap_megabyte: 9,
      memory_guard_counters_resets: 10,
      memory_guard_sent_total: 11,
      'metrics_stats_failures_total{collector="memory_guard"}': 0,
    });
    expect(reporter.errors).toEqual([]);
  });

  it('reports two fields that become one name instead of merging them, and snake_cases label names', async () => {
    const { m, reporter } = make();
    m.collectStats(
      'c',
      () => ({
        heapTotal: 1,
        heapTotalValue: 2,
        fooBar: 3,
        foo: { bar: 4 },
        pools: { a: 5 },
        byNode: { n: 6 },
      }),
      { labels: { pools: 'poolName', byNode: 'quantile' } },
    );
    let s = samples(await m.text());
    expect(s.get('c_heap_total_value')).toBe(1);
    expect(s.get('c_foo_bar')).toBe(3);
    expect(s.get('c_pools{pool_name="a"}')).toBe(5);
    expect([...s.keys()].filter((k) => k.startsWith('c_by_node'))).toEqual([]);
    const messages = reporter.errors.map((e) => (e.error as Error).message);
    expect(messages).toEqual([
      'stats fields heapTotal and heapTotalValue of c both become c_heap_total_value; heapTotalValue is left out',
      'stats fields fooBar and foo.bar of c both become c_foo_bar; foo.bar is left out',
      'label name "quantile" for stats field byNode is invalid',
    ]);
    s = samples(await m.text());
    expect(s.get('c_heap_total_value')).toBe(1);
    expect(reporter.errors).toHaveLength(3);
  });

  it('reports a throwing source and leaves its series out, without failing the scrape', async () => {
    const { m, reporter } = make();
    let fail = false;
    m.collectStats('q', () => {
      if (fail) throw new Error('stats broke');
      return { depth: 1 };
    });
    m.gauge({ name: 'other', help: 'o' }).set(5);
    fail = true;
    const s = samples(await m.text());
    expect(s.has('q_depth')).toBe(false);
    expect(s.get('other')).toBe(5);
    expect(s.get('metrics_stats_failures_total{collector="q"}')).toBe(1);
    expect(reporter.errors[0]?.error).toMatchObject({
      code: 'ORG_METRICS_STATS_FAILED',
      cause: { message: 'stats broke' },
    });
  });

  it('reports invalid fields (negative counters, strings, arrays, non-records) and keeps the rest', async () => {
    const { m, reporter } = make();
    m.collectStats('v', () => ({ ok: 1, neg: -1, text: 'x', fn: () => 1, nan: Number.NaN }), {
      counters: ['neg'],
    });
    m.collectStats('w', () => 42 as never);
    let s = samples(await m.text());
    expect(s.get('v_ok')).toBe(1);
    expect(s.has('v_neg_total')).toBe(false);
    expect(s.has('v_text')).toBe(false);
    const codes = reporter.errors.map((e) => (e.error as { code: string }).code);
    expect(codes).toHaveLength(4);
    expect(new Set(codes)).toEqual(new Set(['ORG_METRICS_STATS_FAILED']));
    // Reported once, counted every time.
    s = samples(await m.text());
    expect(reporter.errors).toHaveLength(4);
    expect(s.get('metrics_stats_failures_total{collector="v"}')).toBeGreaterThanOrEqual(6);
  });

  it('caps the series one source can add (maxSeries)', async () => {
    const { m, reporter } = make();
    const users: Record<string, number> = {};
    for (let i = 0; i < 100; i++) users[`u${i}`] = i;
    m.collectStats('big', () => ({ perUser: users }), { labels: { perUser: 'user' }, maxSeries: 10 });
    const s = samples(await m.text());
    expect([...s.keys()].filter((k) => k.startsWith('big_per_user'))).toHaveLength(10);
    expect(
      reporter.errors.some((e) => String((e.error as Error).message).includes('more than 10 series')),
    ).toBe(true);
  });

  it('replaces the source for the same prefix (hot reload) and remove() unregisters it', async () => {
    const { m } = make();
    const first = m.collectStats('hot', () => ({ v: 1 }));
    const second = m.collectStats('hot', () => ({ v: 2 }));
    expect(second).toBe(first);
    expect(samples(await m.text()).get('hot_v')).toBe(2);
    second.remove();
    second.remove();
    expect(samples(await m.text()).has('hot_v')).toBe(false);
    expect(m.stats().collectors).toBe(0);
  });

  it('rejects bad arguments with typed errors and name clashes are reported, not thrown', async () => {
    const { m, reporter } = make();
    expect(() => m.collectStats('bad-prefix', () => ({}))).toThrow(
      expect.objectContaining({ code: 'ORG_METRICS_INVALID_OPTION' }),
    );
    expect(() => m.collectStats('p', 'nope' as never)).toThrow(
      expect.objectContaining({ code: 'ORG_METRICS_INVALID_OPTION' }),
    );
    m.gauge({ name: 'clash_v', help: 'c' }).set(9);
    m.collectStats('clash', () => ({ v: 1 }));
    expect(samples(await m.text()).get('clash_v')).toBe(9);
    expect(reporter.errors).toHaveLength(1);
  });
});

describe('collectStats() of a stats() whose fields carry their units (the memory guard)', () => {
  it('names every series in base units and the epoch-ms time in seconds, with readable help', async () => {
    const { m, reporter } = make();
    m.collectStats(
      'memory_guard',
      () => ({
        underPressure: false,
        reason: null,
        rejected: 3,
        lastSample: {
          rssBytes: 120e6,
          heapUsedBytes: 30e6,
          eventLoopDelayMs: 12,
          timestampMs: 1_700_000_000_000,
        },
        limits: { oldGenerationBytes: 384 * 2 ** 20 },
        thresholds: { maxHeapUsedBytes: 322122547, maxEventLoopDelayMs: 1000 },
      }),
      { counters: ['rejected'] },
    );
    const text = await m.text();
    const s = samples(text);
    expect(s.get('memory_guard_last_sample_rss_bytes')).toBe(120e6);
    expect(s.get('memory_guard_last_sample_event_loop_delay_seconds')).toBe(0.012);
    expect(s.get('memory_guard_last_sample_timestamp_seconds')).toBe(1_700_000_000);
    expect(s.get('memory_guard_limits_old_generation_bytes')).toBe(384 * 2 ** 20);
    expect(s.get('memory_guard_thresholds_max_event_loop_delay_seconds')).toBe(1);
    expect(s.get('memory_guard_rejected_total')).toBe(3);
    expect(text).toContain(
      '# HELP memory_guard_last_sample_heap_used_bytes Last sample heap used, in bytes (memory_guard stats()).',
    );
    expect(text).toContain(
      '# HELP memory_guard_last_sample_timestamp_seconds Last sample timestamp, in seconds (memory_guard stats()).',
    );
    expect(text).not.toMatch(/stats\(\): /);
    expect(reporter.errors).toEqual([]);
  });
});
