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

/**
 * Names of the default metrics, without the instance prefix: prom-client's `collectDefaultMetrics()`
 * names (same types and labels, so its dashboards and recording rules work), plus two of ours.
 */
export const DEFAULT_METRIC_NAMES = [
  'process_cpu_user_seconds_total',
  'process_cpu_system_seconds_total',
  'process_cpu_seconds_total',
  'process_start_time_seconds',
  'process_resident_memory_bytes',
  'process_virtual_memory_bytes',
  'process_heap_bytes',
  'process_open_fds',
  'process_max_fds',
  'nodejs_eventloop_lag_seconds',
  'nodejs_eventloop_lag_min_seconds',
  'nodejs_eventloop_lag_max_seconds',
  'nodejs_eventloop_lag_mean_seconds',
  'nodejs_eventloop_lag_stddev_seconds',
  'nodejs_eventloop_lag_p50_seconds',
  'nodejs_eventloop_lag_p90_seconds',
  'nodejs_eventloop_lag_p99_seconds',
  'nodejs_active_resources',
  'nodejs_active_resources_total',
  'nodejs_active_handles',
  'nodejs_active_handles_total',
  'nodejs_active_requests',
  'nodejs_active_requests_total',
  'nodejs_heap_size_total_bytes',
  'nodejs_heap_size_used_bytes',
  'nodejs_external_memory_bytes',
  'nodejs_heap_space_size_total_bytes',
  'nodejs_heap_space_size_used_bytes',
  'nodejs_heap_space_size_available_bytes',
  'nodejs_version_info',
  'nodejs_gc_duration_seconds',
  // Not in prom-client's set:
  'nodejs_heap_size_limit_bytes',
  'nodejs_array_buffers_bytes',
] as const;

/**
 * prom-client names three gauges `*_total`, which `promtool check metrics` reports ("non-counter
 * metrics should not have _total suffix"). They keep prom-client's names (queries and dashboards
 * select by name) and are typed `untyped` (OpenMetrics: `unknown`), which the linter accepts.
 */
export const PROM_CLIENT_TOTAL_GAUGES = [
  'nodejs_active_resources_total',
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
] as const;

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};
const MINOR_MARK_SWEEP = (constants as Record<string, number>).NODE_PERFORMANCE_GC_MINOR_MARK_SWEEP;
if (MINOR_MARK_SWEEP !== undefined) GC_KINDS[MINOR_MARK_SWEEP] = 'minor_mark_sweep';

interface ProcessInternals {
  _getActiveHandles?: () => unknown[];
  _getActiveRequests?: () => unknown[];
}

/** Counts by constructor name, as prom-client groups handles and requests. */
function countByConstructor(list: readonly unknown[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of list) {
    const name = (item as { constructor?: { name?: unknown } } | null)?.constructor?.name;
    if (typeof name === 'string') counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

function countByValue(list: readonly unknown[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of list) counts.set(String(item), (counts.get(String(item)) ?? 0) + 1);
  return counts;
}

/** VmRSS, VmSize and VmData of /proc/self/status, in bytes (what prom-client reads on Linux). */
async function procStatus(): Promise<{
  rss: number | undefined;
  virtual: number | undefined;
  heap: number | undefined;
}> {
  const text = await readFile('/proc/self/status', 'utf8');
  const kb = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return match?.[1] === undefined ? undefined : Number(match[1]) * 1024;
  };
  return { rss: kb('VmRSS'), virtual: kb('VmSize'), heap: kb('VmData') };
}

/** Resolves after the event loop has gone round once: how long that took is its lag right now. */
function loopLag(): Promise<number> {
  const start = process.hrtime.bigint();
  return new Promise((resolve) => setImmediate(() => resolve(Number(process.hrtime.bigint() - start) / 1e9)));
}

/**
 * Process and runtime metrics under the names, types and labels of prom-client's
 * collectDefaultMetrics(), written here because that one starts a gc PerformanceObserver and an
 * event-loop-delay histogram that it never stops, and reads only the first gc entry of each batch.
 * Everything except those two is read at scrape time through collect(); stop() disables and
 * disconnects both.
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
    const internals = process as unknown as ProcessInternals;

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
    const gauge = (
      name: string,
      help: string,
      read: () => number | undefined | Promise<number | undefined>,
    ) =>
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
    const untyped = (name: string, help: string, read: () => number) => {
      const metric = gauge(name, help, read);
      (metric as unknown as { type: string }).type = 'untyped';
      return metric;
    };
    const byType = (name: string, help: string, read: () => Map<string, number>) =>
      new client.Gauge({
        name: n(name),
        help,
        labelNames: ['type'],
        registers,
        collect() {
          this.reset();
          for (const [type, count] of read()) this.set({ type }, count);
        },
      });

    counter(
      'process_cpu_user_seconds_total',
      'Total user CPU time spent in seconds.',
      () => cpu().user / 1e6,
    );
    counter(
      'process_cpu_system_seconds_total',
      'Total system CPU time spent in seconds.',
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
    if (process.platform === 'linux') {
      const status = perScrape(() => procStatus());
      gauge(
        'process_resident_memory_bytes',
        'Resident memory size in bytes.',
        async () => (await status()).rss,
      );
      gauge(
        'process_virtual_memory_bytes',
        'Virtual memory size in bytes.',
        async () => (await status()).virtual,
      );
      gauge('process_heap_bytes', 'Process heap size in bytes.', async () => (await status()).heap);
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
    } else {
      gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', () =>
        process.memoryUsage.rss(),
      );
    }

    // The event loop: the lag of one turn at scrape time, and the delay histogram since the previous scrape.
    this.#lag = monitorEventLoopDelay({ resolution: options.eventLoopResolutionMs ?? 10 });
    this.#lag.enable();
    const lag = this.#lag;
    const histogramGauge = (name: string, help: string) =>
      new client.Gauge({ name: n(name), help, registers: [] });
    const lagGauges = {
      min: histogramGauge('nodejs_eventloop_lag_min_seconds', 'The minimum recorded event loop delay.'),
      max: histogramGauge('nodejs_eventloop_lag_max_seconds', 'The maximum recorded event loop delay.'),
      mean: histogramGauge(
        'nodejs_eventloop_lag_mean_seconds',
        'The mean of the recorded event loop delays.',
      ),
      stddev: histogramGauge(
        'nodejs_eventloop_lag_stddev_seconds',
        'The standard deviation of the recorded event loop delays.',
      ),
      p50: histogramGauge(
        'nodejs_eventloop_lag_p50_seconds',
        'The 50th percentile of the recorded event loop delays.',
      ),
      p90: histogramGauge(
        'nodejs_eventloop_lag_p90_seconds',
        'The 90th percentile of the recorded event loop delays.',
      ),
      p99: histogramGauge(
        'nodejs_eventloop_lag_p99_seconds',
        'The 99th percentile of the recorded event loop delays.',
      ),
    };
    const lagNow = new client.Gauge({
      name: n('nodejs_eventloop_lag_seconds'),
      help: 'Lag of event loop in seconds.',
      registers: [],
      // One collect() sets them all, as prom-client does; the histogram restarts for the next scrape.
      async collect() {
        if (lag.count > 0) {
          lagGauges.min.set(lag.min / 1e9);
          lagGauges.max.set(lag.max / 1e9);
          lagGauges.mean.set(lag.mean / 1e9);
          lagGauges.stddev.set(lag.stddev / 1e9);
          lagGauges.p50.set(lag.percentile(50) / 1e9);
          lagGauges.p90.set(lag.percentile(90) / 1e9);
          lagGauges.p99.set(lag.percentile(99) / 1e9);
        }
        lag.reset();
        this.set(await loopLag());
      },
    });
    registry.registerMetric(lagNow);
    for (const metric of Object.values(lagGauges)) registry.registerMetric(metric);

    // A family by type and its total (named *_total by prom-client, hence untyped) per kind of resource.
    const active = (
      kind: 'resources' | 'handles' | 'requests',
      help: string,
      read: () => readonly unknown[],
      count: (items: readonly unknown[]) => Map<string, number>,
    ) => {
      const items = perScrape(read);
      byType(`nodejs_active_${kind}`, help, () => count(items()));
      untyped(`nodejs_active_${kind}_total`, `Total number of active ${kind}.`, () => items().length);
    };
    active(
      'resources',
      'Number of active resources that are currently keeping the event loop alive, grouped by async resource type.',
      () => process.getActiveResourcesInfo(),
      countByValue,
    );
    for (const [kind, list, help] of [
      ['handles', internals._getActiveHandles, 'Number of active libuv handles grouped by handle type.'],
      ['requests', internals._getActiveRequests, 'Number of active libuv requests grouped by request type.'],
    ] as const) {
      if (typeof list === 'function') {
        active(
          kind,
          `${help} Every ${kind.slice(0, -1)} type is C++ class name.`,
          () => list.call(process),
          countByConstructor,
        );
      }
    }

    gauge(
      'nodejs_heap_size_total_bytes',
      'Process heap size from Node.js in bytes.',
      () => memory().heapTotal,
    );
    gauge(
      'nodejs_heap_size_used_bytes',
      'Process heap size used from Node.js in bytes.',
      () => memory().heapUsed,
    );
    gauge('nodejs_external_memory_bytes', 'Node.js external memory size in bytes.', () => memory().external);
    gauge(
      'nodejs_heap_size_limit_bytes',
      "V8's heap size limit (the old generation given by --max-old-space-size plus the young generation), in bytes.",
      () => heap().heap_size_limit,
    );
    gauge(
      'nodejs_array_buffers_bytes',
      'Memory of ArrayBuffers and SharedArrayBuffers, in bytes.',
      () => memory().arrayBuffers,
    );

    const spaces = perScrape(() => v8.getHeapSpaceStatistics());
    for (const [kind, field] of [
      ['total', 'space_size'],
      ['used', 'space_used_size'],
      ['available', 'space_available_size'],
    ] as const) {
      new client.Gauge({
        name: n(`nodejs_heap_space_size_${kind}_bytes`),
        help: `Process heap space size ${kind} from Node.js in bytes.`,
        labelNames: ['space'],
        registers,
        collect() {
          this.reset();
          for (const space of spaces())
            this.set({ space: space.space_name.replace(/_space$/, '') }, space[field]);
        },
      });
    }

    const [major = '', minor = '', patch = ''] = process.versions.node.split('.');
    const version = new client.Gauge({
      name: n('nodejs_version_info'),
      help: 'Node.js version info.',
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

    const gcHistogram = new client.Histogram({
      name: n('nodejs_gc_duration_seconds'),
      help: 'Garbage collection duration by kind, one of major, minor, incremental or weakcb.',
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
