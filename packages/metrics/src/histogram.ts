import client from 'prom-client';
import { MetricsError } from './errors.js';
import {
  GuardedMetric,
  type GuardSettings,
  type InnerMetric,
  innerConfig,
  type Labels,
  type SeriesEntry,
} from './guard.js';

interface HistogramEntry extends SeriesEntry {
  bucketValues: Record<string, number>;
  sum: number;
  count: number;
}

interface InnerHistogram extends InnerMetric<HistogramEntry> {
  upperBounds: readonly number[];
  bucketValues: Readonly<Record<string, number>>;
}

/** A histogram child bound to one label set by labels(). */
export interface HistogramChild {
  observe(value: number): void;
  startTimer(): () => number;
}

export const DEFAULT_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);

/** A prom-client Histogram behind the cardinality guard. */
export class GuardedHistogram<T extends string = string> extends GuardedMetric<HistogramEntry> {
  readonly type = 'histogram';
  readonly metric: client.Histogram<string>;
  readonly buckets: readonly number[];
  readonly #bounds: readonly number[];
  readonly #keys: readonly string[];
  readonly #zeroes: Readonly<Record<string, number>>;

  /** @internal created by Metrics.histogram() */
  constructor(
    registry: client.Registry,
    name: string,
    help: string,
    labelNames: readonly string[],
    buckets: readonly number[],
    settings: GuardSettings,
  ) {
    const metric = new client.Histogram({
      ...innerConfig(registry, name, help, labelNames),
      buckets: [...buckets],
    });
    const inner = metric as unknown as InnerHistogram;
    super(inner, help, labelNames, settings);
    this.metric = metric;
    this.buckets = Object.freeze([...buckets]);
    this.#bounds = inner.upperBounds;
    this.#keys = this.#bounds.map(String);
    this.#zeroes = inner.bucketValues;
  }

  protected createEntry(labels: Record<string, string | number>): HistogramEntry {
    return { labels, bucketValues: { ...this.#zeroes }, sum: 0, count: 0, seen: this.clock.now };
  }

  observe(labels: Labels<T> | number, value?: number): void {
    if (this.dead) return;
    if (typeof labels === 'object' && labels !== null) {
      const v = checkObservation(this.name, value);
      this.#record(this.series(labels), v);
    } else {
      const v = checkObservation(this.name, labels);
      this.#record(this.unlabelled(), v);
    }
  }

  /** Returns end(): observes the seconds since startTimer() and returns them. */
  startTimer(labels?: Labels<T>): (endLabels?: Labels<T>) => number {
    const start = process.hrtime.bigint();
    return (endLabels) => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      this.observe({ ...labels, ...endLabels } as Labels<T>, seconds);
      return seconds;
    };
  }

  /** Creates the series of labels with zero counts (so it is exported before the first sample). */
  zero(labels: Labels<T>): void {
    if (this.dead) return;
    this.series(labels);
  }

  labels(...values: (string | number)[]): HistogramChild;
  labels(labels: Labels<T>): HistogramChild;
  labels(...args: unknown[]): HistogramChild {
    const { labels, hash } = this.bind(args);
    const observe = (value: number) => {
      const v = checkObservation(this.name, value);
      if (!this.dead) this.#record(this.seriesByHash(hash, labels), v);
    };
    return {
      observe,
      startTimer: () => {
        const start = process.hrtime.bigint();
        return () => {
          const seconds = Number(process.hrtime.bigint() - start) / 1e9;
          observe(seconds);
          return seconds;
        };
      },
    };
  }

  get(): Promise<client.MetricObjectWithValues<client.MetricValue<string>>> {
    return this.metric.get();
  }

  #record(entry: HistogramEntry, value: number): void {
    entry.sum += value;
    entry.count += 1;
    const bounds = this.#bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]!) {
        entry.bucketValues[this.#keys[i]!]! += 1;
        return;
      }
    }
  }
}

function checkObservation(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new MetricsError(
      'ORG_METRICS_INVALID_VALUE',
      `histogram ${name}: observation must be a finite number, got ${String(value)}`,
      { details: { metric: name, value } },
    );
  }
  return value;
}

/** The buckets of a histogram config: prom-client's defaults, or finite and strictly ascending. */
export function checkBuckets(name: unknown, buckets: unknown): readonly number[] {
  if (buckets === undefined) return DEFAULT_BUCKETS;
  if (
    !Array.isArray(buckets) ||
    buckets.length === 0 ||
    !buckets.every(
      (b, i) => typeof b === 'number' && Number.isFinite(b) && (i === 0 || b > (buckets[i - 1] as number)),
    )
  ) {
    throw new MetricsError(
      'ORG_METRICS_INVALID_CONFIG',
      `histogram ${String(name)}: buckets must be finite and strictly ascending`,
      {
        details: { name },
      },
    );
  }
  return buckets as number[];
}
