import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { createMetrics } from '../src/index.js';
import { listen } from './helpers.js';
import { startPrometheus } from './prometheus-tools.js';

const rules = fileURLToPath(new URL('../alerts/memory-report.yml', import.meta.url));

describe('a real Prometheus server', () => {
  it('scrapes the handler (bearer token, OpenMetrics) and answers queries for the expected series', async () => {
    await using m = createMetrics({ defaultLabels: { service: 'orders' } });
    const requests = m.counter({
      name: 'http_requests',
      help: 'HTTP requests.',
      labelNames: ['route'],
      maxLabelSets: 2,
    });
    for (const route of ['/a', '/b', '/c', '/d']) requests.inc({ route });
    let buffered = 900;
    m.collectStats(
      'logger',
      () => ({ elasticsearch: { buffered, reachable: false, dropped: { overflow: 7 } } }),
      { labels: { 'elasticsearch.dropped': 'reason' }, counters: ['elasticsearch.dropped'] },
    );
    const handler = m.handler({ bearerToken: 'scrape-token' });
    const seen: string[] = [];
    await using target = await listen((req, res) => {
      seen.push(`${req.headers.accept ?? ''}|${req.headers.authorization ?? ''}`);
      handler(req, res);
    });
    await using prom = await startPrometheus({
      target: target.url.replace('http://', ''),
      bearerToken: 'scrape-token',
      ruleFiles: [rules],
    });

    await vi.waitFor(
      async () => {
        const up = await prom.query('up{job="test"}');
        expect(up[0]?.value[1]).toBe('1');
      },
      { timeout: 30_000, interval: 500 },
    );
    expect(
      seen.some((s) => s.startsWith('application/openmetrics-text') && s.endsWith('Bearer scrape-token')),
    ).toBe(true);

    const value = async (expr: string) =>
      (await prom.query(expr)).map((r) => [r.metric, Number(r.value[1])] as const);
    expect(await value('http_requests_total{route="/a"}')).toEqual([
      [expect.objectContaining({ route: '/a', service: 'orders', job: 'test' }), 1],
    ]);
    expect(await value('http_requests_total{overflow="true"}')).toEqual([[expect.anything(), 2]]);
    expect(await value('sum(http_requests_total)')).toEqual([[{}, 4]]);
    expect(await value('metrics_overflow_samples_total{metric="http_requests_total"}')).toEqual([
      [expect.anything(), 2],
    ]);
    expect(await value('logger_elasticsearch_buffered')).toEqual([[expect.anything(), 900]]);
    expect(await value('logger_elasticsearch_dropped_total{reason="overflow"}')).toEqual([
      [expect.anything(), 7],
    ]);
    const heap = await value('nodejs_heap_size_used_bytes / nodejs_heap_size_limit_bytes');
    expect(heap).toHaveLength(1);
    expect(heap[0]?.[1]).toBeGreaterThan(0);
    expect(heap[0]?.[1]).toBeLessThan(1);
    expect((await value('nodejs_eventloop_lag_p99_seconds')).length).toBe(1);
    expect((await value('nodejs_eventloop_lag_seconds')).length).toBe(1);
    expect((await value('process_cpu_seconds_total')).length).toBe(1);

    // The scrape reads stats() afresh each time.
    buffered = 950;
    await vi.waitFor(
      async () => expect(await value('logger_elasticsearch_buffered')).toEqual([[expect.anything(), 950]]),
      {
        timeout: 10_000,
        interval: 500,
      },
    );

    // The alert rules load in the server and evaluate against the scraped series.
    const res = (await (await fetch(`${prom.url}/api/v1/rules`)).json()) as {
      data: { groups: { rules: { name: string; health: string; state?: string }[] }[] };
    };
    const loaded = res.data.groups.flatMap((g) => g.rules);
    expect(loaded).toHaveLength(8);
    await vi.waitFor(
      () =>
        fetch(`${prom.url}/api/v1/rules`)
          .then((r) => r.json() as Promise<typeof res>)
          .then((body) => {
            const byName = new Map(body.data.groups.flatMap((g) => g.rules).map((r) => [r.name, r]));
            expect(byName.get('LoggerBufferHigh')?.state).toBe('pending');
            expect(byName.get('ElasticsearchUnreachable')?.state).toBe('pending');
            expect([...byName.values()].every((r) => r.health === 'ok')).toBe(true);
          }),
      { timeout: 15_000, interval: 500 },
    );
  });
});
