import {
  type Closeable,
  type ErrorReporter,
  EXIT_CODES,
  ShutdownCoordinator,
  type ShutdownResult,
} from '@org/shared-lifecycle';

export interface ServiceRuntimeOptions {
  /** Deadline for the whole shutdown; each step gets it too unless registered with its own. */
  shutdownTimeoutMs: number;
  log?: (message: string, fields: Record<string, unknown>) => void;
  onError?: ErrorReporter;
  /** Default process.exit. */
  exit?: (code: number) => void;
  /** Default SIGTERM and SIGINT. */
  signals?: readonly NodeJS.Signals[];
  /**
   * A second signal within this window of the first is the same stop delivered twice (Ctrl-C reaches
   * every process of the terminal's group, and a wrapper such as org-task or npm forwards it again)
   * and is ignored; a later one forces the exit (130). Default 1000 ms.
   */
  duplicateSignalWindowMs?: number;
  /**
   * Runs after every registered resource is closed and the "shutdown finished" line is logged: the
   * place to close the logger, so that the shutdown's own lines still reach it. Must not reject.
   */
  finally?: () => Promise<void>;
}

/**
 * The process side of a service: a ShutdownCoordinator that closes what was registered in reverse
 * order on SIGTERM/SIGINT, plus one overall deadline. The deadline is armed when the shutdown
 * starts; when it passes, the process exits with code 1 whatever is still closing. The signal
 * handlers are the runtime's own (not coordinator.install()) so that a duplicated delivery of the
 * same Ctrl-C does not force the exit half-way through the clean shutdown.
 */
export class ServiceRuntime {
  readonly coordinator: ShutdownCoordinator;
  readonly shutdownTimeoutMs: number;
  readonly #exit: (code: number) => void;
  readonly #log: ServiceRuntimeOptions['log'];
  readonly #finally: () => Promise<void>;
  readonly #signals: readonly NodeJS.Signals[];
  readonly #duplicateWindowMs: number;
  #finished: Promise<void> | null = null;
  #watchdog: NodeJS.Timeout | null = null;
  #started = false;
  #firstSignalAt: number | null = null;

  constructor(options: ServiceRuntimeOptions) {
    this.shutdownTimeoutMs = options.shutdownTimeoutMs;
    this.#exit = options.exit ?? ((code) => process.exit(code));
    this.#log = options.log;
    this.#finally = options.finally ?? (async () => {});
    this.#signals = options.signals ?? ['SIGTERM', 'SIGINT'];
    this.#duplicateWindowMs = options.duplicateSignalWindowMs ?? 1000;
    this.coordinator = new ShutdownCoordinator({
      timeoutMs: options.shutdownTimeoutMs,
      ...(options.onError ? { onError: options.onError } : {}),
      ...(options.log ? { log: options.log } : {}),
    });
  }

  /** Registers a resource; resources close in reverse order of registration. */
  register(
    name: string,
    resource: Closeable | (() => Promise<void> | void),
    options?: { timeoutMs?: number },
  ): () => void {
    return this.coordinator.register(name, resource, options);
  }

  /** Installs the signal handlers. Call once everything is registered. Idempotent. */
  start(): this {
    if (this.#started) return this;
    this.#started = true;
    for (const signal of this.#signals) process.on(signal, this.#onSignal);
    return this;
  }

  /**
   * Runs the ordered shutdown, then `finally` (the logger), within the overall deadline. Idempotent;
   * never rejects. Does not exit the process (a signal does).
   */
  shutdown(reason: string): Promise<ShutdownResult> {
    this.#arm();
    return this.coordinator
      .shutdown(reason)
      .then(async (result) => {
        await this.#finish();
        return result;
      })
      .finally(() => this.#disarm());
  }

  readonly #onSignal = (signal: NodeJS.Signals): void => {
    const now = Date.now();
    if (this.#firstSignalAt === null) {
      this.#firstSignalAt = now;
      void this.shutdown(signal).then((result) => this.#stop(result.code));
      return;
    }
    if (now - this.#firstSignalAt < this.#duplicateWindowMs) return;
    this.#log?.('second signal: forcing exit', { signal });
    this.#stop(EXIT_CODES.forced);
  };

  #stop(code: number): void {
    for (const signal of this.#signals) process.off(signal, this.#onSignal);
    this.#disarm();
    this.#exit(code);
  }

  #finish(): Promise<void> {
    this.#finished ??= this.#finally().catch(() => {});
    return this.#finished;
  }

  #arm(): void {
    if (this.#watchdog) return;
    this.#watchdog = setTimeout(() => {
      this.#log?.('shutdown deadline passed: forcing exit', { timeoutMs: this.shutdownTimeoutMs });
      this.#exit(EXIT_CODES.failed);
    }, this.shutdownTimeoutMs);
    this.#watchdog.unref();
  }

  #disarm(): void {
    if (this.#watchdog) clearTimeout(this.#watchdog);
    this.#watchdog = null;
  }
}
