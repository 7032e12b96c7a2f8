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

interface GaugeEntry extends SeriesEntry {
  value: number;
}

/** A gauge child bound to one label set by labels(). */
export interface GaugeChild {
  inc(value?: number): void;
  dec(value?: number): void;
  set(value: number): void;
  setToCurrentTime(): void;
  startTimer(): () => number;
}

/**
 * A prom-client Gauge behind the cardinality guard. In the overflow series, set() is last-writer-wins
 * (as in OpenTelemetry); inc()/dec() keep sums right.
 */
export class GuardedGauge<T extends string = string> extends GuardedMetric<GaugeEntry> {
  readonly type = 'gauge';
  readonly metric: client.Gauge<string>;

  /** @internal created by Metrics.gauge() */
  constructor(
    registry: client.Registry,
    name: string,
    help: string,
    labelNames: readonly string[],
    settings: GuardSettings,
  ) {
    const metric = new client.Gauge(innerConfig(registry, name, help, labelNames));
    super(metric as unknown as InnerMetric<GaugeEntry>, help, labelNames, settings);
    this.metric = metric;
  }

  protected createEntry(labels: Record<string, string | number>): GaugeEntry {
    return { value: 0, labels, seen: this.clock.now };
  }

  set(labels: Labels<T> | number, value?: number): void {
    if (this.dead) return;
    if (typeof labels === 'object' && labels !== null)
      this.series(labels).value = checkValue(this.name, value);
    else this.unlabelled().value = checkValue(this.name, labels);
  }

  inc(labels?: Labels<T> | number, value?: number): void {
    this.#add(labels, value, 1);
  }

  dec(labels?: Labels<T> | number, value?: number): void {
    this.#add(labels, value, -1);
  }

  setToCurrentTime(labels?: Labels<T>): void {
    if (labels === undefined) this.set(Date.now() / 1000);
    else this.set(labels, Date.now() / 1000);
  }

  /** Returns end(): sets the gauge to the seconds since startTimer() and returns them. */
  startTimer(labels?: Labels<T>): (endLabels?: Labels<T>) => number {
    const start = process.hrtime.bigint();
    return (endLabels) => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      this.set({ ...labels, ...endLabels } as Labels<T>, seconds);
      return seconds;
    };
  }

  labels(...values: (string | number)[]): GaugeChild;
  labels(labels: Labels<T>): GaugeChild;
  labels(...args: unknown[]): GaugeChild {
    const { labels, hash } = this.bind(args);
    const write = (fn: (entry: GaugeEntry) => void) => {
      if (!this.dead) fn(this.seriesByHash(hash, labels));
    };
    return {
      inc: (value = 1) => {
        const amount = checkValue(this.name, value);
        write((entry) => {
          entry.value += amount;
        });
      },
      dec: (value = 1) => {
        const amount = checkValue(this.name, value);
        write((entry) => {
          entry.value -= amount;
        });
      },
      set: (value: number) => {
        const next = checkValue(this.name, value);
        write((entry) => {
          entry.value = next;
        });
      },
      setToCurrentTime: () => {
        write((entry) => {
          entry.value = Date.now() / 1000;
        });
      },
      startTimer: () => {
        const start = process.hrtime.bigint();
        return () => {
          const seconds = Number(process.hrtime.bigint() - start) / 1e9;
          write((entry) => {
            entry.value = seconds;
          });
          return seconds;
        };
      },
    };
  }

  get(): Promise<client.MetricObjectWithValues<client.MetricValue<string>>> {
    return this.metric.get();
  }

  #add(labels: Labels<T> | number | undefined, value: number | undefined, sign: 1 | -1): void {
    if (this.dead) return;
    if (typeof labels === 'object' && labels !== null) {
      const amount = value === undefined ? 1 : checkValue(this.name, value);
      this.series(labels).value += sign * amount;
    } else {
      const amount = labels === undefined ? 1 : checkValue(this.name, labels);
      this.unlabelled().value += sign * amount;
    }
  }
}

function checkValue(name: string, value: unknown): number {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new MetricsError(
      'ORG_METRICS_INVALID_VALUE',
      `gauge ${name}: value must be a number, got ${String(value)}`,
      {
        details: { metric: name, value },
      },
    );
  }
  return value;
}
