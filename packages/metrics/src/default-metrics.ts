import { readdir, readFile } from 'node:fs/promises';
import {
  constants,
  type ELDHistogram as IntervalHistogram,
  monitorEventLoopDelay,
  PerformanceObserver,
} from 'node:perf_hooks';
import v8 from 'node:v8';
import client from 'prom-client';
import { perScrape } from './per-scrape.js';

/** Options of the default (process and Node.js runtime) metrics. */
export interface DefaultMetricsOptions {
  /** Sampling resolution of the event-loop delay monitor, ms. Default 10 (as prom-client). */
  eventLoopResolutionMs?: number;
  /** Buckets of nodejs_gc_duration_seconds. Default [0.001, 0.01, 0.1, 1, 2, 5] (as prom-client). */
  gcDurationBuckets?: readonly number[];
}

/** Names of the default metrics, without the instance prefix. */
export const DEFAULT_METRIC_NAMES = [
  'process_cpu_user_seconds_total',
  'process_cpu_system_seconds_total',
  'process_cpu_seconds_total',
  'process_start_time_seconds',
  'process_resident_memory_bytes',
  'process_open_fds',
  'process_max_fds',
  'nodejs_heap_size_used_bytes',
  'nodejs_heap_size_total_bytes',
  'nodejs_heap_size_limit_bytes',
  'nodejs_external_memory_bytes',
  'nodejs_array_buffers_bytes',
  'nodejs_heap_space_size_used_bytes',
  'nodejs_heap_space_size_total_bytes',
  'nodejs_eventloop_lag_seconds',
  'nodejs_eventloop_lag_max_seconds',
  'nodejs_gc_duration_seconds',
  'nodejs_active_handles',
  'nodejs_active_requests',
  'nodejs_active_resources',
  'nodejs_version_info',
] as const;

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};
const MINOR_MARK_SWEEP = (constants as Record<string, number>).NODE_PERFORMANCE_GC_MINOR_MARK_SWEEP;
if (MINOR_MARK_SWEEP !== undefined) GC_KINDS[MINOR_MARK_SWEEP] = 'minor_mark_sweep';

const LAG_QUANTILES = [0.5, 0.9, 0.99] as const;

interface ProcessInternals {
  _getActiveHandles?: () => unknown[];
  _getActiveRequests?: () => unknown[];
}

/**
 * The event-loop delay as a Prometheus summary: quantiles over the window since the previous scrape,
 * _sum and _count cumulative (so rate(_sum)/rate(_count) is the mean delay). A registry accepts any
 * object with name/help/type/get()/reset(); prom-client's Summary would need every sample.
 */
class EventLoopLagSummary {
  readonly type = 'summary';
  readonly aggregator = 'average';
  readonly name: string;
  readonly help =
    'Event-loop delay in seconds (quantiles since the previous scrape; sum and count since start).';
  readonly #histogram: IntervalHistogram;
  readonly #max: client.Gauge<string>;
  #sum = 0;
  #count = 0;

  constructor(name: string, histogram: IntervalHistogram, max: client.Gauge<string>) {
    this.name = name;
    this.#histogram = histogram;
    this.#max = max;
  }

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: unknown[] }> {
    const h = this.#histogram;
    const count = h.count;
    const values: { labels: Record<string, string | number>; value: number; metricName?: string }[] = [];
    for (const q of LAG_QUANTILES) {
      values.push({ labels: { quantile: q }, value: count > 0 ? h.percentile(q * 100) / 1e9 : Number.NaN });
    }
    if (count > 0) {
      this.#count += count;
      this.#sum += (h.mean * count) / 1e9;
      this.#max.set(h.max / 1e9);
    }
    values.push({ metricName: `${this.name}_sum`, labels: {}, value: this.#sum });
    values.push({ metricName: `${this.name}_count`, labels: {}, value: this.#count });
    h.reset();
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.#sum = 0;
    this.#count = 0;
    this.#histogram.reset();
  }
}

/**
 * Process and runtime metrics that pass `promtool check metrics`, written here instead of prom-client's
 * collectDefaultMetrics() because that one starts a gc PerformanceObserver and an event-loop-delay
 * histogram that it never stops, and names three gauges like counters. Everything except those two
 * is read at scrape time through collect(); stop() disables and disconnects both.
 */
export class DefaultMetrics {
  readonly #lag: IntervalHistogram;
  readonly #gcObserver: PerformanceObserver;
  #stopped = false;

  constructor(registry: client.Registry, prefix: string, options: DefaultMetricsOptions = {}) {
    const registers = [registry];
    const n = (name: string) => `${prefix}${name}`;
    const cpu = perScrape(() => process.cpuUsage());
    const heap = perScrape(() => v8.getHeapStatistics());
    const memory = perScrape(() => process.memoryUsage());

    const counter = (name: string, help: string, read: () => number) =>
      new client.Counter({
        name: n(name),
        help,
        registers,
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    const gauge = (name: string, help: string, read: () => number | Promise<number | undefined>) =>
      new client.Gauge({
        name: n(name),
        help,
        registers,
        async collect() {
          const value = await read();
          if (value === undefined) this.reset();
          else this.set(value);
        },
      });

    counter('process_cpu_user_seconds_total', 'User CPU time spent in seconds.', () => cpu().user / 1e6);
    counter(
      'process_cpu_system_seconds_total',
      'System CPU time spent in seconds.',
      () => cpu().system / 1e6,
    );
    counter('process_cpu_seconds_total', 'Total user and system CPU time spent in seconds.', () => {
      const usage = cpu();
      return (usage.user + usage.system) / 1e6;
    });
    const startTime = Math.round(Date.now() / 1000 - process.uptime());
    gauge(
      'process_start_time_seconds',
      'Start time of the process since unix epoch in seconds.',
      () => startTime,
    );
    gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', () => process.memoryUsage.rss());
    if (process.platform === 'linux') {
      gauge('process_open_fds', 'Number of open file descriptors.', async () => {
        // readdir holds one descriptor of its own while it reads the directory.
        return (await readdir('/proc/self/fd')).length - 1;
      });
      let maxFds: number | undefined;
      gauge('process_max_fds', 'Maximum number of open file descriptors.', async () => {
        if (maxFds === undefined) {
          const match = /Max open files\s+(\d+)/.exec(await readFile('/proc/self/limits', 'utf8'));
          maxFds = match?.[1] === undefined ? undefined : Number(match[1]);
        }
        return maxFds;
      });
    }
    gauge('nodejs_heap_size_used_bytes', 'V8 heap used, in bytes.', () => heap().used_heap_size);
    gauge('nodejs_heap_size_total_bytes', 'V8 heap allocated, in bytes.', () => heap().total_heap_size);
    gauge(
      'nodejs_heap_size_limit_bytes',
      'V8 heap size limit (--max-old-space-size and the young generation), in bytes.',
      () => heap().heap_size_limit,
    );
    gauge(
      'nodejs_external_memory_bytes',
      'Memory of C++ objects bound to JavaScript objects, in bytes.',
      () => memory().external,
    );
    gauge(
      'nodejs_array_buffers_bytes',
      'Memory of ArrayBuffers and SharedArrayBuffers, in bytes.',
      () => memory().arrayBuffers,
    );

    const spaces = perScrape(() => v8.getHeapSpaceStatistics());
    for (const [name, help, field] of [
      ['nodejs_heap_space_size_used_bytes', 'V8 heap space used, by space, in bytes.', 'space_used_size'],
      ['nodejs_heap_space_size_total_bytes', 'V8 heap space allocated, by space, in bytes.', 'space_size'],
    ] as const) {
      new client.Gauge({
        name: n(name),
        help,
        labelNames: ['space'],
        registers,
        collect() {
          this.reset();
          for (const space of spaces())
            this.set({ space: space.space_name.replace(/_space$/, '') }, space[field]);
        },
      });
    }

    this.#lag = monitorEventLoopDelay({ resolution: options.eventLoopResolutionMs ?? 10 });
    this.#lag.enable();
    const lagMax = new client.Gauge({
      name: n('nodejs_eventloop_lag_max_seconds'),
      help: 'Largest event-loop delay since the previous scrape, in seconds.',
      registers: [],
    });
    const lag = new EventLoopLagSummary(n('nodejs_eventloop_lag_seconds'), this.#lag, lagMax);
    registry.registerMetric(lag as unknown as client.Metric<string>);
    registry.registerMetric(lagMax);

    const gcHistogram = new client.Histogram({
      name: n('nodejs_gc_duration_seconds'),
      help: 'Garbage collection duration by kind, in seconds.',
      labelNames: ['kind'],
      buckets: [...(options.gcDurationBuckets ?? [0.001, 0.01, 0.1, 1, 2, 5])],
      registers,
    });
    // prom-client's observer reads only the first entry of each batch; every entry counts here.
    this.#gcObserver = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const kind =
          GC_KINDS[((entry as { detail?: unknown }).detail as { kind?: number } | undefined)?.kind ?? -1] ??
          'other';
        gcHistogram.observe({ kind }, entry.duration / 1000);
      }
    });
    this.#gcObserver.observe({ entryTypes: ['gc'] });

    const internals = process as unknown as ProcessInternals;
    gauge(
      'nodejs_active_handles',
      'Number of active libuv handles (sockets, servers, timers, child processes).',
      () =>
        internals._getActiveHandles
          ? internals._getActiveHandles().length
          : process.getActiveResourcesInfo().length,
    );
    gauge('nodejs_active_requests', 'Number of active libuv requests (fs, dns, ...).', () =>
      internals._getActiveRequests ? internals._getActiveRequests().length : 0,
    );
    new client.Gauge({
      name: n('nodejs_active_resources'),
      help: 'Number of active resources keeping the event loop alive, by type (process.getActiveResourcesInfo()).',
      labelNames: ['type'],
      registers,
      collect() {
        this.reset();
        const counts = new Map<string, number>();
        for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1);
        for (const [type, count] of counts) this.set({ type }, count);
      },
    });
    const [major = '', minor = '', patch = ''] = process.versions.node.split('.');
    const version = new client.Gauge({
      name: n('nodejs_version_info'),
      help: 'Node.js version info (always 1).',
      labelNames: ['version', 'major', 'minor', 'patch'],
      registers,
    });
    const info = { version: process.version, major, minor, patch };
    version.set(info, 1);
    // resetMetrics() must not lose the version series.
    const resetVersion = version.reset.bind(version);
    version.reset = () => {
      resetVersion();
      version.set(info, 1);
    };
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Disables the event-loop delay monitor and disconnects the gc observer. Idempotent. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#lag.disable();
    this.#gcObserver.disconnect();
  }
}
