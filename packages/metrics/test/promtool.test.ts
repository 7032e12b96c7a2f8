import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createMetrics, OPENMETRICS_CONTENT_TYPE } from '../src/index.js';
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
    expect((await m.text(OPENMETRICS_CONTENT_TYPE)).endsWith('# EOF\n')).toBe(true);
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
