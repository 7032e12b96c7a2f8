import client from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMetrics, type Metrics, MetricsError } from '../src/index.js';
import { samples } from './helpers.js';

let open: Metrics[] = [];
function make(options: Parameters<typeof createMetrics>[0] = {}): Metrics {
  const m = createMetrics({ defaultMetrics: false, ...options });
  open.push(m);
  return m;
}
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(open.map((m) => m.destroy()));
  open = [];
});

describe('cardinality cap', () => {
  it('folds label sets beyond maxLabelSets into overflow="true" and keeps the total right', async () => {
    const m = make({ maxLabelSets: 3 });
    const c = m.counter({ name: 'hits', help: 'h', labelNames: ['user'] });
    for (let i = 0; i < 10; i++) c.inc({ user: `u${i}` }, 2);
    c.inc({ user: 'u0' });
    const s = samples(await m.text());
    expect(s.get('hits_total{user="u0"}')).toBe(3);
    expect(s.get('hits_total{user="u2"}')).toBe(2);
    expect(s.has('hits_total{user="u3"}')).toBe(false);
    expect(s.get('hits_total{overflow="true"}')).toBe(14);
    const total = [...s].filter(([k]) => k.startsWith('hits_total')).reduce((a, [, v]) => a + v, 0);
    expect(total).toBe(21);
    expect(c.labelSets).toBe(3);
    expect(s.get('metrics_overflow_samples_total{metric="hits_total"}')).toBe(7);
    expect(s.get('metrics_label_sets{metric="hits_total"}')).toBe(3);
    expect(s.get('metrics_label_sets_limit{metric="hits_total"}')).toBe(3);
  });

  it('defaults to 2000 label sets per metric, overridable per metric', () => {
    const m = make();
    const a = m.gauge({ name: 'a', help: 'a', labelNames: ['k'] });
    const b = m.gauge({ name: 'b', help: 'b', labelNames: ['k'], maxLabelSets: 5 });
    for (let i = 0; i < 2100; i++) {
      a.set({ k: i }, i);
      b.inc({ k: i });
    }
    expect(a.maxLabelSets).toBe(2000);
    expect(a.labelSets).toBe(2000);
    expect(b.labelSets).toBe(5);
    expect(b.guardStats().overflowSamples).toBe(2095);
  });

  it('guards histograms and labels() children, and overflow series sum up', async () => {
    const m = make({ maxLabelSets: 2 });
    const h = m.histogram({ name: 'lat_seconds', help: 'l', labelNames: ['route'], buckets: [0.1, 1] });
    h.observe({ route: '/a' }, 0.05);
    h.labels('/b').observe(0.5);
    h.labels({ route: '/c' }).observe(2);
    const end = h.labels('/d').startTimer();
    end();
    const s = samples(await m.text());
    expect(s.get('lat_seconds_count{route="/a"}')).toBe(1);
    expect(s.get('lat_seconds_count{overflow="true"}')).toBe(2);
    expect(s.get('lat_seconds_bucket{le="+Inf",overflow="true"}')).toBe(2);
    expect(s.get('lat_seconds_sum{overflow="true"}')).toBeGreaterThanOrEqual(2);
  });

  it('remove() and reset() give room back', () => {
    const m = make({ maxLabelSets: 2 });
    const c = m.counter({ name: 'c', help: 'c', labelNames: ['k'] });
    c.inc({ k: 'a' });
    c.inc({ k: 'b' });
    c.remove('a');
    expect(c.labelSets).toBe(1);
    c.inc({ k: 'z' });
    expect(c.guardStats().overflowSamples).toBe(0);
    c.reset();
    expect(c.labelSets).toBe(0);
    m.registry.resetMetrics();
    c.inc({ k: 'q' });
    expect(c.labelSets).toBe(1);
  });

  it('rejects bad labels and values with typed errors, creating no series', () => {
    const m = make();
    const c = m.counter({ name: 'c', help: 'c', labelNames: ['k'] });
    const code = (fn: () => void) => {
      try {
        fn();
      } catch (error) {
        expect(error).toBeInstanceOf(MetricsError);
        return (error as MetricsError).code;
      }
      return 'no error';
    };
    expect(code(() => c.inc({ nope: 'x' } as never))).toBe('ORG_METRICS_INVALID_LABEL');
    expect(code(() => c.inc({ overflow: 'true' } as never))).toBe('ORG_METRICS_INVALID_LABEL');
    expect(code(() => c.inc({ k: { a: 1 } } as never))).toBe('ORG_METRICS_INVALID_LABEL');
    expect(code(() => c.inc({ k: 'a' }, -1))).toBe('ORG_METRICS_INVALID_VALUE');
    expect(code(() => c.inc({ k: 'a' }, Number.NaN))).toBe('ORG_METRICS_INVALID_VALUE');
    expect(code(() => c.labels('a', 'b'))).toBe('ORG_METRICS_INVALID_LABEL');
    expect(code(() => m.gauge({ name: 'g', help: 'g' }).set(Number.NaN))).toBe('ORG_METRICS_INVALID_VALUE');
    expect(code(() => m.histogram({ name: 'h', help: 'h' }).observe(Number.POSITIVE_INFINITY))).toBe(
      'ORG_METRICS_INVALID_VALUE',
    );
    expect(code(() => m.counter({ name: 'x', help: 'x', labelNames: ['overflow'] }))).toBe(
      'ORG_METRICS_RESERVED_LABEL',
    );
    expect(code(() => m.histogram({ name: 'y', help: 'y', labelNames: ['le'] }))).toBe(
      'ORG_METRICS_RESERVED_LABEL',
    );
    expect(code(() => m.counter({ name: 'bad-name', help: 'x' }))).toBe('ORG_METRICS_INVALID_CONFIG');
    expect(code(() => m.counter({ name: 'nohelp', help: '' }))).toBe('ORG_METRICS_INVALID_CONFIG');
    expect(code(() => m.histogram({ name: 'hb', help: 'x', buckets: [1, 0.5] }))).toBe(
      'ORG_METRICS_INVALID_CONFIG',
    );
    expect(code(() => createMetrics({ maxLabelSets: 0 }))).toBe('ORG_METRICS_INVALID_OPTION');
    expect(code(() => createMetrics({ prefix: 'a-b' }))).toBe('ORG_METRICS_INVALID_OPTION');
    expect(c.labelSets).toBe(0);
  });
});

describe('idle label sets expire', () => {
  it('are swept by the cleanup interval after labelTtlMs (fake timers)', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const m = make({ labelTtlMs: 10_000, cleanupIntervalMs: 1_000 });
    const c = m.counter({ name: 'c', help: 'c', labelNames: ['k'] });
    const keep = m.counter({ name: 'keep', help: 'k', labelNames: ['k'], labelTtlMs: 0 });
    c.inc({ k: 'idle' });
    c.inc({ k: 'busy' });
    keep.inc({ k: 'forever' });
    for (let t = 0; t < 10; t++) {
      await vi.advanceTimersByTimeAsync(1_000);
      c.inc({ k: 'busy' });
    }
    // 10 s idle: not yet (a set is never expired before its TTL has passed).
    expect(c.labelSets).toBe(2);
    for (let t = 0; t < 3; t++) {
      await vi.advanceTimersByTimeAsync(1_000);
      c.inc({ k: 'busy' });
    }
    expect(c.labelSets).toBe(1);
    const s = samples(await m.text());
    expect(s.has('c_total{k="idle"}')).toBe(false);
    expect(s.get('c_total{k="busy"}')).toBe(14);
    expect(s.get('metrics_expired_label_sets_total{metric="c_total"}')).toBe(1);
    expect(keep.labelSets).toBe(1);
    // Expiry gives room back under the cap.
    expect(m.stats().expiredLabelSets).toBe(1);
  });

  it('are swept with real timers, and the interval is unref’d', async () => {
    const m = make({ labelTtlMs: 20, cleanupIntervalMs: 10 });
    const g = m.gauge({ name: 'g', help: 'g', labelNames: ['k'] });
    g.set({ k: 'a' }, 1);
    const before = m.stats().sweeps;
    await vi.waitFor(() => expect(g.labelSets).toBe(0), { timeout: 2_000, interval: 10 });
    expect(m.stats().sweeps).toBeGreaterThan(before);
    const timers = (process as unknown as { _getActiveHandles(): { hasRef?: () => boolean }[] })
      ._getActiveHandles()
      .filter((h) => typeof h.hasRef === 'function' && h.hasRef() && h.constructor.name === 'Timeout');
    expect(timers).toEqual([]);
  });
});

describe('the guard matches raw prom-client', () => {
  it('renders the same series as prom-client for the same samples (below the cap)', async () => {
    const m = make();
    const raw = new client.Registry();
    const ours = {
      c: m.counter({ name: 'req_total', help: 'r', labelNames: ['a', 'b'] }),
      g: m.gauge({ name: 'temp', help: 't', labelNames: ['a'] }),
      h: m.histogram({ name: 'dur', help: 'd', labelNames: ['a'], buckets: [0.1, 1, 5] }),
    };
    const theirs = {
      c: new client.Counter({ name: 'req_total', help: 'r', labelNames: ['a', 'b'], registers: [raw] }),
      g: new client.Gauge({ name: 'temp', help: 't', labelNames: ['a'], registers: [raw] }),
      h: new client.Histogram({
        name: 'dur',
        help: 'd',
        labelNames: ['a'],
        buckets: [0.1, 1, 5],
        registers: [raw],
      }),
    };
    for (const side of [ours, theirs]) {
      for (let i = 0; i < 50; i++) {
        side.c.inc({ a: `x${i % 7}`, b: i % 2 }, i % 3);
        side.c.labels(`y${i % 3}`, 'z').inc();
        side.g.set({ a: `g${i % 4}` }, i);
        side.g.inc({ a: 'inc' }, 2);
        side.g.dec({ a: 'inc' });
        side.h.observe({ a: `h${i % 5}` }, i / 10);
        side.h.labels('lab').observe(i);
      }
    }
    const ourSeries = samples(await m.text());
    for (const key of [
      'metrics_label_sets',
      'metrics_label_sets_limit',
      'metrics_overflow',
      'metrics_expired',
      'metrics_stats',
    ]) {
      for (const k of [...ourSeries.keys()]) if (k.startsWith(key)) ourSeries.delete(k);
    }
    expect(ourSeries).toEqual(samples(await raw.metrics()));
  });
});
