import type { IncomingMessage, ServerResponse } from 'node:http';
import { constants, type ELDHistogram, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import {
  type CloseContext,
  CloseOnce,
  type CloseOptions,
  type ErrorReporter,
  OwnedInterval,
  report,
  stderrReporter,
} from '@org/shared-lifecycle';
import { MiddlewareError } from './errors.js';
import { type MemoryLimits, memoryLimits } from './memory-limits.js';
import { check } from './options.js';
import type { LogSink, Middleware } from './types.js';

/** What process.memoryUsage() returns (the guard reads only these fields). */
export interface MemoryUsageLike {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

/** Fractions of the limits the default thresholds are set at. */
export const MEMORY_GUARD_DEFAULTS = Object.freeze({
  /**
   * Of the old-generation limit: under steady allocation V8 aborted at 113 MB of heap used with
   * `--max-old-space-size=128` (88 %) and at 382 MB with 384 (99 %); 80 % leaves room for the
   * sample interval at small heaps.
   */
  heapUsedRatio: 0.8,
  /** Of the container's memory limit: the kernel's OOM killer acts at 100 %. */
  rssRatio: 0.9,
  maxEventLoopDelayMs: 1000,
  sampleIntervalMs: 1000,
  retryAfterSeconds: 10,
});

export interface MemoryGuardOptions {
  /** 503 when V8 heap used exceeds this. Default 80 % of the old-generation limit (see memoryLimits()); 0 turns the check off. */
  maxHeapUsedBytes?: number;
  /** 503 when RSS exceeds this. Default 90 % of the container's memory limit when there is one, else off; 0 = off. */
  maxRssBytes?: number;
  /** 503 when the mean event-loop delay over the last sample interval exceeds this. Default 1000 ms; 0 = off. */
  maxEventLoopDelayMs?: number;
  /** How often the owned, unref'd timer samples. Default 1000 ms. */
  sampleIntervalMs?: number;
  /** Retry-After of the 503. Default 10 s. */
  retryAfterSeconds?: number;
  /** Gets one entry when an episode of pressure starts and one when it ends. */
  logger?: LogSink;
  /** Requests the guard lets through even under pressure (e.g. health and metrics probes). Default none. */
  exempt?: (req: IncomingMessage) => boolean;
  /** Where sampling errors go. Default: one line on stderr. */
  onError?: ErrorReporter;
  /** Source of memory figures. Default process.memoryUsage. */
  readMemory?: () => MemoryUsageLike;
}

/** One sample; sizes in bytes, the time in epoch milliseconds (the metrics package turns both into base units). */
export interface MemorySample {
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalBytes: number;
  arrayBuffersBytes: number;
  eventLoopDelayMs: number;
  timestampMs: number;
}

export interface MemoryThresholds {
  maxHeapUsedBytes: number;
  maxRssBytes: number;
  maxEventLoopDelayMs: number;
}

export type PressureReason = 'heapUsed' | 'rss' | 'eventLoopDelay';

export interface MemoryGuardStats {
  underPressure: boolean;
  /** Which threshold is exceeded (the first of heapUsed, rss, eventLoopDelay), or null. */
  reason: PressureReason | null;
  /** Episodes of pressure started since creation. */
  episodes: number;
  /** Requests answered 503 since creation. */
  rejected: number;
  samples: number;
  lastSample: MemorySample | null;
  /** What the process can use; the default thresholds are fractions of these. */
  limits: Pick<MemoryLimits, 'heapSizeLimitBytes' | 'oldGenerationBytes'> & { containerBytes: number };
  thresholds: MemoryThresholds;
  closed: boolean;
}

/** How @org/shared-metrics' collectStats() should read stats(): which fields are counters, and their help. */
export const MEMORY_GUARD_STATS_METRICS = Object.freeze({
  counters: ['episodes', 'rejected', 'samples'] as const,
  help: Object.freeze({
    underPressure: 'Whether the memory guard answers 503 now (1) or not (0).',
    episodes: 'Episodes of memory or event-loop pressure since start.',
    rejected: 'Requests the memory guard answered 503.',
    samples: 'Samples the memory guard took.',
    'lastSample.rssBytes': 'Resident set size at the last sample, in bytes.',
    'lastSample.heapUsedBytes': 'V8 heap used at the last sample, in bytes.',
    'lastSample.heapTotalBytes': 'V8 heap allocated at the last sample, in bytes.',
    'lastSample.externalBytes': 'Memory of C++ objects bound to JavaScript at the last sample, in bytes.',
    'lastSample.arrayBuffersBytes': 'ArrayBuffer memory at the last sample, in bytes.',
    'lastSample.eventLoopDelayMs': 'Mean event-loop delay over the last sample interval, in seconds.',
    'lastSample.timestampMs': 'Time of the last sample, in seconds since the epoch.',
    'limits.heapSizeLimitBytes': "V8's heap size limit (old plus young generation), in bytes.",
    'limits.oldGenerationBytes': 'Old-generation limit: the heap size V8 aborts near, in bytes.',
    'limits.containerBytes': "The container's memory limit (0: none), in bytes.",
    'thresholds.maxHeapUsedBytes': 'Heap used above which the guard answers 503 (0: off), in bytes.',
    'thresholds.maxRssBytes': 'RSS above which the guard answers 503 (0: off), in bytes.',
    'thresholds.maxEventLoopDelayMs':
      'Event-loop delay above which the guard answers 503 (0: off), in seconds.',
    closed: 'Whether the memory guard is closed (1) or running (0).',
  }),
});

export interface MemoryGuard extends Middleware, AsyncDisposable {
  /** Stops sampling (within the context's deadline); afterwards every request passes. Idempotent. */
  close(options?: CloseOptions | CloseContext): Promise<void>;
  /** The abortive close: the same, without waiting for a sample in progress. Idempotent. */
  destroy(reason?: unknown): Promise<void>;
  stats(): MemoryGuardStats;
  isUnderPressure(): boolean;
  /** Samples now (the timer keeps its own pace). */
  sample(): Promise<void>;
  /** A health check (for healthHandler) that fails while the guard is under pressure. */
  readonly healthCheck: () => void;
}

const ELD_RESOLUTION_MS = 10;
const ELD_RESET_TICKS = 10_000_000;

/** The thresholds memoryGuard() uses when none are given: fractions of what the process can really use. */
export function defaultThresholds(limits: MemoryLimits = memoryLimits()): MemoryThresholds {
  return {
    maxHeapUsedBytes: Math.floor(limits.oldGenerationBytes * MEMORY_GUARD_DEFAULTS.heapUsedRatio),
    maxRssBytes:
      limits.containerBytes === null ? 0 : Math.floor(limits.containerBytes * MEMORY_GUARD_DEFAULTS.rssRatio),
    maxEventLoopDelayMs: MEMORY_GUARD_DEFAULTS.maxEventLoopDelayMs,
  };
}

/**
 * Answers 503 with Retry-After while the process is under memory or event-loop pressure, like
 * @fastify/under-pressure. Figures are sampled by an owned, unref'd, non-overlapping timer, never
 * per request; an episode is logged once when it starts and once when it ends.
 */
export function memoryGuard(options: MemoryGuardOptions = {}): MemoryGuard {
  if (typeof options !== 'object' || options === null)
    check.fail('options', 'memoryGuard options must be an object');
  const limits = memoryLimits();
  const defaults = defaultThresholds(limits);
  const thresholds: MemoryThresholds = {
    maxHeapUsedBytes: check.number('maxHeapUsedBytes', options.maxHeapUsedBytes, {
      default: defaults.maxHeapUsedBytes,
    }),
    maxRssBytes: check.number('maxRssBytes', options.maxRssBytes, { default: defaults.maxRssBytes }),
    maxEventLoopDelayMs: check.number('maxEventLoopDelayMs', options.maxEventLoopDelayMs, {
      default: defaults.maxEventLoopDelayMs,
    }),
  };
  const sampleIntervalMs = check.number('sampleIntervalMs', options.sampleIntervalMs, {
    default: MEMORY_GUARD_DEFAULTS.sampleIntervalMs,
    min: 1,
    max: 2 ** 31 - 1,
  });
  const retryAfter = String(
    check.number('retryAfterSeconds', options.retryAfterSeconds, {
      default: MEMORY_GUARD_DEFAULTS.retryAfterSeconds,
      min: 0,
      max: 86_400,
      integer: true,
    }),
  );
  const logger = options.logger;
  if (logger !== undefined) check.hasMethod('logger', logger, 'log', 'log(level, message, meta)');
  const exempt = check.optionalFn<(req: IncomingMessage) => boolean>('exempt', options.exempt);
  const onError = check.fn<ErrorReporter>('onError', options.onError, stderrReporter);
  const readMemory = check.fn<() => MemoryUsageLike>('readMemory', options.readMemory, () =>
    process.memoryUsage(),
  );
  const limitStats = {
    heapSizeLimitBytes: limits.heapSizeLimitBytes,
    oldGenerationBytes: limits.oldGenerationBytes,
    containerBytes: limits.containerBytes ?? 0,
  };

  let reason: PressureReason | null = null;
  let episodes = 0;
  let rejected = 0;
  let rejectedAtEpisodeStart = 0;
  let episodeStart = 0;
  let samples = 0;
  let lastSample: MemorySample | null = null;
  let delay: ELDHistogram | null = null;
  let eldCount = 0;
  let eldSum = 0;
  let lastDelayMs = 0;
  if (thresholds.maxEventLoopDelayMs > 0) {
    delay = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
    delay.enable();
  }

  const log = (level: string, message: string, meta: Record<string, unknown>) => {
    if (logger === undefined) return;
    try {
      logger.log(level, message, meta);
    } catch (error) {
      report(
        onError,
        new MiddlewareError('ORG_MIDDLEWARE_LOG_FAILED', 'the logging sink threw', { cause: error }),
        {
          source: 'memoryGuard',
        },
      );
    }
  };

  const takeSample = () => {
    const usage = readMemory();
    let eventLoopDelayMs = 0;
    if (delay !== null) {
      // The mean over this interval from the cumulative count and sum, without reset(): reset() also
      // forgets the time of the histogram's last tick, so the tick right after it records nothing, and
      // a loop blocked right after a sample (the tick that measures the block) would go unseen. Each
      // tick measures the resolution plus the delay; subtract it as @fastify/under-pressure does.
      const count = delay.count;
      const sum = count > 0 ? delay.mean * count : 0;
      const ticks = count - eldCount;
      // No tick since the last sample (sampled twice within the resolution, or the tick that measures
      // a block is still due in this same timers phase): no new information, keep the last figure.
      if (ticks > 0) lastDelayMs = Math.max(0, (sum - eldSum) / ticks / 1e6 - ELD_RESOLUTION_MS);
      eventLoopDelayMs = lastDelayMs;
      if (count >= ELD_RESET_TICKS) {
        // About 28 h at 10 ms: start over while the sum is still exact (costs one tick).
        delay.reset();
        eldCount = 0;
        eldSum = 0;
      } else {
        eldCount = count;
        eldSum = sum;
      }
    }
    const sample: MemorySample = {
      rssBytes: usage.rss,
      heapUsedBytes: usage.heapUsed,
      heapTotalBytes: usage.heapTotal,
      externalBytes: usage.external,
      arrayBuffersBytes: usage.arrayBuffers,
      eventLoopDelayMs,
      timestampMs: Date.now(),
    };
    samples++;
    lastSample = sample;
    let next: PressureReason | null = null;
    if (thresholds.maxHeapUsedBytes > 0 && sample.heapUsedBytes > thresholds.maxHeapUsedBytes)
      next = 'heapUsed';
    else if (thresholds.maxRssBytes > 0 && sample.rssBytes > thresholds.maxRssBytes) next = 'rss';
    else if (thresholds.maxEventLoopDelayMs > 0 && sample.eventLoopDelayMs > thresholds.maxEventLoopDelayMs) {
      next = 'eventLoopDelay';
    }
    if (next !== null && reason === null) {
      episodes++;
      rejectedAtEpisodeStart = rejected;
      episodeStart = sample.timestampMs;
      reason = next;
      log('warn', `memory guard: under pressure (${next}), answering 503`, {
        code: 'ORG_MIDDLEWARE_UNDER_PRESSURE',
        reason: next,
        sample,
        limits: limitStats,
        thresholds,
      });
    } else if (next === null && reason !== null) {
      const was = reason;
      reason = null;
      log('info', 'memory guard: pressure relieved', {
        reason: was,
        rejected: rejected - rejectedAtEpisodeStart,
        durationMs: sample.timestampMs - episodeStart,
        sample,
      });
    } else if (next !== null) {
      reason = next;
    }
  };

  const timer = new OwnedInterval(takeSample, {
    intervalMs: sampleIntervalMs,
    name: 'memoryGuard',
    onError,
  }).start();
  // A heap growing towards its limit makes V8 run major GCs ever more often: a sample right after
  // each one sees the live size as soon as it is known, between the timer's samples.
  let gcObserver: PerformanceObserver | null = null;
  if (thresholds.maxHeapUsedBytes > 0) {
    gcObserver = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        if ((entry as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
          timer.trigger().catch((error: unknown) => report(onError, error, { source: 'memoryGuard' }));
          return;
        }
      }
    });
    gcObserver.observe({ entryTypes: ['gc'] });
  }
  const lifecycle = new CloseOnce(
    'memoryGuard',
    async (ctx) => {
      gcObserver?.disconnect();
      gcObserver = null;
      await timer.stop({ abort: ctx.signal.aborted });
      delay?.disable();
      delay = null;
      reason = null;
    },
    { onError },
  );

  const guard = ((req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => {
    if (reason === null || exempt?.(req)) {
      next();
      return;
    }
    rejected++;
    const body = JSON.stringify({
      error: 'ORG_MIDDLEWARE_UNDER_PRESSURE',
      message: 'Service under pressure, retry later',
    });
    if (!res.headersSent) {
      res.statusCode = 503;
      res.setHeader('retry-after', retryAfter);
      res.setHeader('content-type', 'application/json');
      res.setHeader('cache-control', 'no-store');
      res.setHeader('content-length', Buffer.byteLength(body));
    }
    res.end(body);
  }) as MemoryGuard;

  guard.close = (options) => lifecycle.close(options);
  guard.destroy = (why) => lifecycle.destroy(why);
  guard[Symbol.asyncDispose] = () => lifecycle.close();
  guard.isUnderPressure = () => reason !== null;
  guard.sample = () => (lifecycle.closed ? Promise.resolve() : timer.trigger());
  guard.stats = () => ({
    underPressure: reason !== null,
    reason,
    episodes,
    rejected,
    samples,
    lastSample,
    limits: { ...limitStats },
    thresholds: { ...thresholds },
    closed: lifecycle.closed,
  });
  Object.defineProperty(guard, 'healthCheck', {
    enumerable: true,
    value: () => {
      if (reason !== null) {
        throw new MiddlewareError('ORG_MIDDLEWARE_UNDER_PRESSURE', `under pressure: ${reason}`, {
          details: { reason },
        });
      }
    },
  });
  return guard;
}
