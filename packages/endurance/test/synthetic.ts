/** Synthetic runs for the verdict tests: a service sampled once a second, shaped like the real runs. */
import { type RecordedSeries, SeriesStore } from '../src/series.ts';

export interface Shape {
  seconds: number;
  /** Live-set growth, MB per hour: the leak. */
  leakMbPerHour?: number;
  /** Seconds between major GCs (0: none). */
  gcEveryS?: number;
  /** Garbage promoted to the old generation per second (freed only by a major GC), MB. */
  promotedMbPerS?: number;
  /** Extra live memory reached during the warm-up, MB, and when. */
  warmUpMb?: number;
  warmUpS?: number;
  /** RSS: a plateau it approaches (MB above the start) with this time constant, s. */
  rssRiseMb?: number;
  rssTauS?: number;
  /** Deterministic noise amplitude on the tenured heap and RSS, MB. */
  noiseMb?: number;
  /** Live memory of the code run only at start-up, MB: gone from the sixth major GC on (V8 flushes its bytecode). */
  startupCodeMb?: number;
  /** Major GCs counted at the start (the process's own, before the run). Default 6: its start-up code is flushed. */
  gcAtStart?: number;
}

export function synthetic(shape: Shape, name = 'svc', store = new SeriesStore()): RecordedSeries {
  const { leakMbPerHour = 0, gcEveryS = 17, promotedMbPerS = 0.5, warmUpMb = 0, warmUpS = 30 } = shape;
  let seed = 7;
  const noise = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return ((seed / 2 ** 31) * 2 - 1) * (shape.noiseMb ?? 0);
  };
  for (let s = 0; s <= shape.seconds; s++) {
    const gcMajor = (shape.gcAtStart ?? 6) + (gcEveryS > 0 ? Math.floor(s / gcEveryS) : 0);
    const live =
      28 +
      (leakMbPerHour * s) / 3600 +
      warmUpMb * Math.min(1, s / warmUpS) +
      (gcMajor < 6 ? (shape.startupCodeMb ?? 0) : 0);
    const sinceGc = gcEveryS > 0 ? s % gcEveryS : s;
    const tenured = live + promotedMbPerS * sinceGc + noise();
    const young = 2 + ((s * 7) % 30);
    const rss = 150 + (shape.rssRiseMb ?? 0) * (1 - Math.exp(-s / (shape.rssTauS ?? 300))) + live + noise();
    store.add(name, s, {
      heap_used_mb: tenured + young,
      heap_tenured_mb: tenured,
      rss_mb: rss,
      gc_major: gcMajor,
    });
  }
  return store.toJSON();
}
