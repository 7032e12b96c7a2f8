import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createMetrics, OPENMETRICS_CONTENT_TYPE, PROM_CLIENT_TOTAL_GAUGES } from '../src/index.js';
import { collectingReporter } from './helpers.js';
import { promtool } from './prometheus-tools.js';

const alerts = fileURLToPath(new URL('../alerts/', import.meta.url));

describe('promtool', () => {
  it('check metrics: the full output with default metrics and sample collectors has zero findings', async () => {
    await using m = createMetrics({ defaultLabels: { service: 'orders' }, labelTtlMs: 60_000 });
    m.counter({ name: 'http_requests', help: 'HTTP requests.', labelNames: ['route', 'code'] }).inc({
      route: '/',
      code: 200,
    });
    const h = m.histogram({
      name: 'http_request_duration_seconds',
      help: 'Latency.',
      labelNames: ['route'],
      maxLabelSets: 1,
    });
    h.observe({ route: '/' }, 0.1);
    h.observe({ route: '/overflowing' }, 0.2);
    m.gauge({ name: 'queue_depth', help: 'Depth.' }).set(3);
    m.collectStats(
      'logger',
      () => ({
        level: 'info',
        logged: 100,
        elasticsearch: {
          buffered: 812,
          bufferedBytes: 1 << 20,
          sent: 90,
          dropped: { overflow: 3, expired: 1, oversize: 0, rejected: 2, closed: 0 },
          retries: 4,
          reachable: true,
          lastFlushMs: 120,
          oldestAgeMs: 5000,
          lastError: null,
        },
      }),
      {
        counters: ['logged', 'elasticsearch.sent', 'elasticsearch.dropped', 'elasticsearch.retries'],
        labels: { 'elasticsearch.dropped': 'reason' },
      },
    );
    m.collectStats(
      'db',
      () => ({
        pools: { primary: { used: 3, free: 7, pendingAcquires: 0, pendingCreates: 0, max: 10 } },
        replicas: [{ name: 'replica-1', state: 'healthy', lagBytes: 0, lagSeconds: 0.2 }],
        monitor: { polls: 5, pollErrors: 0, primaryReachable: true },
      }),
      { labels: { pools: 'pool', replicas: 'replica' }, counters: ['monitor.polls', 'monitor.pollErrors'] },
    );
    (globalThis as { gc?: () => void }).gc?.();
    await new Promise((resolve) => setTimeout(resolve, 30));
    const text = await m.text();
    expect(text).toContain('nodejs_gc_duration_seconds_bucket');
    expect(text).toContain('overflow="true"');
    const result = await promtool(['check', 'metrics'], text);
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
    // prom-client's three *_total gauges keep their names, typed untyped (see the README).
    for (const name of PROM_CLIENT_TOTAL_GAUGES) expect(text).toContain(`# TYPE ${name} untyped`);
    expect((await m.text(OPENMETRICS_CONTENT_TYPE)).endsWith('# EOF\n')).toBe(true);
  });

  it('check metrics: stats snapshots with any field names (reserved suffixes, units, type words) have zero findings', async () => {
    const reporter = collectingReporter();
    await using m = createMetrics({ defaultMetrics: false, onError: reporter });
    // A stats() with unit-less names (lastSample.heapTotal would be a gauge named …_heap_total).
    m.collectStats(
      'memory_guard',
      () => ({
        underPressure: false,
        reason: null,
        episodes: 1,
        rejected: 2,
        samples: 30,
        lastSample: {
          rss: 1,
          heapUsed: 2,
          heapTotal: 3,
          heapLimit: 4,
          external: 5,
          arrayBuffers: 6,
          eventLoopDelayMs: 7,
          at: 8,
        },
        thresholds: { maxHeapUsedBytes: 1, maxRssBytes: 2, maxEventLoopDelayMs: 3 },
        closed: false,
      }),
      { counters: ['episodes', 'rejected', 'samples'] },
    );
    // Every word promtool 2.42 flags, at the end of a name and inside one, as gauges and as counters.
    const words = [
      ...['total', 'count', 'sum', 'bucket', 'created', 'info', 'counter', 'gauge', 'histogram', 'summary'],
      ...['s', 'ms', 'us', 'ns', 'sec', 'b', 'kb', 'mb', 'gb', 'tb', 'pb', 'm', 'h', 'd'],
      ...['milliseconds', 'microseconds', 'nanoseconds', 'minutes', 'hours', 'days', 'weeks'],
      ...['bits', 'kilobits', 'megabits', 'gigabits', 'kilobytes', 'megabytes', 'gigabytes', 'terabytes'],
      ...['petabytes', 'kibibytes', 'gibibytes', 'tebibytes', 'pebibytes', 'inches', 'yards', 'miles'],
      ...['kilometers', 'centimeters', 'millimeters', 'kelvins', 'fahrenheit', 'rankine', 'pounds'],
      ...['ounces', 'kilograms', 'milligrams'],
    ];
    const fields = (tag: string) =>
      Object.fromEntries(
        words.flatMap((w, i) => [
          [`${tag}${i}_${w}`, i],
          [`${w}_${tag}${i}_x`, i],
        ]),
      );
    m.collectStats(
      'odd',
      () => ({
        gauges: fields('g'),
        counters: fields('c'),
        byPool: { a: { waitMs: 1, heapTotal: 2 } },
        requestCount: 5,
      }),
      { counters: ['counters'], labels: { byPool: 'poolName' } },
    );
    const text = await m.text();
    expect(text).toContain('memory_guard_last_sample_heap_total_value 3');
    expect(text).toContain('odd_by_pool_heap_total_value{pool_name="a"} 2');
    expect(text).toContain('odd_gauges_g0_total_value 0');
    expect(text).toContain('odd_gauges_g11_seconds 0.011'); // g11_ms: 11 ms
    expect(reporter.errors).toEqual([]);
    const result = await promtool(['check', 'metrics'], text);
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  });

  it('check metrics fails on prom-client’s own default metrics (the check can fail)', async () => {
    const client = (await import('prom-client')).default;
    const registry = new client.Registry();
    const text = await registry.metrics();
    const bad = `${text}# HELP nodejs_active_handles_total x\n# TYPE nodejs_active_handles_total gauge\nnodejs_active_handles_total 1\n`;
    const result = await promtool(['check', 'metrics'], bad);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('non-counter metrics should not have "_total" suffix');
  });

  it('check rules and test rules pass for alerts/*.yml', async () => {
    const check = await promtool(['check', 'rules', 'memory-report.yml'], undefined, alerts);
    expect(check.output).toContain('SUCCESS: 8 rules found');
    expect(check.code).toBe(0);
    const test = await promtool(['test', 'rules', 'memory-report.test.yml'], undefined, alerts);
    expect(test.output).toContain('SUCCESS');
    expect(test.code).toBe(0);
  });
});
