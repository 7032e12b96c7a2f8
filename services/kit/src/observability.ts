import { getHeapStatistics } from 'node:v8';
import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface Observability {
  registry: Registry;
  before: RequestHandler[];
  metrics: RequestHandler;
  memory: RequestHandler;
  health(checks: Record<string, () => Promise<unknown>>): RequestHandler;
  close(): void;
}

/**
 * Request metrics and logging, /metrics, /memory and /health on a per-instance prom-client
 * registry (nothing global, no default collectors and so no timers). `stats` are read at scrape time.
 */
export function observability(options: {
  prefix: string;
  log: (level: 'info' | 'warn', message: string, fields: Record<string, unknown>) => void;
  metricsToken: string;
  /** Error code in the 401 body of /metrics. */
  unauthorizedCode: string;
  stats: Record<string, () => Record<string, number>>;
}): Observability {
  const registry = new Registry();
  const requests = new Counter({
    name: `${options.prefix}http_requests_total`,
    help: 'HTTP requests by method, route and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: `${options.prefix}http_request_duration_seconds`,
    help: 'HTTP request duration by method and route.',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  new Gauge({
    name: `${options.prefix}heap_used_ratio`,
    help: 'V8 heap used / heap limit.',
    registers: [registry],
    collect() {
      const h = getHeapStatistics();
      this.set(h.used_heap_size / h.heap_size_limit);
    },
  });
  for (const [source, read] of Object.entries(options.stats)) {
    const gauge = new Gauge({
      name: `${options.prefix}${source}_stat`,
      help: `stats() of ${source}, read at scrape time.`,
      labelNames: ['field'] as const,
      registers: [registry],
      collect() {
        for (const [field, value] of Object.entries(read()))
          if (Number.isFinite(value)) this.set({ field }, value);
      },
    });
    void gauge;
  }

  const track: RequestHandler = (req, res, next) => {
    const started = performance.now();
    res.once('finish', () => {
      // The matched route pattern keeps label cardinality bounded; unmatched paths share one label.
      const route =
        (req.route as { path?: string } | undefined)?.path ??
        (res.statusCode === 404 ? 'unmatched' : req.path);
      const seconds = (performance.now() - started) / 1000;
      requests.inc({ method: req.method, route: String(route), status: String(res.statusCode) });
      duration.observe({ method: req.method, route: String(route) }, seconds);
      options.log(res.statusCode >= 500 ? 'warn' : 'info', 'request', {
        'http.request.method': req.method,
        'url.path': req.path,
        'http.response.status_code': res.statusCode,
        'event.duration': Math.round(seconds * 1e9),
      });
    });
    next();
  };

  return {
    registry,
    before: [track],
    metrics: async (req, res) => {
      if (options.metricsToken && req.headers.authorization !== `Bearer ${options.metricsToken}`) {
        res.status(401).json({ error: { code: options.unauthorizedCode, message: 'bearer token required' } });
        return;
      }
      res.setHeader('content-type', registry.contentType).send(await registry.metrics());
    },
    memory: (_req, res) => {
      const m = process.memoryUsage();
      const h = getHeapStatistics();
      res.json({
        rss: m.rss,
        heapUsed: m.heapUsed,
        heapTotal: m.heapTotal,
        heapLimit: h.heap_size_limit,
        heapUsedRatio: h.used_heap_size / h.heap_size_limit,
        external: m.external,
        arrayBuffers: m.arrayBuffers,
      });
    },
    health: (checks) => async (_req, res) => {
      const results: Record<string, { ok: boolean; error?: string }> = {};
      await Promise.all(
        Object.entries(checks).map(async ([name, check]) => {
          try {
            await check();
            results[name] = { ok: true };
          } catch (error) {
            results[name] = { ok: false, error: error instanceof Error ? error.message : String(error) };
          }
        }),
      );
      const ok = Object.values(results).every((r) => r.ok);
      res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'unavailable', checks: results });
    },
    close: () => registry.clear(),
  };
}

/** 503 while the heap is above maxHeapRatio of its limit, so the process sheds load instead of dying. */
export function memoryGuard(maxHeapRatio: number, code: string): RequestHandler {
  return (_req, res, next) => {
    const { used_heap_size, heap_size_limit } = getHeapStatistics();
    if (used_heap_size / heap_size_limit > maxHeapRatio) {
      res.setHeader('retry-after', '5');
      res.status(503).json({ error: { code, message: 'memory pressure: try again later' } });
      return;
    }
    next();
  };
}
