/** Pure statistics of the verdict: least squares, Theil–Sen with its confidence interval, windowed minima. */

export interface Point {
  x: number;
  y: number;
}

/** Least-squares line through the points; slope in y per x unit. */
export function linearRegression(points: readonly Point[]): { slope: number; intercept: number; r2: number } {
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

export interface TheilSen {
  /** The median of the pairwise slopes. */
  slope: number;
  /** Median of y − slope·x: the fitted line is y = intercept + slope·x. */
  intercept: number;
  /** Sen's 95 % confidence interval of the slope (from the ranks of the pairwise slopes). */
  low: number;
  high: number;
  n: number;
}

const median = (sorted: readonly number[]): number => {
  if (sorted.length === 0) return 0;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * Theil–Sen line: the median of the pairwise slopes, so one odd point cannot move it; with Sen's
 * rank-based 95 % interval (normal approximation of Kendall's S, ties ignored).
 */
export function theilSen(points: readonly Point[]): TheilSen {
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const dx = points[j]!.x - points[i]!.x;
      if (dx !== 0) slopes.push((points[j]!.y - points[i]!.y) / dx);
    }
  }
  const n = points.length;
  if (slopes.length === 0) return { slope: 0, intercept: points[0]?.y ?? 0, low: 0, high: 0, n };
  slopes.sort((a, b) => a - b);
  const slope = median(slopes);
  const intercept = median(points.map((p) => p.y - slope * p.x).sort((a, b) => a - b));
  const c = 1.96 * Math.sqrt((n * (n - 1) * (2 * n + 5)) / 18);
  const lo = Math.max(0, Math.floor((slopes.length - c) / 2));
  const hi = Math.min(slopes.length - 1, Math.ceil((slopes.length + c) / 2));
  return { slope, intercept, low: slopes[lo]!, high: slopes[hi]!, n };
}

/** Theil–Sen slope only. */
export function theilSenSlope(points: readonly Point[]): number {
  return theilSen(points).slope;
}

/**
 * The lowest point in each of `windows` equal slices of [from, to] (empty slices left out): the floor
 * of a sawtooth, one point per slice, so a dense series and a sparse one weigh the same.
 */
export function windowMinima(points: readonly Point[], from: number, to: number, windows: number): Point[] {
  const width = (to - from) / Math.max(1, windows);
  if (!(width > 0)) return [];
  const minima = new Map<number, Point>();
  for (const p of points) {
    if (p.x < from || p.x > to) continue;
    const k = Math.min(windows - 1, Math.floor((p.x - from) / width));
    const current = minima.get(k);
    if (!current || p.y < current.y) minima.set(k, p);
  }
  return [...minima.entries()].sort((a, b) => a[0] - b[0]).map(([, p]) => p);
}
