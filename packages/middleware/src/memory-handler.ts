import type { IncomingMessage, ServerResponse } from 'node:http';
import { getHeapStatistics } from 'node:v8';
import { rejectMethod, sendJson } from './respond.js';

/** The body of the /memory endpoint; all sizes in bytes. */
export interface MemoryReport {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  heapLimit: number;
  external: number;
  arrayBuffers: number;
  /** heapUsed / heapLimit, 0…1. */
  heapUtilisation: number;
}

export function memoryReport(): MemoryReport {
  const usage = process.memoryUsage();
  const heapLimit = getHeapStatistics().heap_size_limit;
  return {
    rss: usage.rss,
    heapUsed: usage.heapUsed,
    heapTotal: usage.heapTotal,
    heapLimit,
    external: usage.external,
    arrayBuffers: usage.arrayBuffers,
    heapUtilisation: Math.round((usage.heapUsed / heapLimit) * 10_000) / 10_000,
  };
}

export type EndpointHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => void;

/** GET /memory: RSS, heap used/total/limit, external, array buffers and heap utilisation as JSON. */
export function memoryHandler(): EndpointHandler {
  return (req, res) => {
    if (rejectMethod(req, res)) return;
    sendJson(req, res, 200, memoryReport());
  };
}
