// The heap verdict of the endurance run must pass a healthy service whose short-run regression
// looks like growth (young-generation sawtooth, old-generation garbage awaiting the next major GC,
// warm-up) and must fail a real leak near its limit, also with noise and without GC counts.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  bucketMinima,
  type HeapSample,
  heapSlopeVerdict,
  postGcPoints,
  slopeMbPerHour,
  theilSenSlope,
} from '../endurance/stats.ts';

const MB = 1024 * 1024;

interface Shape {
  /** Live-set growth, MB per hour: the leak. */
  leakMbPerHour?: number;
  /** Seconds between major GCs. */
  gcEveryS?: number;
  /** Garbage promoted to the old generation per second (freed only by a major GC). */
  promotedMbPerS?: number;
  /** Extra live memory during the warm-up (caches, pools, JIT), reached by `warmUpS`. */
  warmUpMb?: number;
  warmUpS?: number;
  /** Deterministic noise amplitude on every value, MB. */
  noiseMb?: number;
  /** Leave out the GC counter (a service without the gc metric). */
  noGcCount?: boolean;
  seconds?: number;
}

/** A service sampled once a second, shaped like the real runs (see the endurance report). */
function run(shape: Shape = {}): HeapSample[] {
  const { leakMbPerHour = 0, gcEveryS = 17, promotedMbPerS = 0.5, warmUpMb = 0, warmUpS = 30 } = shape;
  let seed = 7;
  const noise = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return ((seed / 2 ** 31) * 2 - 1) * (shape.noiseMb ?? 0);
  };
  const samples: HeapSample[] = [];
  for (let s = 0; s <= (shape.seconds ?? 120); s++) {
    const live = 28 + (leakMbPerHour * s) / 3600 + warmUpMb * Math.min(1, s / warmUpS);
    const sinceGc = s % gcEveryS;
    const tenured = live + promotedMbPerS * sinceGc + noise();
    const young = 2 + ((s * 7) % 30); // scavenge sawtooth
    samples.push({
      t: s * 1000,
      heapUsed: (tenured + young) * MB,
      tenured: tenured * MB,
      ...(shape.noGcCount ? {} : { gcMajor: Math.floor(s / gcEveryS) }),
    });
  }
  return samples;
}

const options = { warmUpMs: 30_000, limitMbPerHour: 300 };

describe('endurance heap verdict', () => {
  it('passes the real orders-api run that the old 10-s-minima regression failed, and fails it with a leak added', () => {
    // Samples of a 2-minute endurance run (2026-11-22): heap used and the major-GC count, 1 Hz.
    const [, ...lines] = readFileSync(
      new URL('../endurance/fixtures/orders-api-2m-heap.csv', import.meta.url),
      'utf8',
    )
      .trim()
      .split('\n');
    const samples: HeapSample[] = lines.map((line) => {
      const [t, heap, gc] = line.split(',').map(Number);
      return { t: t! * 1000, heapUsed: heap! * MB, gcMajor: gc! };
    });
    const old = slopeMbPerHour(
      bucketMinima(samples.filter((s) => s.t >= 30_000).map((s) => ({ t: s.t, value: s.heapUsed }))),
    );
    expect(old).toBeGreaterThan(300); // 780 MB/h: old-generation garbage awaiting a major GC looked like growth
    const verdict = heapSlopeVerdict(samples, options);
    expect(verdict.method).toBe('post-gc');
    expect(verdict.points.length).toBeGreaterThanOrEqual(4);
    expect(verdict.ok).toBe(true);
    // The same run with a leak of twice the limit retained on top of everything: red. (Its own floor
    // measures −157 MB/h: ±2 MB of young objects at the sample after a GC, over 75 s.)
    const leaky = samples.map((s) => ({ ...s, heapUsed: s.heapUsed! + ((600 * s.t) / 3_600_000) * MB }));
    const red = heapSlopeVerdict(leaky, options);
    expect(red.ok).toBe(false);
    expect(red.slopeMbPerHour).toBeGreaterThan(300);
  });

  it('passes a synthetic healthy service: sawtooth and promoted garbage between major GCs', () => {
    const verdict = heapSlopeVerdict(run({ promotedMbPerS: 0.6, gcEveryS: 19 }), options);
    expect(verdict.method).toBe('post-gc');
    expect(verdict.ok).toBe(true);
    expect(Math.abs(verdict.slopeMbPerHour)).toBeLessThan(1);
  });

  it('fails a leak of twice the limit, with and without noise', () => {
    for (const noiseMb of [0, 1]) {
      const verdict = heapSlopeVerdict(run({ leakMbPerHour: 600, noiseMb }), options);
      expect(verdict.method).toBe('post-gc');
      expect(verdict.ok).toBe(false);
      expect(verdict.slopeMbPerHour).toBeGreaterThan(450);
      expect(verdict.slopeMbPerHour).toBeLessThan(750);
    }
  });

  it('fails a leak just over the limit and passes one just under it (noise-free)', () => {
    expect(heapSlopeVerdict(run({ leakMbPerHour: 330 }), options).ok).toBe(false);
    expect(heapSlopeVerdict(run({ leakMbPerHour: 270 }), options).ok).toBe(true);
  });

  it('leaves the warm-up out, and only the warm-up', () => {
    const samples = run({ warmUpMb: 40, warmUpS: 60 });
    expect(heapSlopeVerdict(samples, { ...options, warmUpMs: 60_000 }).ok).toBe(true);
    expect(heapSlopeVerdict(samples, { ...options, warmUpMs: 0 }).ok).toBe(false);
    // A leak that continues after the warm-up is still seen.
    const leak = run({ warmUpMb: 40, warmUpS: 60, leakMbPerHour: 600, seconds: 180 });
    expect(heapSlopeVerdict(leak, { ...options, warmUpMs: 60_000 }).ok).toBe(false);
  });

  it('is not moved by one stray post-GC point', () => {
    const samples = run();
    const at = samples.findLastIndex((s, i) => i > 0 && s.gcMajor !== samples[i - 1]!.gcMajor);
    samples[at] = { ...samples[at]!, tenured: samples[at]!.tenured! + 30 * MB };
    const verdict = heapSlopeVerdict(samples, options);
    expect(verdict.ok).toBe(true);
    const points = postGcPoints(samples, 30_000);
    expect(slopeMbPerHour(points)).toBeGreaterThan(300); // least squares would have failed it
  });

  it('falls back to the 10-s floor without GC counts: still fails a leak, passes a flat heap', () => {
    const leaky = heapSlopeVerdict(run({ leakMbPerHour: 600, promotedMbPerS: 0, noGcCount: true }), options);
    expect(leaky.method).toBe('floor');
    expect(leaky.ok).toBe(false);
    const flat = heapSlopeVerdict(run({ promotedMbPerS: 0, noGcCount: true }), options);
    expect(flat.method).toBe('floor');
    expect(flat.ok).toBe(true);
  });

  it('computes Theil–Sen slopes', () => {
    expect(
      theilSenSlope([
        { x: 0, y: 0 },
        { x: 1, y: 1 },
        { x: 2, y: 2 },
        { x: 3, y: 3 },
        { x: 4, y: 40 },
      ]),
    ).toBe(1);
    expect(theilSenSlope([{ x: 1, y: 1 }])).toBe(0);
  });
});
