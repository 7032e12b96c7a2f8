import client from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics, DEFAULT_METRIC_NAMES, PROM_CLIENT_TOTAL_GAUGES } from '../src/index.js';

interface Family {
  name: string;
  type: string;
  values: { labels: Record<string, string | number> }[];
}

/** name → { type, label names } of a registry's families. */
async function shape(registry: client.Registry): Promise<Map<string, { type: string; labels: string[] }>> {
  const families = (await registry.getMetricsAsJSON()) as unknown as Family[];
  return new Map(
    families.map((f) => [
      f.name,
      { type: f.type, labels: [...new Set(f.values.flatMap((v) => Object.keys(v.labels)))].sort() },
    ]),
  );
}

describe('default metrics', () => {
  it("have every name prom-client's collectDefaultMetrics() registers, with its type and labels", async () => {
    // What prom-client itself registers, read now (not a list copied from its docs).
    const registry = new client.Registry();
    client.collectDefaultMetrics({ register: registry });
    // Let the gc observer and the event-loop histogram see something, in both.
    await using m = createMetrics();
    (globalThis as { gc?: () => void }).gc?.();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const theirs = await shape(registry);
    const ours = await shape(m.registry);
    expect(theirs.size).toBeGreaterThanOrEqual(25);
    const differences: string[] = [];
    for (const [name, their] of theirs) {
      const our = ours.get(name);
      if (our === undefined) differences.push(`${name}: missing`);
      else if (our.type !== (PROM_CLIENT_TOTAL_GAUGES.includes(name as never) ? 'untyped' : their.type)) {
        differences.push(`${name}: ${our.type}, prom-client ${their.type}`);
      }
      // Label names where both have series (gc kinds appear only after a collection of that kind).
      else if (
        their.labels.length > 0 &&
        our.labels.length > 0 &&
        our.labels.join() !== their.labels.join()
      ) {
        differences.push(`${name}: labels [${our.labels}], prom-client [${their.labels}]`);
      }
    }
    expect(differences).toEqual([]);
    expect(
      [...theirs.keys()].filter((name) => !(DEFAULT_METRIC_NAMES as readonly string[]).includes(name)),
    ).toEqual([]);
    // The additions are ours alone, and named as prom-client would.
    expect(
      [...ours.keys()]
        .filter((name) => name.startsWith('nodejs_') || name.startsWith('process_'))
        .filter((name) => !theirs.has(name))
        .sort(),
    ).toEqual(['nodejs_array_buffers_bytes', 'nodejs_heap_size_limit_bytes']);
    registry.clear();
  });

  it('report plausible values: the event loop lag of one turn, the histogram figures, the process memory from /proc', async () => {
    await using m = createMetrics();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const text = await m.text();
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('nodejs_eventloop_lag_seconds')).toBeGreaterThan(0);
    expect(value('nodejs_eventloop_lag_seconds')).toBeLessThan(1);
    expect(value('nodejs_eventloop_lag_p99_seconds')).toBeGreaterThanOrEqual(
      value('nodejs_eventloop_lag_p50_seconds'),
    );
    expect(value('nodejs_eventloop_lag_max_seconds')).toBeGreaterThanOrEqual(
      value('nodejs_eventloop_lag_min_seconds'),
    );
    expect(value('nodejs_active_resources_total')).toBeGreaterThan(0);
    if (process.platform === 'linux') {
      const rss = value('process_resident_memory_bytes');
      expect(rss).toBeGreaterThan(10 * 1024 * 1024);
      expect(Math.abs(rss - process.memoryUsage.rss()) / rss).toBeLessThan(0.2);
      expect(value('process_virtual_memory_bytes')).toBeGreaterThan(rss);
      expect(value('process_heap_bytes')).toBeGreaterThan(0);
    }
  });
});
