/**
 * The samples of a run, downsampled as they arrive: per service, fixed-width time buckets with the
 * min, max and mean of every column. When a service holds more than 2 × maxBuckets buckets, the width
 * doubles and neighbours merge (exactly: min of mins, max of maxes, sums and counts), so memory and the
 * report stay bounded however long the run (24 h at 1 Hz: 64-s buckets, ~1,350 per service).
 * The verdict, the report and the recorded test fixtures all read this one representation.
 */

export interface ColumnSeries {
  min: (number | null)[];
  max: (number | null)[];
  mean: (number | null)[];
}

export interface ServiceSeries {
  /** Mean time of the samples in each bucket, seconds since the start of the run. */
  t: number[];
  /** Samples in each bucket. */
  n: number[];
  columns: Record<string, ColumnSeries>;
}

/** What samples.json holds (and what the recorded fixtures are). */
export interface RecordedSeries {
  /** Bucket width in seconds. */
  widthS: number;
  services: Record<string, ServiceSeries>;
}

interface Agg {
  min: number;
  max: number;
  sum: number;
  n: number;
}

interface Bucket {
  tSum: number;
  n: number;
  cols: Map<string, Agg>;
}

export interface SeriesStoreOptions {
  /** Width of the first buckets, seconds. Default 1 (the sampling interval). */
  widthS?: number;
  /** The width doubles when a service has more than twice this many buckets. Default 1000. */
  maxBuckets?: number;
}

export class SeriesStore {
  #widthS: number;
  readonly #maxBuckets: number;
  readonly #services = new Map<string, Map<number, Bucket>>();
  readonly #columns = new Set<string>();

  constructor(options: SeriesStoreOptions = {}) {
    this.#widthS = options.widthS ?? 1;
    this.#maxBuckets = options.maxBuckets ?? 1000;
  }

  get widthS(): number {
    return this.#widthS;
  }

  /** Every column name seen so far. */
  get columns(): ReadonlySet<string> {
    return this.#columns;
  }

  /** Adds one sample of a service at tS seconds; undefined and non-finite values are left out. */
  add(service: string, tS: number, values: Readonly<Record<string, number | undefined>>): void {
    let buckets = this.#services.get(service);
    if (!buckets) {
      buckets = new Map();
      this.#services.set(service, buckets);
    }
    const key = Math.floor(tS / this.#widthS);
    let bucket = buckets.get(key);
    if (!bucket) {
      bucket = { tSum: 0, n: 0, cols: new Map() };
      buckets.set(key, bucket);
    }
    bucket.tSum += tS;
    bucket.n++;
    for (const [column, value] of Object.entries(values)) {
      if (value === undefined || !Number.isFinite(value)) continue;
      this.#columns.add(column);
      const agg = bucket.cols.get(column);
      if (!agg) bucket.cols.set(column, { min: value, max: value, sum: value, n: 1 });
      else {
        if (value < agg.min) agg.min = value;
        if (value > agg.max) agg.max = value;
        agg.sum += value;
        agg.n++;
      }
    }
    if (buckets.size > 2 * this.#maxBuckets) this.#coarsen();
  }

  #coarsen(): void {
    this.#widthS *= 2;
    for (const [service, buckets] of this.#services) {
      const merged = new Map<number, Bucket>();
      for (const [key, bucket] of buckets) {
        const k = Math.floor(key / 2);
        const into = merged.get(k);
        if (!into) {
          merged.set(k, bucket);
          continue;
        }
        into.tSum += bucket.tSum;
        into.n += bucket.n;
        for (const [column, agg] of bucket.cols) {
          const a = into.cols.get(column);
          if (!a) into.cols.set(column, agg);
          else {
            a.min = Math.min(a.min, agg.min);
            a.max = Math.max(a.max, agg.max);
            a.sum += agg.sum;
            a.n += agg.n;
          }
        }
      }
      this.#services.set(service, merged);
    }
  }

  /** The buckets as columns of arrays (null where a bucket has no value), values rounded to 4 significant digits after the point. */
  toJSON(): RecordedSeries {
    const services: Record<string, ServiceSeries> = {};
    for (const [service, buckets] of this.#services) {
      const keys = [...buckets.keys()].sort((a, b) => a - b);
      const series: ServiceSeries = { t: [], n: [], columns: {} };
      const names = new Set<string>();
      for (const k of keys) for (const c of buckets.get(k)!.cols.keys()) names.add(c);
      for (const c of [...names].sort()) series.columns[c] = { min: [], max: [], mean: [] };
      for (const k of keys) {
        const b = buckets.get(k)!;
        series.t.push(round(b.tSum / b.n));
        series.n.push(b.n);
        for (const [c, col] of Object.entries(series.columns)) {
          const agg = b.cols.get(c);
          col.min.push(agg ? round(agg.min) : null);
          col.max.push(agg ? round(agg.max) : null);
          col.mean.push(agg ? round(agg.sum / agg.n) : null);
        }
      }
      services[service] = series;
    }
    return { widthS: this.#widthS, services };
  }
}

const round = (v: number) => (Number.isInteger(v) ? v : Math.round(v * 1000) / 1000);

/** (t, value) pairs of one statistic of one column, nulls left out. */
export function pointsOf(
  series: ServiceSeries | undefined,
  column: string,
  stat: keyof ColumnSeries = 'mean',
): { x: number; y: number }[] {
  const values = series?.columns[column]?.[stat];
  if (!series || !values) return [];
  const points: { x: number; y: number }[] = [];
  for (let i = 0; i < series.t.length; i++) {
    const v = values[i];
    if (v !== null && v !== undefined) points.push({ x: series.t[i]!, y: v });
  }
  return points;
}

/** Largest value of a column over the buckets from `fromS` on (−Infinity when there is none). */
export function maxOf(series: ServiceSeries | undefined, column: string, fromS = 0): number {
  let max = Number.NEGATIVE_INFINITY;
  for (const p of pointsOf(series, column, 'max')) if (p.x >= fromS && p.y > max) max = p.y;
  return max;
}

/**
 * The same run with buckets `factor` times wider (exactly: min of the mins, max of the maxes, means
 * weighted by samples) and only the given columns: how recorded runs are kept as small test fixtures.
 */
export function coarsen(series: RecordedSeries, factor: number, columns?: readonly string[]): RecordedSeries {
  const services: Record<string, ServiceSeries> = {};
  for (const [name, s] of Object.entries(series.services)) {
    const keep = Object.keys(s.columns).filter((c) => !columns || columns.includes(c));
    const out: ServiceSeries = { t: [], n: [], columns: {} };
    for (const c of keep) out.columns[c] = { min: [], max: [], mean: [] };
    for (let i = 0; i < s.t.length; i += factor) {
      const idx = [...Array(Math.min(factor, s.t.length - i)).keys()].map((k) => i + k);
      const n = idx.reduce((a, j) => a + s.n[j]!, 0);
      out.t.push(round(idx.reduce((a, j) => a + s.t[j]! * s.n[j]!, 0) / n));
      out.n.push(n);
      for (const c of keep) {
        const col = s.columns[c]!;
        const present = idx.filter((j) => col.mean[j] !== null && col.mean[j] !== undefined);
        const target = out.columns[c]!;
        if (present.length === 0) {
          target.min.push(null);
          target.max.push(null);
          target.mean.push(null);
          continue;
        }
        const weight = present.reduce((a, j) => a + s.n[j]!, 0);
        target.min.push(Math.min(...present.map((j) => col.min[j]!)));
        target.max.push(Math.max(...present.map((j) => col.max[j]!)));
        target.mean.push(round(present.reduce((a, j) => a + col.mean[j]! * s.n[j]!, 0) / weight));
      }
    }
    services[name] = out;
  }
  return { widthS: series.widthS * factor, services };
}
