// The memory verdict on synthetic runs shaped like the real ones: a curve that rises and levels off
// passes, one that keeps rising through the last part fails; too little evidence is "not judged",
// never a guess; the warm-up is left out. Recorded runs of this repository are judged in
// scripts/test/endurance-verdict.test.ts.
import { describe, expect, it } from 'vitest';
import { judgeMemory } from '../src/checks.ts';
import {
  defaultHeapSlopeLimit,
  defaultWarmUpS,
  heapVerdict,
  minMajorGcs,
  rssVerdict,
  settledFromS,
} from '../src/memory-verdict.ts';
import { linearRegression } from '../src/stats.ts';
import { synthetic } from './synthetic.ts';

const judge = (seconds: number, shape: Parameters<typeof synthetic>[0]) =>
  judgeMemory(synthetic(shape), { durationS: seconds }).svc!;

describe('memory verdict', () => {
  it('passes a healthy 2-minute run and fails the same run leaking twice its limit, with and without noise', () => {
    expect(judge(120, { seconds: 120 }).heap.status).toBe('pass');
    for (const noiseMb of [0, 1]) {
      const v = judge(120, {
        seconds: 120,
        leakMbPerHour: 2 * defaultHeapSlopeLimit(120),
        noiseMb,
        gcEveryS: 9,
      });
      expect(v.heap.method).toBe('post-gc');
      expect(v.heap.status, v.heap.reason).toBe('fail');
    }
  });

  it('fails a 30-minute run leaking 20 MB/h and passes it without the leak', () => {
    expect(judge(1800, { seconds: 1800, leakMbPerHour: 20, noiseMb: 0.5 }).heap.status).toBe('fail');
    expect(judge(1800, { seconds: 1800, noiseMb: 0.5 }).heap.status).toBe('pass');
  });

  it('passes a heap that rises and levels off (the rise before the last part is reported, not judged)', () => {
    const v = judge(1800, { seconds: 1800, warmUpMb: 30, warmUpS: 900, noiseMb: 0.3 });
    expect(v.heap.status, v.heap.reason).toBe('pass');
    expect(v.heap.earlySlopeMbPerHour!).toBeGreaterThan(40);
    expect(v.heap.reason).toMatch(/rose and levelled off/);
  });

  it('passes the RSS plateau that the whole-window regression failed (30 min: 228 → 239 MB, flat over the last third)', () => {
    // RSS approaching its working size with a 6-minute time constant: +11 MB over the run, flat at the end.
    const series = synthetic({ seconds: 1800, rssRiseMb: 11, rssTauS: 360, noiseMb: 0.3 });
    const rss = series.services.svc!.columns.rss_mb!;
    const warmUp = defaultWarmUpS(1800);
    const whole = linearRegression(
      series.services.svc!.t.flatMap((t, i) => (t >= warmUp ? [{ x: t / 3600, y: rss.min[i]! }] : [])),
    ).slope;
    expect(whole).toBeGreaterThan(defaultHeapSlopeLimit(1800)); // what the old check measured, and failed on
    const v = rssVerdict(series.services.svc, { endS: 1800, warmUpS: warmUp, limitMbPerHour: 20 });
    expect(v.status, v.reason).toBe('pass');
    expect(Math.abs(v.slopeMbPerHour)).toBeLessThan(5);
  });

  it('fails an RSS that keeps rising, from 10 minutes on; reports it only in shorter runs', () => {
    const leaking = synthetic({ seconds: 1800, leakMbPerHour: 60 });
    expect(rssVerdict(leaking.services.svc, { endS: 1800, warmUpS: 180, limitMbPerHour: 20 }).status).toBe(
      'fail',
    );
    const short = synthetic({ seconds: 120, leakMbPerHour: 900 });
    expect(rssVerdict(short.services.svc, { endS: 120, warmUpS: 30, limitMbPerHour: 300 }).status).toBe(
      'reported',
    );
  });

  it('does not fail on the minima of heap used when there are too few major GCs (the 1-minute false alarm)', () => {
    // 60 s, no major GC after the start: old-generation garbage accumulates, the floor of heap used climbs.
    const v = judge(60, { seconds: 60, gcEveryS: 70, promotedMbPerS: 0.4 });
    expect(v.heap.method).toBe('heap-floor');
    expect(v.heap.slopeMbPerHour).toBeGreaterThan(defaultHeapSlopeLimit(60));
    expect(v.heap.status).toBe('inconclusive');
    // Without promoted garbage the over-estimate is within the limit: a conclusive pass.
    expect(judge(60, { seconds: 60, gcEveryS: 0, promotedMbPerS: 0 }).heap.status).toBe('pass');
  });

  it('reaches back from the last third until it holds the major GCs it needs', () => {
    const series = synthetic({ seconds: 120, gcEveryS: 12 });
    const v = heapVerdict(series.services.svc, { endS: 120, warmUpS: 30, limitMbPerHour: 150 });
    expect(minMajorGcs(90)).toBe(6);
    expect(v.evidence).toEqual({ points: 6, needed: 6 });
    expect(v.fromS).toBeLessThan(120 - 90 / 3);
    expect(v.fromS).toBeGreaterThanOrEqual(30);
  });

  it('leaves the warm-up out, and only the warm-up', () => {
    const samples = synthetic({ seconds: 240, warmUpMb: 40, warmUpS: 60, gcEveryS: 8 });
    expect(heapVerdict(samples.services.svc, { endS: 240, warmUpS: 60, limitMbPerHour: 150 }).status).toBe(
      'pass',
    );
    const leak = synthetic({ seconds: 240, warmUpMb: 40, warmUpS: 60, leakMbPerHour: 600, gcEveryS: 8 });
    expect(heapVerdict(leak.services.svc, { endS: 240, warmUpS: 60, limitMbPerHour: 150 }).status).toBe(
      'fail',
    );
  });

  it('judges the heap from the sixth major GC on, after V8 has flushed the start-up bytecode', () => {
    // The leaky target on the service line, 1 minute, 600 MB/h: 4.5 MB of start-up code leave the live
    // set at the process's sixth major GC.
    const step = { seconds: 60, startupCodeMb: 4.5, promotedMbPerS: 0.3, noiseMb: 0.2, leakMbPerHour: 600 };
    // A major GC every 7 s (the first before the run): the sixth lands at 35 s, inside the judged part.
    const sparse = synthetic({ ...step, gcEveryS: 7, gcAtStart: 1 }).services.svc;
    expect(settledFromS(sparse, 15)).toBe(35);
    // Judged across the step (from the warm-up's end, as before), the leak passed: the missed leak.
    const across = heapVerdict(sparse, { endS: 60, warmUpS: 15, limitMbPerHour: 150, settleMajorGcs: 0 });
    expect(across.method).toBe('post-gc');
    expect(across.status, across.reason).toBe('pass');
    // Judged from the sixth major GC on there are 2 of the 6 needed: not judged, never a pass.
    const settled = heapVerdict(sparse, { endS: 60, warmUpS: 15, limitMbPerHour: 150 });
    expect(settled.status, settled.reason).toBe('inconclusive');
    // Every 9 s, the sixth at 45 s: the minima of heap used over 45–60 s fall after the GC at 54 s.
    const late = heapVerdict(synthetic({ ...step, gcEveryS: 9, gcAtStart: 1 }).services.svc, {
      endS: 60,
      warmUpS: 15,
      limitMbPerHour: 150,
    });
    expect(late.method).toBe('heap-floor');
    expect(late.slopeMbPerHour).toBeLessThan(0);
    expect(late.status, late.reason).toBe('inconclusive');
    // A major GC every 3 s (the sixth at 18 s): judged from there, within 0.7–1.3 × the leak.
    const dense = { ...step, gcEveryS: 3, gcAtStart: 0 };
    expect(settledFromS(synthetic(dense).services.svc, 15)).toBe(18);
    const leaky = judge(60, dense).heap;
    expect(leaky.method).toBe('post-gc');
    expect(leaky.status, leaky.reason).toBe('fail');
    expect(leaky.fromS).toBeGreaterThanOrEqual(18);
    expect(leaky.slopeMbPerHour).toBeGreaterThan(0.7 * 600);
    expect(leaky.slopeMbPerHour).toBeLessThan(1.3 * 600);
    const clean = judge(60, { ...dense, leakMbPerHour: 0 }).heap;
    expect(clean.status, clean.reason).toBe('pass');
    expect(Math.abs(clean.slopeMbPerHour)).toBeLessThan(150);
    // A run that never reaches its sixth major GC keeps its warm-up.
    expect(settledFromS(synthetic({ seconds: 60, gcEveryS: 20, gcAtStart: 0 }).services.svc, 15)).toBe(15);
  });

  it('is not moved by one stray post-GC point', () => {
    const series = synthetic({ seconds: 1800 });
    const s = series.services.svc!;
    const gc = s.columns.gc_major!.max;
    const at = gc.findLastIndex((c, i) => i > 0 && c !== gc[i - 1]);
    s.columns.heap_tenured_mb!.min[at] = s.columns.heap_tenured_mb!.min[at]! + 30;
    expect(heapVerdict(s, { endS: 1800, warmUpS: 180, limitMbPerHour: 10 }).status).toBe('pass');
  });
});
