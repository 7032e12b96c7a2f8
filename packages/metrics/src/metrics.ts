import {
  type CloseContext,
  CloseOnce,
  type CloseOptions,
  type ErrorReporter,
  OwnedInterval,
  report,
  stderrReporter,
} from '@org/shared-lifecycle';
import client from 'prom-client';
import { GuardedCounter } from './counter.js';
import { DefaultMetrics } from './default-metrics.js';
import { MetricsError } from './errors.js';
import {
  type ExpositionContentType,
  OPENMETRICS_CONTENT_TYPE,
  PROMETHEUS_CONTENT_TYPE,
  type RenderableMetric,
  render,
} from './exposition.js';
import { GuardedGauge } from './gauge.js';
import type { Clock, GuardedMetric, GuardSettings } from './guard.js';
import { createHandler, type HandlerOptions, type MetricsHandler } from './handler.js';
import { checkBuckets, GuardedHistogram } from './histogram.js';
import { checkHelp, checkLabelNames, checkMetricName } from './names.js';
import { check, checkDefaultLabels, checkPrefix, DEFAULTS, type MetricsOptions } from './options.js';
import { registerSelfMetrics } from './self-metrics.js';
import { type CollectStatsOptions, type StatsCollector, StatsCollectorImpl } from './stats-collector.js';

/** Config of counter(), gauge() and histogram(): prom-client's, plus the guard's per-metric settings. */
export interface MetricConfig<T extends string = string> {
  name: string;
  help: string;
  labelNames?: readonly T[];
  /** Overrides the instance's maxLabelSets for this metric. */
  maxLabelSets?: number;
  /** Overrides the instance's labelTtlMs for this metric (0: never expire). */
  labelTtlMs?: number;
}

export interface HistogramConfig<T extends string = string> extends MetricConfig<T> {
  /** Upper bounds, ascending. Default prom-client's [0.005 … 10]. */
  buckets?: readonly number[];
}

/** A snapshot of the instance, for its owner (and for tests). */
export interface MetricsStats {
  destroyed: boolean;
  metrics: number;
  labelSets: number;
  overflowSamples: number;
  expiredLabelSets: number;
  collectors: number;
  statsFailures: number;
  sweeps: number;
}

type AnyGuarded = GuardedCounter<string> | GuardedGauge<string> | GuardedHistogram<string>;

/**
 * One metrics instance: its own prom-client Registry (never the global one), default metrics it can
 * stop, guarded metrics, stats collectors, a /metrics handler, and destroy() that leaves nothing behind.
 */
export class Metrics implements AsyncDisposable {
  readonly registry: client.Registry;
  readonly prefix: string;
  readonly defaultLabels: Readonly<Record<string, string>>;
  readonly maxLabelSets: number;
  readonly labelTtlMs: number;
  readonly cleanupIntervalMs: number;
  readonly #onError: ErrorReporter;
  readonly #lifecycle: CloseOnce;
  readonly #clock: Clock = { now: Date.now() };
  readonly #metrics = new Map<string, AnyGuarded>();
  readonly #collectors = new Map<string, StatsCollectorImpl>();
  #defaults: DefaultMetrics | null = null;
  #cleanup: OwnedInterval | null = null;
  #sweeps = 0;

  constructor(options: MetricsOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new MetricsError('ORG_METRICS_INVALID_OPTION', 'options must be an object');
    }
    this.prefix = checkPrefix(options.prefix ?? DEFAULTS.prefix);
    this.defaultLabels = checkDefaultLabels(options.defaultLabels);
    this.maxLabelSets = check.number('maxLabelSets', options.maxLabelSets ?? DEFAULTS.maxLabelSets, {
      min: 1,
      max: 10_000_000,
      integer: true,
    });
    this.labelTtlMs = check.number('labelTtlMs', options.labelTtlMs ?? DEFAULTS.labelTtlMs, {
      max: 2 ** 31 - 1,
    });
    this.cleanupIntervalMs = check.number(
      'cleanupIntervalMs',
      options.cleanupIntervalMs ?? DEFAULTS.cleanupIntervalMs,
      {
        min: 10,
        max: 2 ** 31 - 1,
      },
    );
    this.#onError = check.fn<ErrorReporter>('onError', options.onError, stderrReporter);
    const defaultMetrics = options.defaultMetrics ?? true;
    this.registry = new client.Registry();
    this.registry.setDefaultLabels({ ...this.defaultLabels });
    this.#lifecycle = new CloseOnce('metrics', (ctx) => this.#teardown(ctx), { onError: this.#onError });
    if (defaultMetrics !== false) {
      this.#defaults = new DefaultMetrics(
        this.registry,
        this.prefix,
        defaultMetrics === true ? {} : defaultMetrics,
      );
    }
    registerSelfMetrics(this.registry, this.prefix, this.#metrics, this.#collectors);
  }

  /** True once close() or destroy() has been called. */
  get isDestroyed(): boolean {
    return this.#lifecycle.closed;
  }

  /** Alias of isDestroyed. */
  get _isDestroyed(): boolean {
    return this.#lifecycle.closed;
  }

  /** A counter (name gets `_total` when it lacks it). Same name and labels again: the same counter. */
  counter<T extends string = string>(config: MetricConfig<T>): GuardedCounter<T> {
    return this.#getOrCreate('counter', config, (name, help, labels, settings) => {
      return new GuardedCounter<string>(this.registry, name, help, labels, settings);
    }) as unknown as GuardedCounter<T>;
  }

  gauge<T extends string = string>(config: MetricConfig<T>): GuardedGauge<T> {
    return this.#getOrCreate('gauge', config, (name, help, labels, settings) => {
      return new GuardedGauge<string>(this.registry, name, help, labels, settings);
    }) as unknown as GuardedGauge<T>;
  }

  histogram<T extends string = string>(config: HistogramConfig<T>): GuardedHistogram<T> {
    const buckets = checkBuckets(config?.name, config?.buckets);
    const metric = this.#getOrCreate(
      'histogram',
      config,
      (name, help, labels, settings) =>
        new GuardedHistogram<string>(this.registry, name, help, labels, buckets, settings),
      ['le'],
    ) as GuardedHistogram<string>;
    if (metric.buckets.length !== buckets.length || metric.buckets.some((b, i) => b !== buckets[i])) {
      throw new MetricsError(
        'ORG_METRICS_NAME_CONFLICT',
        `histogram ${metric.name} already exists with other buckets`,
        {
          details: { name: metric.name },
        },
      );
    }
    return metric as unknown as GuardedHistogram<T>;
  }

  /**
   * Exports a package's plain stats() snapshot at scrape time, through prom-client's collect():
   * numbers and booleans become gauges (counters for the paths in options.counters), records become
   * flattened names or, for the paths in options.labels, labelled series. No timers; the producer
   * does not depend on this package. Calling again with the same prefix replaces the source.
   */
  collectStats<T extends object>(
    prefix: string,
    source: () => T,
    options: CollectStatsOptions<T> = {},
  ): StatsCollector {
    this.#lifecycle.assertOpen('collectStats');
    if (typeof prefix !== 'string' || !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(prefix)) {
      throw new MetricsError(
        'ORG_METRICS_INVALID_OPTION',
        `collectStats prefix must be a plain name, got ${JSON.stringify(prefix)}`,
        {
          details: { option: 'prefix', value: prefix },
        },
      );
    }
    if (typeof source !== 'function') {
      throw new MetricsError(
        'ORG_METRICS_INVALID_OPTION',
        'collectStats source must be a function returning a snapshot',
        {
          details: { option: 'source' },
        },
      );
    }
    if (options.maxSeries !== undefined)
      check.number('maxSeries', options.maxSeries, { min: 1, integer: true });
    const existing = this.#collectors.get(prefix);
    if (existing) {
      existing.update(source, options);
      existing.discover();
      return existing;
    }
    const collector = new StatsCollectorImpl(
      this.registry,
      this.prefix,
      prefix,
      source,
      options,
      this.#onError,
      this.maxLabelSets,
    );
    this.#collectors.set(prefix, collector);
    collector.discover();
    const remove = collector.remove.bind(collector);
    collector.remove = () => {
      remove();
      if (this.#collectors.get(prefix) === collector) this.#collectors.delete(prefix);
    };
    return collector;
  }

  /** Renders every metric; OpenMetrics or Prometheus text (the default). */
  async text(contentType: ExpositionContentType = PROMETHEUS_CONTENT_TYPE): Promise<string> {
    this.#lifecycle.assertOpen('text');
    if (contentType !== PROMETHEUS_CONTENT_TYPE && contentType !== OPENMETRICS_CONTENT_TYPE) {
      throw new MetricsError(
        'ORG_METRICS_INVALID_OPTION',
        `unsupported content type ${JSON.stringify(contentType)}`,
        {
          details: { option: 'contentType', value: contentType },
        },
      );
    }
    try {
      for (const collector of this.#collectors.values()) {
        collector.refresh();
        collector.discover();
      }
      const metrics = this.registry.getMetricsAsArray() as unknown as RenderableMetric[];
      return await render(metrics, this.defaultLabels, contentType);
    } catch (error) {
      throw new MetricsError('ORG_METRICS_COLLECT_FAILED', 'collecting the metrics failed', { cause: error });
    }
  }

  /** The /metrics handler for node:http and Express, with content negotiation and an optional bearer token. */
  handler(options: HandlerOptions = {}): MetricsHandler {
    return createHandler((type) => this.text(type), this.#onError, options);
  }

  /** Resets every metric's values. Never rejects: errors go to onError. */
  async resetMetrics(): Promise<void> {
    try {
      if (this.#lifecycle.closed) return;
      this.registry.resetMetrics();
    } catch (error) {
      report(
        this.#onError,
        new MetricsError('ORG_METRICS_RESET_FAILED', 'resetMetrics() failed', { cause: error }),
        {
          source: 'metrics.resetMetrics',
        },
      );
    }
  }

  /** Runs the idle-label-set sweep now (the cleanup interval runs it on its own). Returns sets expired. */
  sweep(): number {
    if (this.#lifecycle.closed) return 0;
    this.#sweeps++;
    const now = Date.now();
    this.#clock.now = now;
    let expired = 0;
    for (const metric of this.#metrics.values()) {
      // A set last stamped at `seen` was used before seen + interval: this cutoff never expires a
      // set that was used within its TTL.
      expired += metric.sweep(now - metric.labelTtlMs - this.cleanupIntervalMs);
    }
    return expired;
  }

  stats(): MetricsStats {
    let labelSets = 0;
    let overflowSamples = 0;
    let expiredLabelSets = 0;
    for (const metric of this.#metrics.values()) {
      const s = metric.guardStats();
      labelSets += s.labelSets;
      overflowSamples += s.overflowSamples;
      expiredLabelSets += s.expiredLabelSets;
    }
    let statsFailures = 0;
    for (const collector of this.#collectors.values()) statsFailures += collector.failures;
    return {
      destroyed: this.isDestroyed,
      metrics: this.#metrics.size,
      labelSets,
      overflowSamples,
      expiredLabelSets,
      collectors: this.#collectors.size,
      statsFailures,
      sweeps: this.#sweeps,
    };
  }

  /**
   * The graceful close: stops the cleanup interval (waiting for a sweep in progress, within the
   * context's deadline), the event-loop monitor and the gc observer, and removes every metric and
   * collector. Idempotent: every call returns the same promise. Later samples are ignored.
   */
  close(options?: CloseOptions | CloseContext): Promise<void> {
    return this.#lifecycle.close(options);
  }

  /** The abortive close: the same teardown without waiting for a sweep in progress. Idempotent. */
  destroy(reason?: unknown): Promise<void> {
    return this.#lifecycle.destroy(reason);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #teardown(ctx: CloseContext): Promise<void> {
    const cleanup = this.#cleanup;
    this.#cleanup = null;
    await cleanup?.stop({ abort: ctx.signal.aborted });
    this.#defaults?.stop();
    this.#defaults = null;
    for (const collector of [...this.#collectors.values()]) collector.remove();
    this.#collectors.clear();
    for (const metric of this.#metrics.values()) metric.kill();
    this.#metrics.clear();
    this.registry.clear();
  }

  #getOrCreate(
    type: AnyGuarded['type'],
    config: MetricConfig<string>,
    create: (
      name: string,
      help: string,
      labelNames: readonly string[],
      settings: GuardSettings,
    ) => AnyGuarded,
    reserved: readonly string[] = [],
  ): AnyGuarded {
    this.#lifecycle.assertOpen(type);
    if (typeof config !== 'object' || config === null) {
      throw new MetricsError('ORG_METRICS_INVALID_CONFIG', `${type}(config): config must be an object`);
    }
    let name = checkMetricName(`${this.prefix}${checkMetricName(config.name)}`);
    if (type === 'counter' && !name.endsWith('_total')) name = `${name}_total`;
    const labelNames = checkLabelNames(name, config.labelNames, reserved);
    const existing = this.#metrics.get(name);
    if (existing) {
      if (existing.type !== type || existing.labelNames.join(',') !== labelNames.join(',')) {
        throw new MetricsError(
          'ORG_METRICS_NAME_CONFLICT',
          `${name} already exists as a ${existing.type} with labels [${existing.labelNames.join(', ')}]`,
          { details: { name, type, labelNames } },
        );
      }
      return existing;
    }
    if (this.registry.getSingleMetric(name)) {
      throw new MetricsError(
        'ORG_METRICS_NAME_CONFLICT',
        `${name} is taken by a default metric or a stats collector`,
        {
          details: { name },
        },
      );
    }
    const help = checkHelp(name, config.help);
    const maxLabelSets = check.number(`${name}.maxLabelSets`, config.maxLabelSets ?? this.maxLabelSets, {
      min: 1,
      max: 10_000_000,
      integer: true,
    });
    const labelTtlMs = check.number(`${name}.labelTtlMs`, config.labelTtlMs ?? this.labelTtlMs, {
      max: 2 ** 31 - 1,
    });
    const metric = create(name, help, labelNames, { maxLabelSets, labelTtlMs, clock: this.#clock });
    this.#metrics.set(name, metric);
    if (labelTtlMs > 0 && labelNames.length > 0) this.#startCleanup();
    return metric;
  }

  #startCleanup(): void {
    if (this.#cleanup) return;
    this.#cleanup = new OwnedInterval(() => this.sweep(), {
      name: 'metrics.cleanup',
      intervalMs: this.cleanupIntervalMs,
      onError: this.#onError,
    }).start();
  }
}

/** Creates a metrics instance. Two instances, or a new one after destroy(), never conflict. */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  return new Metrics(options);
}

export type { GuardedMetric };
