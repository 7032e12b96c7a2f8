// The downsampled series: bounded however long the run, and merging is exact for min, max and mean.
import { describe, expect, it } from 'vitest';
import { maxOf, pointsOf, SeriesStore } from '../src/series.ts';

describe('SeriesStore', () => {
  it('keeps every sample while there are few, with min, max and mean per bucket', () => {
    const store = new SeriesStore();
    store.add('a', 0.2, { x: 1 });
    store.add('a', 0.7, { x: 3, y: 5 });
    store.add('a', 1.1, { x: 2, y: Number.NaN, z: undefined });
    const s = store.toJSON();
    expect(s.widthS).toBe(1);
    expect(s.services.a?.t).toEqual([0.45, 1.1]);
    expect(s.services.a?.n).toEqual([2, 1]);
    expect(s.services.a?.columns.x).toEqual({ min: [1, 2], max: [3, 2], mean: [2, 2] });
    expect(s.services.a?.columns.y).toEqual({ min: [5, null], max: [5, null], mean: [5, null] });
    expect([...store.columns].sort()).toEqual(['x', 'y']);
  });

  it('stays bounded over a 24-hour run at 1 Hz, merging exactly', () => {
    const store = new SeriesStore({ maxBuckets: 1000 });
    let sum = 0;
    for (let t = 0; t < 86_400; t++) {
      const v = Math.sin(t / 100) * 10 + t / 1000;
      sum += v;
      store.add('svc', t, { v, peak: t === 50_000 ? 999 : 0 });
    }
    const s = store.toJSON();
    expect(s.widthS).toBe(64);
    const buckets = s.services.svc!;
    expect(buckets.t.length).toBeLessThanOrEqual(2000);
    expect(buckets.t.length).toBeGreaterThan(1000);
    expect(buckets.n.reduce((a, b) => a + b, 0)).toBe(86_400);
    // A one-second spike survives in the max of its bucket; the mean of the means (weighted) is the mean.
    expect(maxOf(buckets, 'peak')).toBe(999);
    const weighted = buckets.columns.v!.mean.reduce((a: number, m, i) => a + (m ?? 0) * buckets.n[i]!, 0);
    expect(weighted / 86_400).toBeCloseTo(sum / 86_400, 2);
    expect(JSON.stringify(s).length).toBeLessThan(200_000);
    expect(pointsOf(buckets, 'v', 'min')).toHaveLength(buckets.t.length);
  });
});
