/**
 * The config file of org-endurance (default endurance.config.ts in the working directory): the
 * services under test, the load, the faults, the bounds and how lost data is counted. A config is
 * an object or a function of the run (duration, run id, output directory) that returns one, so it
 * can start what the run needs (a test server, a database) and register its teardown.
 */
import type { ColumnSpec } from './sampler.js';

/** One request of the load, as autocannon takes it (method, path, headers, body, setupRequest…). */
export interface LoadRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Called before each send; may return a changed request (a fresh body with unique ids). */
  // biome-ignore lint/suspicious/noExplicitAny: autocannon's own request type, passed through.
  setupRequest?: (request: any, context: Record<string, unknown>) => any;
  /**
   * Counts what the service acknowledged in this answer (e.g. `accepted` events of a 202), into the
   * named counter that a `lostData` entry compares with what was stored.
   */
  acknowledge?: { counter: string; count: (status: number, body: string) => number };
}

export interface LoadTarget {
  /** Name of the service this load goes to. */
  service: string;
  /** Share of the run's total rate (shares are normalised). Default: equal shares. */
  share?: number;
  /** Concurrent connections. Default 4. */
  connections?: number;
  /** Seconds before a request counts as an error. Default 10. */
  timeoutS?: number;
  /** Sent in turn. */
  requests: readonly LoadRequest[];
}

export interface LoadSpec {
  /** Total requests per second over all targets (CLI --rate overrides). */
  rate: number;
  targets: readonly LoadTarget[];
}

export interface CapSpec {
  /** A column of the service's samples (from /metrics or /memory). */
  column: string;
  /** Largest allowed value. */
  max?: number;
  /** Or: never above this other column in the same sample (a cap the service reports itself). */
  maxColumn?: string;
  /** A service that never reports the column fails the check. Default true. */
  required?: boolean;
}

export interface ServiceSpec {
  name: string;
  /** The program, e.g. process.execPath; started without a shell. */
  command: string;
  args?: readonly string[];
  cwd?: string;
  /** Added to the runner's environment (undefined removes a variable). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Variable that receives the free port picked for the service; null when `url` has a fixed port. Default 'PORT'. */
  portEnv?: string | null;
  /** Base URL. Default http://127.0.0.1:<port>. */
  url?: string;
  /** Readiness: GET url + path until it answers `status`. Default { path: '/health', status: 200, timeoutMs: 60 000 }. */
  ready?: { path?: string; status?: number; timeoutMs?: number };
  /** How it is stopped at the end. Default SIGTERM, 20 000 ms, then SIGKILL; the expected exit code 0. */
  stop?: { signal?: NodeJS.Signals; timeoutMs?: number; exitCode?: number };
  /** JSON with process.memoryUsage() names (rss, heapUsed, heapTotal, external, arrayBuffers). Default '/memory'; null: none (RSS and heap then come from /metrics). */
  memoryPath?: string | null;
  /** Prometheus text. Default '/metrics'. */
  metricsPath?: string;
  /** Sent with every sample request (e.g. a bearer token for /metrics). Never printed. */
  headers?: Readonly<Record<string, string>>;
  /** Columns read from /metrics on top of Node's default metrics. */
  columns?: readonly ColumnSpec[];
  /** Columns that must have a value at least once (a renamed metric cannot empty a check). */
  required?: readonly string[];
  /** The RSS ceiling, MB. */
  maxRssMb: number;
  /** Named quantities that must stay within caps. */
  caps?: readonly CapSpec[];
  /** The log kept in the report: the first headBytes (default 8 MiB) and the last tailBytes (default 2 MiB). */
  log?: { headBytes?: number; tailBytes?: number };
  /** Log lines (stdout and stderr) that count as unhandled errors. Default: unhandled rejections and uncaught exceptions. */
  errorPattern?: RegExp;
}

export interface FaultSpec {
  name: string;
  /** Start and end as fractions of the run (0.12 = 12 % in). Windows may not overlap. */
  from: number;
  to: number;
  start: () => unknown;
  stop: () => unknown;
}

export interface LostDataSpec {
  /** What is counted, e.g. "events". */
  name: string;
  /** The `acknowledge` counter of the load that says how many were acknowledged. */
  counter: string;
  /** How many of them were stored (a query, an endpoint): see sqlCount() and httpCount(). */
  stored: () => Promise<number>;
  /** Also take the service's own count of acknowledged items (the larger of the two is used). */
  acknowledgedMetric?: { service: string; metric: string };
  /** How long to wait for the stored count to catch up after the load. Default 30 000 ms. */
  settleMs?: number;
}

export interface BoundsSpec {
  /** Heap slope limit over the last part of the run, MB/h. Default by duration (README). */
  heapSlopeMbPerHour?: number;
  /** RSS slope limit, MB/h. Default twice the heap limit. */
  rssSlopeMbPerHour?: number;
  /** Share of the sampling ticks a service must answer. Default 0.8. */
  samplesAnswered?: number;
}

export interface EnduranceConfig {
  /** Shown in the report and the history. Default: the config file name. */
  name?: string;
  services: readonly ServiceSpec[];
  load: LoadSpec;
  faults?: readonly FaultSpec[];
  lostData?: readonly LostDataSpec[];
  bounds?: BoundsSpec;
  /** Default 1000 ms. */
  sampleIntervalMs?: number;
  /** Heartbeat interval when stdout is not a terminal. Default 30 000 ms (CLI --progress overrides). */
  progressIntervalMs?: number;
}

export interface ConfigContext {
  durationMs: number;
  /** Unique per run (e.g. a prefix for ids the load creates, so a count finds only this run's). */
  runId: string;
  outDir: string;
  /** Prints one line of the run's output. */
  log: (line: string) => void;
  /** Registers a teardown, run after the services stopped (last registered first). */
  onClose: (close: () => unknown) => void;
}

export type ConfigInput =
  | EnduranceConfig
  | ((context: ConfigContext) => EnduranceConfig | Promise<EnduranceConfig>);

/** Gives a config file type checking (the config is checked when the run starts). */
export function defineConfig<T extends ConfigInput>(config: T): T {
  return config;
}
