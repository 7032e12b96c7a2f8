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

interface CounterEntry extends SeriesEntry {
  value: number;
}

/** A counter child bound to one label set by labels(). */
export interface CounterChild {
  inc(value?: number): void;
}

/** A prom-client Counter behind the cardinality guard. */
export class GuardedCounter<T extends string = string> extends GuardedMetric<CounterEntry> {
  readonly type = 'counter';
  /** The prom-client metric registered in the instance's registry. */
  readonly metric: client.Counter<string>;

  /** @internal created by Metrics.counter() */
  constructor(
    registry: client.Registry,
    name: string,
    help: string,
    labelNames: readonly string[],
    settings: GuardSettings,
  ) {
    const metric = new client.Counter(innerConfig(registry, name, help, labelNames));
    super(metric as unknown as InnerMetric<CounterEntry>, help, labelNames, settings);
    this.metric = metric;
  }

  protected createEntry(labels: Record<string, string | number>): CounterEntry {
    return { value: 0, labels, seen: this.clock.now };
  }

  /** Adds value (default 1) to the series of labels, or to the unlabelled series. */
  inc(labels?: Labels<T> | number, value?: number): void {
    if (this.dead) return;
    if (typeof labels === 'object' && labels !== null) {
      const amount = value === undefined ? 1 : checkIncrement(this.name, value);
      this.series(labels).value += amount;
    } else {
      const amount = labels === undefined ? 1 : checkIncrement(this.name, labels);
      this.unlabelled().value += amount;
    }
  }

  /** Binds label values (by position in labelNames, or as an object): validated once, hashed once. */
  labels(...values: (string | number)[]): CounterChild;
  labels(labels: Labels<T>): CounterChild;
  labels(...args: unknown[]): CounterChild {
    const { labels, hash } = this.bind(args);
    return {
      inc: (value?: number) => {
        if (this.dead) return;
        const amount = value === undefined ? 1 : checkIncrement(this.name, value);
        this.seriesByHash(hash, labels).value += amount;
      },
    };
  }

  get(): Promise<client.MetricObjectWithValues<client.MetricValue<string>>> {
    return this.metric.get();
  }
}

function checkIncrement(name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0 && value < Number.POSITIVE_INFINITY)) {
    throw new MetricsError(
      'ORG_METRICS_INVALID_VALUE',
      `counter ${name}: increment must be a finite number >= 0, got ${String(value)}`,
      { details: { metric: name, value } },
    );
  }
  return value;
}
