import {
  type Closeable,
  type ErrorReporter,
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
  signals?: readonly NodeJS.Signals[];
  /**
   * Runs after every registered resource is closed and the "shutdown finished" line is logged: the
   * place to close the logger, so that the shutdown's own lines still reach it. Must not reject.
   */
  finally?: () => Promise<void>;
}

/**
 * The process side of a service: a ShutdownCoordinator that closes what was registered in reverse
 * order on SIGTERM/SIGINT, plus one overall deadline. The deadline is armed by a step registered
 * last (so it runs first when the shutdown starts); when it passes, the process exits with code 1
 * whatever is still closing.
 */
export class ServiceRuntime {
  readonly coordinator: ShutdownCoordinator;
  readonly shutdownTimeoutMs: number;
  readonly #exit: (code: number) => void;
  readonly #log: ServiceRuntimeOptions['log'];
  readonly #finally: () => Promise<void>;
  #finished: Promise<void> | null = null;
  #watchdog: NodeJS.Timeout | null = null;
  #started = false;

  constructor(options: ServiceRuntimeOptions) {
    this.shutdownTimeoutMs = options.shutdownTimeoutMs;
    this.#exit = options.exit ?? ((code) => process.exit(code));
    this.#log = options.log;
    this.#finally = options.finally ?? (async () => {});
    this.coordinator = new ShutdownCoordinator({
      timeoutMs: options.shutdownTimeoutMs,
      exit: (code) => {
        void this.#finish().then(() => {
          this.#disarm();
          this.#exit(code);
        });
      },
      ...(options.signals ? { signals: options.signals } : {}),
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

  /** Arms the overall deadline and installs the signal handlers. Call once everything is registered. */
  start(): this {
    if (this.#started) return this;
    this.#started = true;
    this.coordinator.register('shutdown deadline', () => this.#arm());
    this.coordinator.install();
    return this;
  }

  /** Starts the shutdown without a signal (e.g. a fatal start-up error); resolves with the result. */
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

  #finish(): Promise<void> {
    this.#finished ??= this.#finally().catch(() => {});
    return this.#finished;
  }

  #arm(): void {
    if (this.#watchdog) return;
    this.#watchdog = setTimeout(() => {
      this.#log?.('shutdown deadline passed: forcing exit', { timeoutMs: this.shutdownTimeoutMs });
      this.#exit(1);
    }, this.shutdownTimeoutMs);
    this.#watchdog.unref();
  }

  #disarm(): void {
    if (this.#watchdog) clearTimeout(this.#watchdog);
    this.#watchdog = null;
  }
}
