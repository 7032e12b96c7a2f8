/**
 * Metrics: an instance with default metrics (their event-loop delay histogram and gc observer are
 * the long-lived monitors prom-client never stops), labelled counter/gauge/histogram, a stats
 * collector, a scrape in both formats, destroy — many times. Nothing may outlive destroy().
 */

import { defineScenario } from '@org/shared-leakcheck';
import {
  createMetrics,
  GuardedCounter,
  GuardedGauge,
  GuardedHistogram,
  Metrics,
  OPENMETRICS_CONTENT_TYPE,
} from '@org/shared-metrics';

export default defineScenario({
  name: 'metrics/create-destroy',
  description:
    'createMetrics (default metrics) → counter/gauge/histogram with labels → collectStats → text() ×2 → destroy',
  iterations: 40,
  classes: [Metrics, GuardedCounter, GuardedGauge, GuardedHistogram],
  async iteration(_state, i) {
    const metrics = createMetrics({
      prefix: 'leak_',
      defaultLabels: { service: 'leak-check' },
      labelTtlMs: i % 2 === 0 ? 60_000 : 0, // half of them run the owned TTL sweep
      cleanupIntervalMs: 1000,
      onError: () => {},
    });
    const requests = metrics.counter({
      name: 'http_requests',
      help: 'Requests.',
      labelNames: ['route', 'code'],
      maxLabelSets: 20,
    });
    const inFlight = metrics.gauge({ name: 'in_flight', help: 'In flight.', labelNames: ['route'] });
    const latency = metrics.histogram({
      name: 'latency_seconds',
      help: 'Latency.',
      labelNames: ['route'],
      buckets: [0.01, 0.1, 1],
    });
    // More label sets than the cap: the overflow series takes the rest.
    for (let n = 0; n < 40; n++) {
      const route = `/r${n}`;
      requests.inc({ route, code: 200 });
      inFlight.labels(route).inc();
      latency.observe({ route }, n / 100);
    }
    const end = latency.startTimer({ route: '/timer' });
    end();
    let polls = 0;
    metrics.collectStats(
      'queue',
      () => ({ size: ++polls, dropped: { overflow: polls, age: 0 }, pool: { used: 1, max: 10 } }),
      { labels: { dropped: 'reason' }, counters: ['dropped'] },
    );
    metrics.collectStats('broken', () => {
      throw new Error('a throwing source is reported and counted, not thrown');
    });
    const text = await metrics.text();
    const open = await metrics.text(OPENMETRICS_CONTENT_TYPE);
    if (!text.includes('leak_queue_dropped_total{') || !open.includes('# EOF'))
      throw new Error('scrape is missing series');
    metrics.sweep();
    await metrics.destroy();
    await metrics.destroy(); // idempotent
    return [metrics, requests, inFlight, latency];
  },
});
