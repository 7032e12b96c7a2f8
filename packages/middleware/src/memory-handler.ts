import { defaultThresholds, type MemoryGuard, type MemoryThresholds } from './memory-guard.js';
import { type MemoryLimits, memoryLimits } from './memory-limits.js';
import { check } from './options.js';
import { rejectMethod, sendJson } from './respond.js';
import type { EndpointHandler } from './types.js';

/** The body of the /memory endpoint; sizes in bytes. */
export interface MemoryReport {
  /** process.memoryUsage(), as Node names it. */
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** What the process can really use. */
  limits: MemoryLimits;
  /** heapUsed / limits.oldGenerationBytes, 0…1. */
  heapUtilisation: number;
  /** rss / limits.containerBytes, 0…1, or null without a container limit. */
  rssUtilisation: number | null;
  /** The guard's thresholds, or the defaults it would use when the handler was given no guard. */
  thresholds: MemoryThresholds;
  thresholdsSource: 'guard' | 'defaults';
  /** The guard's state, when the handler was given one. */
  guard: { underPressure: boolean; reason: string | null; episodes: number; rejected: number } | null;
}

export interface MemoryHandlerOptions {
  /** The service's memory guard: its thresholds and state are shown. */
  guard?: MemoryGuard;
}

const ratio = (part: number, whole: number) => Math.round((part / whole) * 10_000) / 10_000;

/** The /memory report: usage, the limits the process really has, and the thresholds in force. */
export function memoryReport(guard?: MemoryGuard): MemoryReport {
  const usage = process.memoryUsage();
  const limits = memoryLimits();
  const stats = guard?.stats();
  return {
    rss: usage.rss,
    heapUsed: usage.heapUsed,
    heapTotal: usage.heapTotal,
    external: usage.external,
    arrayBuffers: usage.arrayBuffers,
    limits,
    heapUtilisation: ratio(usage.heapUsed, limits.oldGenerationBytes),
    rssUtilisation: limits.containerBytes === null ? null : ratio(usage.rss, limits.containerBytes),
    thresholds: stats?.thresholds ?? defaultThresholds(limits),
    thresholdsSource: stats === undefined ? 'defaults' : 'guard',
    guard:
      stats === undefined
        ? null
        : {
            underPressure: stats.underPressure,
            reason: stats.reason,
            episodes: stats.episodes,
            rejected: stats.rejected,
          },
  };
}

/** GET /memory: memoryReport() as JSON, never cached. */
export function memoryHandler(options: MemoryHandlerOptions = {}): EndpointHandler {
  check.object('memoryHandler options', options);
  const guard = options.guard;
  if (guard !== undefined) check.hasMethod('guard', guard, 'stats', 'stats()');
  return (req, res) => {
    if (rejectMethod(req, res)) return;
    sendJson(req, res, 200, memoryReport(guard));
  };
}
