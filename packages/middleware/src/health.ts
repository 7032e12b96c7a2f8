import type { IncomingMessage } from 'node:http';
import { type ErrorReporter, report, sleep } from '@org/shared-lifecycle';
import { MiddlewareError } from './errors.js';
import { check } from './options.js';
import { rejectMethod, sendJson } from './respond.js';
import type { EndpointHandler } from './types.js';

/** A health check: resolve (or return) when healthy, throw or reject when not. Should honour the signal. */
export type HealthCheck = (signal: AbortSignal) => unknown;

export interface HealthCheckSpec {
  check: HealthCheck;
  /** Also part of liveness. Default false: checks are readiness checks. */
  liveness?: boolean;
  /** Overrides the handler's timeoutMs for this check. */
  timeoutMs?: number;
  /**
   * Default true. A failing non-critical check (a log shipper, a cache) is reported in the answer
   * and makes the status "degraded", but the probe still answers 200.
   */
  critical?: boolean;
}

export interface HealthHandlerOptions {
  /** Named checks; a function is a readiness check with the default timeout. */
  checks?: Record<string, HealthCheck | HealthCheckSpec>;
  /** Per-check timeout. Default 2000 ms. */
  timeoutMs?: number;
  /** Which probe a request asks for. Default: liveness when the path ends in /live, /livez or /liveness, or ?probe=live. */
  probe?: (req: IncomingMessage) => 'liveness' | 'readiness';
  /** Where check failures are reported (they are also in the answer). Default: not reported. */
  onError?: ErrorReporter;
  /** Extra facts for the answer's `details` (where logs go, the database mode…), read per probe. Default none. */
  details?: () => Record<string, unknown>;
}

export interface CheckResult {
  status: 'ok' | 'fail';
  durationMs: number;
  error?: { code: string; message: string };
}

export interface HealthReport {
  /** ok: every check passed; degraded: only non-critical checks failed (still 200); fail: 503. */
  status: 'ok' | 'degraded' | 'fail';
  probe: 'liveness' | 'readiness';
  checks: Record<string, CheckResult>;
  details?: Record<string, unknown>;
}

interface ResolvedCheck {
  name: string;
  check: HealthCheck;
  liveness: boolean;
  critical: boolean;
  timeoutMs: number;
}

const LIVE_PATH = /\/(live|livez|liveness)\/?(\?|$)|[?&]probe=live(ness)?(&|$)/;

function defaultProbe(req: IncomingMessage): 'liveness' | 'readiness' {
  return LIVE_PATH.test(req.url ?? '') ? 'liveness' : 'readiness';
}

function failure(error: unknown, elapsed: number): CheckResult {
  const code =
    typeof (error as { code?: unknown })?.code === 'string'
      ? (error as { code: string }).code
      : 'ORG_MIDDLEWARE_HEALTH_CHECK_FAILED';
  const message = error instanceof Error ? error.message : String(error);
  return { status: 'fail', durationMs: elapsed, error: { code, message } };
}

async function runCheck(spec: ResolvedCheck): Promise<CheckResult> {
  const started = performance.now();
  const controller = new AbortController();
  const elapsed = () => Math.round((performance.now() - started) * 1000) / 1000;
  const timeout = new MiddlewareError('ORG_MIDDLEWARE_HEALTH_CHECK_TIMEOUT', `${spec.name} timed out`, {
    details: { check: spec.name, timeoutMs: spec.timeoutMs },
  });
  // lifecycle's sleep: an unref'd timer, cleared as soon as the check settles.
  const settled = new AbortController();
  const deadline = sleep(spec.timeoutMs, settled.signal).then(
    () => {
      controller.abort(timeout);
      return failure(timeout, elapsed());
    },
    () => undefined,
  );
  const work = (async (): Promise<CheckResult> => {
    try {
      await spec.check(controller.signal);
      return { status: 'ok', durationMs: elapsed() };
    } catch (error) {
      return failure(error, elapsed());
    }
  })();
  try {
    return (await Promise.race([work, deadline])) ?? (await work);
  } finally {
    settled.abort();
  }
}

function withDetails(report: HealthReport, details: (() => Record<string, unknown>) | null): HealthReport {
  if (details === null) return report;
  try {
    return { ...report, details: details() };
  } catch (error) {
    return { ...report, details: { error: error instanceof Error ? error.message : String(error) } };
  }
}

/**
 * GET /health: liveness and readiness from registered checks, each raced against its timeout (its
 * signal is aborted on timeout). 200 with `status: "ok"` when all pass, 200 with `"degraded"` when
 * only non-critical checks fail, 503 otherwise. Concurrent
 * probes of the same kind share one run, so a probe storm does not multiply the checks.
 */
export function healthHandler(options: HealthHandlerOptions = {}): EndpointHandler & {
  run(probe: 'liveness' | 'readiness'): Promise<HealthReport>;
} {
  check.object('healthHandler options', options);
  check.object('checks', options.checks);
  const timeoutMs = check.number('timeoutMs', options.timeoutMs, { default: 2000, min: 1, max: 2 ** 31 - 1 });
  const probeOf = check.fn('probe', options.probe, defaultProbe);
  const onError = check.optionalFn<ErrorReporter>('onError', options.onError);
  const details = check.optionalFn<() => Record<string, unknown>>('details', options.details);
  const checks: ResolvedCheck[] = [];
  for (const [name, value] of Object.entries(options.checks ?? {})) {
    const spec = typeof value === 'function' ? { check: value } : value;
    if (typeof spec !== 'object' || spec === null || typeof spec.check !== 'function') {
      check.fail(`checks.${name}`, `checks.${name} must be a function or { check }`);
    }
    checks.push({
      name,
      check: spec.check,
      liveness: spec.liveness === true,
      critical: spec.critical !== false,
      timeoutMs: check.number(`checks.${name}.timeoutMs`, spec.timeoutMs, {
        default: timeoutMs,
        min: 1,
        max: 2 ** 31 - 1,
      }),
    });
  }
  const inFlight = new Map<'liveness' | 'readiness', Promise<HealthReport>>();

  const run = (probe: 'liveness' | 'readiness'): Promise<HealthReport> => {
    const running = inFlight.get(probe);
    if (running !== undefined) return running;
    const selected = probe === 'liveness' ? checks.filter((c) => c.liveness) : checks;
    const promise = Promise.all(selected.map(runCheck))
      .then((results) => {
        const report: HealthReport = { status: 'ok', probe, checks: {} };
        results.forEach((result, i) => {
          const spec = selected[i]!;
          report.checks[spec.name] = result;
          if (result.status === 'ok') return;
          if (spec.critical) report.status = 'fail';
          else if (report.status === 'ok') report.status = 'degraded';
        });
        return report;
      })
      .finally(() => inFlight.delete(probe));
    inFlight.set(probe, promise);
    return promise;
  };

  const handler = ((req, res) => {
    if (rejectMethod(req, res)) return;
    run(probeOf(req)).then(
      (result) => {
        if (onError !== null) {
          for (const [name, checked] of Object.entries(result.checks)) {
            if (checked.status === 'fail') {
              report(
                onError,
                new MiddlewareError(
                  checked.error?.code === 'ORG_MIDDLEWARE_HEALTH_CHECK_TIMEOUT'
                    ? 'ORG_MIDDLEWARE_HEALTH_CHECK_TIMEOUT'
                    : 'ORG_MIDDLEWARE_HEALTH_CHECK_FAILED',
                  `health check ${name} failed: ${checked.error?.message ?? ''}`,
                  { details: { check: name, ...checked.error } },
                ),
                { source: 'healthHandler' },
              );
            }
          }
        }
        sendJson(req, res, result.status === 'fail' ? 503 : 200, withDetails(result, details));
      },
      // run() cannot reject (every check is caught), but no promise is left unhandled.
      (error: unknown) => sendJson(req, res, 503, { status: 'fail', error: String(error) }),
    );
  }) as EndpointHandler & { run(probe: 'liveness' | 'readiness'): Promise<HealthReport> };
  handler.run = run;
  return handler;
}
