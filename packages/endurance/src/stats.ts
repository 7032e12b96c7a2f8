/** Pure helpers of the endurance run: duration flags, Prometheus text, regression, the verdict. */

/** "2m", "30m", "24h", "90s", "1h30m" → milliseconds. */
export function parseDuration(text: string): number {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let total = 0;
  let consumed = 0;
  for (const match of text.trim().matchAll(re)) {
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 'ms'];
    total += Number(match[1]) * unit;
    consumed += match[0].length;
  }
  if (consumed === 0 || consumed !== text.trim().length || total <= 0) {
    throw new Error(`--duration: expected e.g. 2m, 30m, 24h or 1h30m, got "${text}"`);
  }
  return total;
}

export { parsePrometheus } from './sampler.ts';

/** Least-squares line through (x, y); slope in y per x unit. */
export function linearRegression(points: readonly { x: number; y: number }[]): {
  slope: number;
  intercept: number;
  r2: number;
} {
  const n = points.length;
  if (n < 2) return { slope: 0, intercept: points[0]?.y ?? 0, r2: 0 };
  let sx = 0;
  let sy = 0;
  for (const p of points) {
    sx += p.x;
    sy += p.y;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const p of points) {
    sxx += (p.x - mx) ** 2;
    sxy += (p.x - mx) * (p.y - my);
    syy += (p.y - my) ** 2;
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  return { slope, intercept: my - slope * mx, r2: sxx === 0 || syy === 0 ? 0 : (sxy * sxy) / (sxx * syy) };
}

export interface Check {
  name: string;
  ok: boolean;
  value: number | string;
  limit: number | string;
  detail?: string;
}

/** Memory slope in MB per hour over a window of samples (t in ms). */
export function slopeMbPerHour(samples: readonly { t: number; value: number | undefined }[]): number {
  const points = samples
    .filter((s): s is { t: number; value: number } => s.value !== undefined && Number.isFinite(s.value))
    .map((s) => ({ x: s.t / 3_600_000, y: s.value / (1024 * 1024) }));
  return linearRegression(points).slope;
}

/** The lowest value in each bucket of `bucketMs`: the post-GC floor of a sawtooth heap. */
export function bucketMinima(
  samples: readonly { t: number; value: number | undefined }[],
  bucketMs = 10_000,
): { t: number; value: number }[] {
  const buckets = new Map<number, { t: number; value: number }>();
  for (const s of samples) {
    if (s.value === undefined || !Number.isFinite(s.value)) continue;
    const key = Math.floor(s.t / bucketMs);
    const current = buckets.get(key);
    if (!current || s.value < current.value) buckets.set(key, { t: s.t, value: s.value });
  }
  return [...buckets.values()].sort((a, b) => a.t - b.t);
}

/** A run this short sees the heap grow to its working size: its RSS slope is reported, not enforced. */
export function enforcesRssSlope(durationMs: number): boolean {
  return durationMs >= 10 * 60_000;
}

/**
 * Default slope limit: a short run's regression sees mostly GC sawtooth, so the limit is looser;
 * from 30 minutes on, 20 MB/h (about 480 MB a day: a real leak, with a 384 MB service heap).
 */
export function defaultSlopeLimit(durationMs: number): number {
  if (durationMs >= 30 * 60_000) return 20;
  if (durationMs >= 10 * 60_000) return 60;
  return 300;
}

/** Theil–Sen slope: the median of the pairwise slopes. One stray point cannot move it much. */
export function theilSenSlope(points: readonly { x: number; y: number }[]): number {
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const dx = points[j]!.x - points[i]!.x;
      if (dx !== 0) slopes.push((points[j]!.y - points[i]!.y) / dx);
    }
  }
  if (slopes.length === 0) return 0;
  slopes.sort((a, b) => a - b);
  const mid = slopes.length >> 1;
  return slopes.length % 2 === 1 ? slopes[mid]! : (slopes[mid - 1]! + slopes[mid]!) / 2;
}

/** One per-second sample of a service, as the heap verdict needs it (t in ms, sizes in bytes). */
export interface HeapSample {
  t: number;
  /** V8 heap used. */
  heapUsed?: number | undefined;
  /** Heap used outside the young generation (old, large-object, code spaces): what survives GCs. */
  tenured?: number | undefined;
  /** Cumulative count of major (mark-compact) GCs. */
  gcMajor?: number | undefined;
}

export interface HeapSlopeOptions {
  /** Samples before this (ms from the start) are the warm-up: not in the regression. */
  warmUpMs: number;
  /** MB per hour. */
  limitMbPerHour: number;
  /** Post-GC points needed (spanning half the window) to use them. Default 4. */
  minPostGcPoints?: number;
}

export interface HeapSlopeVerdict {
  ok: boolean;
  slopeMbPerHour: number;
  limitMbPerHour: number;
  /**
   * 'post-gc': Theil–Sen over the tenured heap right after each major GC (the live set; young-
   * generation garbage and old-generation garbage awaiting the next major GC are not in it).
   * 'floor': too few major GCs in the window; Theil–Sen over the minima of heap used in buckets of a
   * twelfth of the window, 2–10 s (conservative:
   * old-generation garbage between major GCs counts as growth).
   */
  method: 'post-gc' | 'floor';
  /** The points the slope was fitted to (t in ms, value in bytes). */
  points: { t: number; value: number }[];
}

/**
 * The post-GC floor: for every major GC seen in the window (the count rose since the previous
 * sample), the tenured heap (else heap used) at the first sample after it.
 */
export function postGcPoints(samples: readonly HeapSample[], fromMs = 0): { t: number; value: number }[] {
  const points: { t: number; value: number }[] = [];
  let previous: number | undefined;
  for (const s of samples) {
    const count = s.gcMajor;
    if (count === undefined) continue;
    const value = s.tenured ?? s.heapUsed;
    if (previous !== undefined && count > previous && s.t >= fromMs && value !== undefined) {
      points.push({ t: s.t, value });
    }
    previous = count;
  }
  return points;
}

/**
 * The heap-growth verdict of an endurance run: the warm-up is left out; the slope is fitted to the
 * post-GC floor (robustly, Theil–Sen), falling back to 10-s minima when the window saw too few
 * major GCs. A leak raises the live set after every GC, so it raises this slope; the sawtooth and
 * garbage waiting for the next major GC do not.
 */
export function heapSlopeVerdict(
  samples: readonly HeapSample[],
  options: HeapSlopeOptions,
): HeapSlopeVerdict {
  const window = samples.filter((s) => s.t >= options.warmUpMs);
  const post = postGcPoints(samples, options.warmUpMs);
  const span = window.length > 1 ? window.at(-1)!.t - window[0]!.t : 0;
  const postSpan = post.length > 1 ? post.at(-1)!.t - post[0]!.t : 0;
  const usePostGc = post.length >= (options.minPostGcPoints ?? 4) && postSpan >= span / 2;
  // The fallback floor: minima of buckets of a twelfth of the window (2–10 s), so that a short window
  // still has a dozen points for the fit.
  const bucketMs = Math.min(10_000, Math.max(2_000, span / 12));
  const points = usePostGc
    ? post
    : bucketMinima(
        window.map((s) => ({ t: s.t, value: s.heapUsed })),
        bucketMs,
      );
  const slope = theilSenSlope(points.map((p) => ({ x: p.t / 3_600_000, y: p.value / (1024 * 1024) })));
  return {
    ok: slope <= options.limitMbPerHour,
    slopeMbPerHour: slope,
    limitMbPerHour: options.limitMbPerHour,
    method: usePostGc ? 'post-gc' : 'floor',
    points,
  };
}
