/** A service under test as a child process: started, watched (log, unhandled errors, early exit), stopped. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as wait } from 'node:timers/promises';
import type { ServiceSpec } from './config.js';
import { EnduranceError } from './errors.js';
import { BoundedLog } from './log-file.js';

const UNHANDLED = /unhandled ?rejection|uncaught ?exception/gi;

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

export class RunningService {
  readonly spec: ServiceSpec;
  readonly url: string;
  readonly logFile: string;
  unhandled = 0;
  /** Set when the process exits before stop() (a crash, an OOM kill). */
  earlyExit: string | null = null;
  exitCode: number | null = null;
  exitSignal: string | null = null;
  readonly #child: ChildProcess;
  readonly #log: BoundedLog;
  readonly #exit: Promise<void>;
  readonly #startedAt: number;
  #stopping = false;

  private constructor(
    spec: ServiceSpec,
    url: string,
    child: ChildProcess,
    log: BoundedLog,
    logFile: string,
    runStartedAt: number,
  ) {
    this.spec = spec;
    this.url = url;
    this.#child = child;
    this.#log = log;
    this.logFile = logFile;
    this.#startedAt = runStartedAt;
    const pattern = spec.errorPattern
      ? new RegExp(spec.errorPattern.source, `${spec.errorPattern.flags.replace('g', '')}g`)
      : UNHANDLED;
    const watch = (chunk: Buffer) => {
      log.write(chunk);
      this.unhandled += (chunk.toString().match(pattern) ?? []).length;
    };
    child.stdout?.on('data', watch);
    child.stderr?.on('data', watch);
    this.#exit = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        if (!this.#stopping)
          this.earlyExit = `exited with ${code ?? signal} at ${((Date.now() - this.#startedAt) / 1000).toFixed(0)} s`;
        resolve();
      });
      child.once('error', (error) => {
        this.earlyExit = `could not be started: ${error.message}`;
        resolve();
      });
    });
  }

  /** Starts the process and waits until its readiness URL answers. */
  static async start(
    spec: ServiceSpec,
    options: { outDir: string; runStartedAt: number; env?: Record<string, string> },
  ): Promise<RunningService> {
    const portEnv = spec.portEnv === undefined ? 'PORT' : spec.portEnv;
    const port = portEnv === null ? null : await freePort();
    const url = (spec.url ?? `http://127.0.0.1:${port}`).replace(/\/$/, '');
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...process.env, ...options.env, ...spec.env }))
      if (v !== undefined) env[k] = v;
    if (portEnv !== null) env[portEnv] = String(port);
    const logFile = join(options.outDir, `${spec.name}.log`);
    const log = new BoundedLog(logFile, spec.log ?? {});
    const child = spawn(spec.command, [...(spec.args ?? [])], {
      ...(spec.cwd ? { cwd: spec.cwd } : {}),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const service = new RunningService(spec, url, child, log, logFile, options.runStartedAt);
    const ready = { path: '/health', status: 200, timeoutMs: 60_000, ...spec.ready };
    const started = Date.now();
    for (;;) {
      if (service.earlyExit !== null) {
        throw new EnduranceError(
          'ORG_ENDURANCE_SERVICE_START_FAILED',
          `${spec.name} ${service.earlyExit} during start-up (see ${logFile})`,
          {
            details: { service: spec.name },
          },
        );
      }
      try {
        const res = await fetch(`${url}${ready.path}`, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        if (res.status === ready.status) break;
      } catch {
        // not up yet
      }
      if (Date.now() - started > ready.timeoutMs) {
        await service.stop();
        throw new EnduranceError(
          'ORG_ENDURANCE_SERVICE_START_FAILED',
          `${spec.name} did not answer ${ready.status} on ${ready.path} within ${ready.timeoutMs} ms (see ${logFile})`,
          { details: { service: spec.name } },
        );
      }
      await wait(250);
    }
    return service;
  }

  get running(): boolean {
    return this.#child.pid !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Sends the stop signal, waits up to the deadline, then SIGKILL. Idempotent. Resolves the exit code (null: killed). */
  async stop(): Promise<number | null> {
    if (!this.#stopping) {
      this.#stopping = true;
      const { signal = 'SIGTERM', timeoutMs = 20_000 } = this.spec.stop ?? {};
      if (this.running) {
        this.#child.kill(signal);
        const ac = new AbortController();
        const timedOut = await Promise.race([
          this.#exit.then(() => false),
          wait(timeoutMs, true, { signal: ac.signal }).catch(() => false),
        ]);
        ac.abort();
        if (timedOut) {
          this.#child.kill('SIGKILL');
          await this.#exit;
          this.exitCode = null;
        }
      }
      await this.#log.end();
    }
    await this.#exit;
    return this.exitCode;
  }
}
