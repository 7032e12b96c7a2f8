/**
 * One endurance run: start the services of a config, drive them with the load through the fault
 * schedule, sample every service each tick into the downsampled series, count lost data, stop
 * everything, judge, and write the report files. runEndurance() never throws for a failed bound: the
 * verdict is in the summary it returns.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { basename } from 'node:path';
import { setTimeout as wait } from 'node:timers/promises';
import { formatElapsed, ProgressLine, type ProgressStream } from '@org/shared-leakcheck/progress';
import { type ErrorReporter, OwnedInterval } from '@org/shared-lifecycle';
import { type Check, failed, judgeMemory, type RunFacts, runChecks } from './checks.js';
import type { ConfigContext, ConfigInput, EnduranceConfig, FaultSpec } from './config.js';
import { checkConfig } from './config-check.js';
import { formatDuration } from './duration.js';
import { EnduranceError } from './errors.js';
import { Load } from './load.js';
import { type ProbeTarget, probe, readMetric } from './probe.js';
import { NODE_COLUMNS } from './sampler.js';
import { SeriesStore } from './series.js';
import { RunningService } from './service.js';
import { type RunSummary, summarize } from './summary.js';

export interface RunOptions {
  durationMs: number;
  outDir: string;
  /** Total req/s (default: the config's load.rate). */
  rate?: number;
  /** Heartbeat interval (default: the config's, else 30 s). */
  progressIntervalMs?: number;
  /** Where the progress and the event lines go. Default process.stdout. */
  stream?: ProgressStream;
  /** Force the live line on or off. Default: the stream is a TTY. */
  live?: boolean;
  /** Name of the config file (shown when the config has no name). */
  configFile?: string;
  /** Aborts the run: the services and the load are stopped, the teardowns run, and runEndurance rejects with ORG_ENDURANCE_ABORTED. */
  signal?: AbortSignal;
}

interface FaultState extends FaultSpec {
  startS: number;
  endS: number;
  started: boolean;
  stopped: boolean;
  errors: string[];
}

const describe = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Resolves a config input (object or function of the run) and checks it. */
export async function resolveConfig(input: ConfigInput, context: ConfigContext): Promise<EnduranceConfig> {
  let config: EnduranceConfig;
  try {
    config = typeof input === 'function' ? await input(context) : input;
  } catch (error) {
    if (error instanceof EnduranceError) throw error;
    throw new EnduranceError('ORG_ENDURANCE_SETUP_FAILED', `the config's set-up failed: ${describe(error)}`, {
      cause: error,
    });
  }
  checkConfig(config);
  return config;
}

export async function runEndurance(input: ConfigInput, options: RunOptions): Promise<RunSummary> {
  const durationS = options.durationMs / 1000;
  mkdirSync(options.outDir, { recursive: true });
  const closers: (() => unknown)[] = [];
  const events: string[] = [];
  let progress: ProgressLine | null = null;
  const log = (line: string) => {
    if (progress) progress.log(line);
    else (options.stream ?? process.stdout).write(`endurance: ${line}\n`);
  };
  const reportError: ErrorReporter = (error, context) => {
    events.push(`${context.source}: ${describe(error)}`);
    log(`error in ${context.source}: ${describe(error)}`);
  };
  const runId = `e${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const services: RunningService[] = [];
  try {
    const config = await resolveConfig(input, {
      durationMs: options.durationMs,
      runId,
      outDir: options.outDir,
      log,
      onClose: (close) => closers.push(close),
    });
    const runStartedAt = Date.now();
    for (const spec of config.services) {
      services.push(await RunningService.start(spec, { outDir: options.outDir, runStartedAt }));
      log(`${spec.name} up on ${services.at(-1)!.url}`);
    }
    const probes = new Map<string, ProbeTarget>(
      services.map((s) => [
        s.spec.name,
        {
          url: s.url,
          memoryPath: s.spec.memoryPath === undefined ? '/memory' : s.spec.memoryPath,
          metricsPath: s.spec.metricsPath ?? '/metrics',
          headers: s.spec.headers ?? {},
          columns: s.spec.columns ?? [],
          timeoutMs: Math.max(200, (config.sampleIntervalMs ?? 1000) * 0.9),
        },
      ]),
    );
    const faults: FaultState[] = [...(config.faults ?? [])]
      .sort((a, b) => a.from - b.from)
      .map((f) => ({
        ...f,
        startS: f.from * durationS,
        endS: f.to * durationS,
        started: false,
        stopped: false,
        errors: [],
      }));
    const series = new SeriesStore();
    const seen = new Map(services.map((s) => [s.spec.name, new Set<string>()]));
    const answered = new Map(services.map((s) => [s.spec.name, 0]));
    const latest = new Map<string, Record<string, number>>();
    let ticks = 0;
    let lastTick = { reqPerS: 0, errorRate: 0 };

    const load = new Load(
      config.load,
      new Map(services.map((s) => [s.spec.name, s.url])),
      durationS,
      options.rate,
    );
    const started = Date.now();
    const elapsedS = () => (Date.now() - started) / 1000;
    // Fault transitions run one after another, beside the sampling (a replica restart takes seconds).
    let faultChain: Promise<void> = Promise.resolve();
    const transition = (f: FaultState, what: 'start' | 'stop') => {
      if (what === 'start') f.started = true;
      else f.stopped = true;
      faultChain = faultChain.then(async () => {
        log(`${formatElapsed(elapsedS() * 1000)}: ${f.name} ${what === 'start' ? 'begins' : 'ends'}`);
        try {
          await f[what]();
        } catch (error) {
          f.errors.push(`${what}: ${describe(error)}`);
          log(`${f.name} ${what} failed: ${describe(error)}`);
        }
      });
    };
    const currentFault = () => faults.find((f) => f.started && !f.stopped)?.name ?? 'none';
    // Request and error rates over the last 5 s (at least five ticks), sliding: autocannon sends each
    // second's requests in a burst, so with samples every 250 ms three ticks in four read 0 req/s; a
    // window of 1 s read 0 or 200 req/s as the bursts drifted across its edges, one of 2 s up to 146.
    const rateWindowMs = 5 * Math.max(1000, config.sampleIntervalMs ?? 1000);
    const rateTicks: { at: number; requests: number; errors: number }[] = [];
    let rateFrom = started;
    const tick = async () => {
      const t = elapsedS();
      for (const f of faults) {
        if (!f.started && t >= f.startS) transition(f, 'start');
        if (f.started && !f.stopped && t >= f.endS) transition(f, 'stop');
      }
      const now = Date.now();
      const l = load.take();
      rateTicks.push({ at: now, requests: l.requests, errors: l.errors });
      while (rateTicks.length > 1 && now - rateTicks[0]!.at >= rateWindowMs) rateFrom = rateTicks.shift()!.at;
      const requests = rateTicks.reduce((a, r) => a + r.requests, 0);
      const errors = rateTicks.reduce((a, r) => a + r.errors, 0);
      lastTick = {
        reqPerS: requests / Math.max(0.001, (now - rateFrom) / 1000),
        errorRate: requests === 0 ? 0 : errors / requests,
      };
      ticks++;
      await Promise.all(
        services.map(async (s) => {
          const name = s.spec.name;
          const row: Record<string, number | undefined> = {
            req_per_s: lastTick.reqPerS,
            error_rate: lastTick.errorRate,
            latency_p50_ms: l.p50 ?? undefined,
            latency_p99_ms: l.p99 ?? undefined,
          };
          try {
            Object.assign(row, await probe(probes.get(name)!));
            answered.set(name, answered.get(name)! + 1);
            latest.set(name, row as Record<string, number>);
          } catch {
            // not answered: counted by "samples answered"
          }
          for (const [k, v] of Object.entries(row)) if (v !== undefined) seen.get(name)!.add(k);
          series.add(name, t, row);
        }),
      );
    };
    progress = new ProgressLine({
      prefix: 'endurance: ',
      intervalMs: options.progressIntervalMs ?? config.progressIntervalMs ?? 30_000,
      ...(options.stream ? { stream: options.stream } : {}),
      ...(options.live === undefined ? {} : { live: options.live }),
      onError: reportError,
      render: () => {
        const e = elapsedS() * 1000;
        const mem = services
          .map((s) => {
            const r = latest.get(s.spec.name);
            const v = (k: string) => (r?.[k] === undefined ? '?' : r[k]!.toFixed(0));
            return `${s.spec.name} rss ${v('rss_mb')} heap ${v('heap_used_mb')} MB`;
          })
          .join(' · ');
        return `${formatElapsed(e)} / ${formatDuration(options.durationMs)} (${formatElapsed(options.durationMs - e)} left) · ${lastTick.reqPerS.toFixed(0)} req/s · errors ${(lastTick.errorRate * 100).toFixed(1)} % · ${mem} · fault: ${currentFault()}`;
      },
    });
    log(
      `running ${config.name ?? basename(options.configFile ?? 'config')} for ${formatDuration(options.durationMs)} at ~${load.rate} req/s; faults: ${faults.map((f) => `${f.name} ${f.startS.toFixed(0)}–${f.endS.toFixed(0)} s`).join(', ') || 'none'}`,
    );
    progress.start();
    const sampler = new OwnedInterval(tick, {
      name: 'endurance-sampler',
      intervalMs: config.sampleIntervalMs ?? 1000,
      ref: true,
      onError: reportError,
    });
    await sampler.trigger();
    sampler.start();
    // autocannon stops itself after the duration; the deadline is a guard against a stuck instance.
    const guard = new AbortController();
    const aborted = new Promise<void>((resolve) => {
      if (options.signal?.aborted) resolve();
      options.signal?.addEventListener('abort', () => resolve(), { once: true, signal: guard.signal });
    });
    await Promise.race([
      load.finished,
      aborted,
      wait(options.durationMs + 30_000, undefined, { signal: guard.signal }).catch(() => {}),
    ]);
    guard.abort();
    await sampler.stop();
    await load.stop();
    if (options.signal?.aborted) {
      for (const f of faults) if (f.started && !f.stopped) transition(f, 'stop');
      await faultChain;
      throw new EnduranceError(
        'ORG_ENDURANCE_ABORTED',
        `interrupted after ${formatElapsed(elapsedS() * 1000)}: services stopped, nothing judged`,
      );
    }
    for (const f of faults) if (f.started && !f.stopped) transition(f, 'stop');
    await faultChain;
    const endS = elapsedS();

    // Lost data: what the load (or the service's own counter) saw acknowledged against what is stored.
    const lostData = [];
    for (const l of config.lostData ?? []) {
      const byLoad = load.acknowledged.get(l.counter) ?? 0;
      let byService: number | undefined;
      if (l.acknowledgedMetric) {
        const target = probes.get(l.acknowledgedMetric.service);
        byService = target
          ? await readMetric(target, l.acknowledgedMetric.metric).catch(() => undefined)
          : undefined;
      }
      const acknowledged = Math.max(byLoad, byService ?? 0);
      log(`load finished: waiting for ${l.name} to be stored (${acknowledged} acknowledged)`);
      const deadline = Date.now() + (l.settleMs ?? 30_000);
      let stored = -1;
      let error = '';
      for (;;) {
        try {
          stored = await l.stored();
          error = '';
        } catch (e) {
          error = describe(e);
        }
        if (stored >= acknowledged || Date.now() >= deadline) break;
        await wait(500);
      }
      lostData.push({
        name: l.name,
        acknowledged,
        stored: Math.max(0, stored),
        detail: `${acknowledged} acknowledged (answers seen by the load: ${byLoad}${byService === undefined ? '' : `, the service's own count: ${byService}`}), ${Math.max(0, stored)} stored${error ? `; counting failed: ${error}` : ''}`,
      });
    }
    const exits = new Map<string, number | null>();
    for (const s of [...services].reverse()) exits.set(s.spec.name, await s.stop());
    await progress.close();
    progress = null;

    const recorded = series.toJSON();
    const facts: RunFacts = {
      durationS,
      endS,
      ticks,
      services: services.map((s) => ({
        name: s.spec.name,
        maxRssMb: s.spec.maxRssMb,
        caps: s.spec.caps ?? [],
        required: s.spec.required ?? [],
        answered: answered.get(s.spec.name) ?? 0,
        unhandled: s.unhandled,
        earlyExit: s.earlyExit,
        exitCode: exits.get(s.spec.name) ?? null,
        expectedExitCode: s.spec.stop?.exitCode ?? 0,
        logFile: basename(s.logFile),
      })),
      lostData,
      faults: faults.map((f) => ({
        name: f.name,
        startS: f.startS,
        endS: f.endS,
        errors: f.errors,
        started: f.started,
        stopped: f.stopped,
      })),
      ...(config.bounds ? { bounds: config.bounds } : {}),
    };
    const memory = judgeMemory(recorded, {
      durationS,
      endS,
      ...(config.bounds ? { bounds: config.bounds } : {}),
    });
    const checks: Check[] = runChecks(recorded, facts, memory, seen);
    return summarize({
      name: config.name ?? basename(options.configFile ?? 'endurance config'),
      startedAt: started,
      durationMs: options.durationMs,
      rate: load.rate,
      totals: load.totals,
      facts,
      memory,
      checks,
      series: recorded,
      events,
      columnCharts: [...NODE_COLUMNS, ...config.services.flatMap((s) => s.columns ?? [])].flatMap((c) =>
        c.chart ? [{ column: c.column, chart: c.chart, unit: c.unit ?? '' }] : [],
      ),
    });
  } finally {
    await progress?.close();
    for (const s of [...services].reverse()) await s.stop().catch(() => null);
    for (const close of closers.reverse()) {
      try {
        await close();
      } catch (error) {
        log(`teardown failed: ${describe(error)}`);
      }
    }
  }
}

export { failed };
