import { ShutdownCoordinator } from '@org/shared-lifecycle';
import {
  activeResources,
  collectGarbage,
  isCollected,
  resourcesAddedSince,
} from '@org/shared-lifecycle/testing';
import client from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics, type Metrics } from '../src/index.js';
import { collectingReporter, samples } from './helpers.js';

/** Builds an instance with every moving part: defaults, a TTL sweep, collectors, a scrape. */
async function busyInstance(): Promise<Metrics> {
  const m = createMetrics({ prefix: 'app_', labelTtlMs: 1_000, cleanupIntervalMs: 100, onError: () => {} });
  const c = m.counter({ name: 'req', help: 'r', labelNames: ['route'] });
  for (let i = 0; i < 100; i++) c.inc({ route: `/r${i}` });
  m.histogram({ name: 'lat_seconds', help: 'l', labelNames: ['route'] }).observe({ route: '/' }, 0.1);
  m.collectStats('logger', () => ({ buffered: 1, dropped: { overflow: 1 } }), {
    labels: { dropped: 'reason' },
  });
  await m.text();
  return m;
}

describe('own registry', () => {
  it('never touches the global registry; two instances and re-creation never throw', async () => {
    const globalBefore = client.register.getMetricsAsArray().length;
    const a = createMetrics();
    const b = createMetrics();
    a.counter({ name: 'same', help: 's' }).inc();
    b.counter({ name: 'same', help: 's' }).inc(2);
    await a.destroy();
    const again = createMetrics();
    again.counter({ name: 'same', help: 's' }).inc(3);
    expect(samples(await b.text()).get('same_total')).toBe(2);
    expect(samples(await again.text()).get('same_total')).toBe(3);
    expect(client.register.getMetricsAsArray().length).toBe(globalBefore);
    expect(a.registry).not.toBe(client.register);
    await Promise.all([b.destroy(), again.destroy()]);
  });

  it('returns the same metric for the same name; a different type or labels is a typed conflict', async () => {
    await using m = createMetrics({ defaultMetrics: false });
    const c1 = m.counter({ name: 'jobs', help: 'j', labelNames: ['k'] });
    expect(m.counter({ name: 'jobs_total', help: 'j', labelNames: ['k'] })).toBe(c1);
    expect(m.histogram({ name: 'h', help: 'h' })).toBe(m.histogram({ name: 'h', help: 'h' }));
    expect(() => m.gauge({ name: 'jobs_total', help: 'j', labelNames: ['k'] })).toThrow(
      expect.objectContaining({ code: 'ORG_METRICS_NAME_CONFLICT' }),
    );
    expect(() => m.counter({ name: 'jobs', help: 'j', labelNames: ['other'] })).toThrow(
      expect.objectContaining({ code: 'ORG_METRICS_NAME_CONFLICT' }),
    );
    expect(() => m.histogram({ name: 'h', help: 'h', buckets: [1] })).toThrow(
      expect.objectContaining({ code: 'ORG_METRICS_NAME_CONFLICT' }),
    );
    expect(() => m.gauge({ name: 'metrics_label_sets', help: 'x' })).toThrow(
      expect.objectContaining({ code: 'ORG_METRICS_NAME_CONFLICT' }),
    );
  });

  it('applies the prefix and default labels to every series', async () => {
    await using m = createMetrics({ prefix: 'svc_', defaultLabels: { service: 'api' } });
    m.gauge({ name: 'up', help: 'u' }).set(1);
    const s = samples(await m.text());
    expect(s.get('svc_up{service="api"}')).toBe(1);
    expect([...s.keys()].every((k) => k.startsWith('svc_') && k.includes('service="api"'))).toBe(true);
  });
});

describe('destroy()', () => {
  it('is idempotent, flips _isDestroyed, and later samples are ignored', async () => {
    const m = createMetrics();
    const c = m.counter({ name: 'c', help: 'c', labelNames: ['k'] });
    c.inc({ k: 'a' });
    const first = m.destroy();
    expect(m.destroy()).toBe(first);
    expect(m._isDestroyed).toBe(true);
    expect(m.isDestroyed).toBe(true);
    await first;
    await m[Symbol.asyncDispose]();
    expect(() => c.inc({ k: 'b' })).not.toThrow();
    expect(c.labelSets).toBe(0);
    expect(m.registry.getMetricsAsArray()).toEqual([]);
    expect(() => m.counter({ name: 'd', help: 'd' })).toThrow(
      expect.objectContaining({ code: 'ORG_LIFECYCLE_CLOSED' }),
    );
    await expect(m.text()).rejects.toMatchObject({ code: 'ORG_LIFECYCLE_CLOSED' });
    await expect(m.resetMetrics()).resolves.toBeUndefined();
  });

  it('leaves no active resource and lets the instance and its registry be collected', async () => {
    await collectGarbage();
    const before = activeResources();
    let m: Metrics | null = await busyInstance();
    const refs = [new WeakRef(m), new WeakRef(m.registry)];
    await m.destroy();
    m = null;
    // Let the scrape's fs reads finish closing their descriptors (transient CloseReq).
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(resourcesAddedSince(before)).toEqual({});
    expect(await isCollected(refs)).toBe(true);
  });

  it('the check catches a leak: prom-client’s collectDefaultMetrics keeps its registry alive', async () => {
    const ref = (() => {
      const registry = new client.Registry();
      client.collectDefaultMetrics({ register: registry });
      return new WeakRef(registry);
    })();
    expect(await isCollected(ref, 4)).toBe(false);
  });

  it('the check catches a leak: an instance dropped without destroy() is not collected', async () => {
    const ref = await (async () => new WeakRef(await busyInstance()))();
    expect(await isCollected(ref, 4)).toBe(false);
    await ref.deref()?.destroy();
  });

  it('works with the shutdown coordinator (close()) and with await using', async () => {
    const m = createMetrics();
    const coordinator = new ShutdownCoordinator({ signals: [], exit: () => {} });
    coordinator.register('metrics', m);
    const result = await coordinator.shutdown('test');
    expect(result.steps).toEqual([expect.objectContaining({ name: 'metrics', ok: true })]);
    expect(m.isDestroyed).toBe(true);
    {
      await using scoped = createMetrics();
      scoped.gauge({ name: 'g', help: 'g' }).set(1);
    }
  });
});

describe('resetMetrics()', () => {
  it('zeroes values and keeps the version series', async () => {
    await using m = createMetrics();
    const c = m.counter({ name: 'c', help: 'c', labelNames: ['k'] });
    c.inc({ k: 'a' }, 5);
    await m.resetMetrics();
    const s = samples(await m.text());
    expect(s.has('c_total{k="a"}')).toBe(false);
    expect([...s.keys()].some((k) => k.startsWith('nodejs_version_info'))).toBe(true);
    expect(c.labelSets).toBe(0);
  });

  it('reports errors instead of rejecting', async () => {
    const reporter = collectingReporter();
    await using m = createMetrics({ onError: reporter, defaultMetrics: false });
    const g = m.gauge({ name: 'g', help: 'g' });
    g.metric.reset = () => {
      throw new Error('boom');
    };
    await expect(m.resetMetrics()).resolves.toBeUndefined();
    expect(reporter.errors).toHaveLength(1);
    expect(reporter.errors[0]?.error).toMatchObject({ code: 'ORG_METRICS_RESET_FAILED' });
  });
});
