// The endurance memory verdict on RECORDED runs (endurance/fixtures/, kept by record-fixture.ts from
// real runs on this 2-core box; each fixture names the .node-options service line it ran with, or was
// recorded before that line had --max-semi-space-size=4 when it names none): healthy runs of this
// repository's services (2 min, 30 min, 2 h) must pass and the 1-minute one must not fail, the leaky
// target must fail at 300 MB/h in 2 minutes and at 20 MB/h in 30 minutes, and its clean twin must pass.
import { readdirSync, readFileSync } from 'node:fs';
import {
  judgeMemory,
  linearRegression,
  type RecordedSeries,
  type ServiceSeries,
  windowMinima,
} from '@org/shared-endurance';
import { describe, expect, it } from 'vitest';

/** The old RSS check: least squares (MB/h) on the 10-s minima of a column from `fromS` on. */
function linearRegressionOf(s: ServiceSeries, column: string, fromS: number): number {
  const points = s.t.flatMap((x, i) => {
    const y = s.columns[column]!.min[i];
    return x >= fromS && y !== null && y !== undefined ? [{ x, y }] : [];
  });
  const end = points.at(-1)!.x;
  return linearRegression(windowMinima(points, fromS, end, Math.floor((end - fromS) / 10))).slope * 3600;
}

interface Fixture {
  recorded: { date: string; command: string; durationMs: number; endS: number };
  series: RecordedSeries;
}

const dir = new URL('../endurance/fixtures/', import.meta.url);
const load = (name: string): Fixture =>
  JSON.parse(readFileSync(new URL(`${name}.json`, dir), 'utf8')) as Fixture;
const judged = (name: string) => {
  const f = load(name);
  return judgeMemory(f.series, { durationS: f.recorded.durationMs / 1000, endS: f.recorded.endS });
};
const show = (v: { status: string; slopeMbPerHour: number; reason: string }) =>
  `${v.status} ${v.slopeMbPerHour.toFixed(1)} MB/h: ${v.reason}`;

describe('endurance verdict on recorded runs', () => {
  it('has the recorded runs it needs', () => {
    expect(readdirSync(dir).sort()).toEqual(
      expect.arrayContaining([
        'healthy-1m.json',
        'healthy-2h.json',
        'healthy-2m.json',
        'healthy-30m.json',
        'healthy-30m-service-line.json',
        'leaky-20mbh-30m.json',
        'leaky-300mbh-2m.json',
        'leaky-target-clean-2m.json',
      ]),
    );
  });

  it.each(['healthy-2m', 'healthy-30m', 'healthy-30m-service-line', 'healthy-2h'])(
    'passes the healthy run %s of orders-api and events-ingest',
    (name) => {
      const verdicts = judged(name);
      expect(Object.keys(verdicts).sort()).toEqual(['events-ingest', 'orders-api']);
      for (const [service, v] of Object.entries(verdicts)) {
        expect(v.heap.status, `${service} heap: ${show(v.heap)}`).toBe('pass');
        expect(v.heap.method, service).toBe('post-gc');
        expect(['pass', 'reported'], `${service} RSS: ${show(v.rss)}`).toContain(v.rss.status);
      }
    },
  );

  it('passes the healthy 30-minute RSS that rose and levelled off, which the whole-window regression failed', () => {
    const f = load('healthy-30m');
    const verdicts = judged('healthy-30m');
    for (const [service, v] of Object.entries(verdicts)) {
      expect(v.rss.status, `${service}: ${show(v.rss)}`).toBe('pass');
      // What the old check fitted: least squares on the 10-s minima of the steady window (after 180 s).
      const old = linearRegressionOf(f.series.services[service]!, 'rss_mb', 180);
      process.stdout.write(
        `${service}: RSS whole-window ${old.toFixed(1)} MB/h, last part ${v.rss.slopeMbPerHour.toFixed(1)} MB/h\n`,
      );
    }
  });

  it('does not judge the heap of the healthy 1-minute run: too few major GCs after the sixth', () => {
    // The false alarm "heap slope 667 MB/h, fewer than 4 major GCs" (old-generation garbage between
    // major GCs is not growth of the live set), and its mirror: minima of heap used that fall after a
    // major GC inside the fitted part (orders-api here: −260 MB/h). With too little evidence the heap is
    // not judged, either way.
    for (const [service, v] of Object.entries(judged('healthy-1m'))) {
      expect(v.heap.method, service).toBe('heap-floor');
      expect(v.heap.status, `${service}: ${show(v.heap)}`).toBe('inconclusive');
    }
  });

  it('fails the leaky target at 300 MB/h in a 2-minute run and passes its clean twin', () => {
    const leaky = judged('leaky-300mbh-2m')['leaky-target']!;
    expect(leaky.heap.status, show(leaky.heap)).toBe('fail');
    expect(leaky.heap.method).toBe('post-gc');
    expect(leaky.heap.slopeMbPerHour).toBeGreaterThan(0.7 * 300);
    expect(leaky.heap.slopeMbPerHour).toBeLessThan(1.5 * 300);
    const clean = judged('leaky-target-clean-2m')['leaky-target']!;
    expect(clean.heap.status, show(clean.heap)).toBe('pass');
  });

  it('fails the leaky target at 20 MB/h in a 30-minute run', () => {
    const leaky = judged('leaky-20mbh-30m')['leaky-target']!;
    expect(leaky.heap.status, show(leaky.heap)).toBe('fail');
    expect(leaky.heap.slopeMbPerHour).toBeGreaterThan(12);
    expect(leaky.heap.slopeMbPerHour).toBeLessThan(30);
  });

  it('fails the healthy runs with a leak of twice the limit added to their heap', () => {
    for (const name of ['healthy-2m', 'healthy-30m', 'healthy-30m-service-line']) {
      const f = load(name);
      const durationS = f.recorded.durationMs / 1000;
      const limit = judged(name)['orders-api']!.heap.limitMbPerHour;
      const s = structuredClone(f.series);
      for (const service of Object.values(s.services))
        for (const column of ['heap_tenured_mb', 'heap_used_mb'])
          for (const stat of ['min', 'max', 'mean'] as const)
            service.columns[column]![stat] = service.columns[column]![stat].map((v, i) =>
              v === null ? null : v + (2 * limit * service.t[i]!) / 3600,
            );
      for (const [service, v] of Object.entries(judgeMemory(s, { durationS, endS: f.recorded.endS })))
        expect(v.heap.status, `${name} ${service}: ${show(v.heap)}`).toBe('fail');
    }
  });
});
