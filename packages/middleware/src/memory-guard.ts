import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ELDHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { CloseOnce, type ErrorReporter, OwnedInterval, report, stderrReporter } from '@org/shared-lifecycle';
import { MiddlewareError } from './errors.js';
import { functionOption, numberOption } from './options.js';
import type { LogSink, Middleware } from './request-logger.js';

/** What process.memoryUsage() returns (the guard reads only these fields). */
export interface MemoryUsageLike {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

export interface MemoryGuardOptions {
  /** 503 when V8 heap used exceeds this. Default 90 % of the heap limit; 0 turns the check off. */
  maxHeapUsedBytes?: number;
  /** 503 when RSS exceeds this. Default 90 % of process.constrainedMemory() when the process has a limit, else off; 0 = off. */
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

export interface MemorySample {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  heapLimit: number;
  external: number;
  arrayBuffers: number;
  eventLoopDelayMs: number;
  at: number;
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
  thresholds: { maxHeapUsedBytes: number; maxRssBytes: number; maxEventLoopDelayMs: number };
  closed: boolean;
}

export interface MemoryGuard extends Middleware, AsyncDisposable {
  /** Stops sampling; afterwards every request passes. Idempotent. */
  close(): Promise<void>;
  stats(): MemoryGuardStats;
  isUnderPressure(): boolean;
  /** Samples now (the timer keeps its own pace). */
  sample(): Promise<void>;
  /** A health check (for healthHandler) that fails while the guard is under pressure. */
  readonly healthCheck: () => void;
}

const ELD_RESOLUTION_MS = 10;
const ELD_RESET_TICKS = 10_000_000;

function defaultRssLimit(): number {
  const constrained = process.constrainedMemory();
  // constrainedMemory() is 0 or a huge number when the process has no limit.
  if (!constrained || constrained >= Number.MAX_SAFE_INTEGER || constrained >= 2 ** 52) return 0;
  return Math.floor(constrained * 0.9);
}

/**
 * Answers 503 with Retry-After while the process is under memory or event-loop pressure, like
 * @fastify/under-pressure. Figures are sampled by an owned, unref'd, non-overlapping timer, never
 * per request; an episode is logged once when it starts and once when it ends.
 */
export function memoryGuard(options: MemoryGuardOptions = {}): MemoryGuard {
  if (typeof options !== 'object' || options === null) {
    throw new MiddlewareError('ORG_MIDDLEWARE_INVALID_OPTION', 'memoryGuard options must be an object');
  }
  const heapLimit = getHeapStatistics().heap_size_limit;
  const thresholds = {
    maxHeapUsedBytes: numberOption('maxHeapUsedBytes', options.maxHeapUsedBytes, Math.floor(heapLimit * 0.9)),
    maxRssBytes: numberOption('maxRssBytes', options.maxRssBytes, defaultRssLimit()),
    maxEventLoopDelayMs: numberOption('maxEventLoopDelayMs', options.maxEventLoopDelayMs, 1000),
  };
  const sampleIntervalMs = numberOption('sampleIntervalMs', options.sampleIntervalMs, 1000, {
    min: 1,
    max: 2 ** 31 - 1,
  });
  const retryAfter = String(
    numberOption('retryAfterSeconds', options.retryAfterSeconds, 10, { min: 0, max: 86_400, integer: true }),
  );
  const logger = options.logger;
  if (
    logger !== undefined &&
    (typeof logger !== 'object' || logger === null || typeof logger.log !== 'function')
  ) {
    throw new MiddlewareError(
      'ORG_MIDDLEWARE_INVALID_OPTION',
      'logger must have a log(level, message, meta) method',
      {
        details: { option: 'logger' },
      },
    );
  }
  const exempt = functionOption<((req: IncomingMessage) => boolean) | null>('exempt', options.exempt, null);
  const onError = functionOption<ErrorReporter>('onError', options.onError, stderrReporter);
  const readMemory = functionOption<() => MemoryUsageLike>('readMemory', options.readMemory, () =>
    process.memoryUsage(),
  );

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
      rss: usage.rss,
      heapUsed: usage.heapUsed,
      heapTotal: usage.heapTotal,
      heapLimit,
      external: usage.external,
      arrayBuffers: usage.arrayBuffers,
      eventLoopDelayMs,
      at: Date.now(),
    };
    samples++;
    lastSample = sample;
    let next: PressureReason | null = null;
    if (thresholds.maxHeapUsedBytes > 0 && sample.heapUsed > thresholds.maxHeapUsedBytes) next = 'heapUsed';
    else if (thresholds.maxRssBytes > 0 && sample.rss > thresholds.maxRssBytes) next = 'rss';
    else if (thresholds.maxEventLoopDelayMs > 0 && sample.eventLoopDelayMs > thresholds.maxEventLoopDelayMs) {
      next = 'eventLoopDelay';
    }
    if (next !== null && reason === null) {
      episodes++;
      rejectedAtEpisodeStart = rejected;
      episodeStart = sample.at;
      reason = next;
      log('warn', `memory guard: under pressure (${next}), answering 503`, {
        code: 'ORG_MIDDLEWARE_UNDER_PRESSURE',
        reason: next,
        sample,
        thresholds,
      });
    } else if (next === null && reason !== null) {
      const was = reason;
      reason = null;
      log('info', 'memory guard: pressure relieved', {
        reason: was,
        rejected: rejected - rejectedAtEpisodeStart,
        durationMs: sample.at - episodeStart,
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
  const lifecycle = new CloseOnce('memoryGuard', async () => {
    await timer.stop();
    delay?.disable();
    delay = null;
    reason = null;
  });

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
      res.setHeader('content-length', Buffer.byteLength(body));
    }
    res.end(body);
  }) as MemoryGuard;

  guard.close = () => lifecycle.close();
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
