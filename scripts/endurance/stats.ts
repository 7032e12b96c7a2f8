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

/** Metric samples of a Prometheus text exposition: name → (labels string → value). */
export function parsePrometheus(text: string): Map<string, Map<string, number>> {
  const metrics = new Map<string, Map<string, number>>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const value = Number(match[3]);
    if (!Number.isFinite(value)) continue;
    const byLabels = metrics.get(match[1]!) ?? new Map<string, number>();
    metrics.set(match[1]!, byLabels);
    byLabels.set(match[2] ?? '', value);
  }
  return metrics;
}

/** The first metric whose name ends with one of `suffixes` (services prefix their metrics), summed over labels matching `labels`. */
export function pick(
  metrics: Map<string, Map<string, number>>,
  suffixes: readonly string[],
  labels?: string,
): number | undefined {
  for (const suffix of suffixes) {
    for (const [name, byLabels] of metrics) {
      if (!name.endsWith(suffix)) continue;
      let sum: number | undefined;
      for (const [l, v] of byLabels) if (labels === undefined || l.includes(labels)) sum = (sum ?? 0) + v;
      if (sum !== undefined) return sum;
    }
  }
  return undefined;
}

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
