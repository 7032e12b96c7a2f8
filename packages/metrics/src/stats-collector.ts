import { type ErrorReporter, report } from '@org/shared-lifecycle';
import client from 'prom-client';
import { MetricsError } from './errors.js';
import { isValidLabelName, OVERFLOW_LABEL, toSnakeCase } from './names.js';
import { perScrape } from './per-scrape.js';
import { statsHelp, statsMetricName } from './stats-names.js';

/**
 * What a package's stats() returns: numbers, booleans and nested records of them. Arrays are records
 * keyed by their elements' `name` (or index); strings and nulls are skipped (they are not samples).
 */
export type StatsValue =
  | number
  | bigint
  | boolean
  | string
  | null
  | undefined
  | StatsSnapshot
  | readonly StatsValue[];
export interface StatsSnapshot {
  readonly [key: string]: StatsValue;
}

/**
 * The dotted paths collectStats() options can name in a stats type `T`: every field, the fields of
 * nested records (`elasticsearch.sent`), and through arrays the fields of their elements
 * (`writers.written` for `writers: WriterStats[]`, which the walk labels by element). A record with
 * an index signature (`Record<string, PoolStats>`) admits any path below it. Plain `string` when `T`
 * is too deep or untyped.
 */
export type StatsPath<T, Depth extends readonly unknown[] = []> = 0 extends 1 & T
  ? string
  : Depth['length'] extends 6
    ? string
    : T extends readonly (infer E)[]
      ? StatsPath<NonNullable<E>, Depth>
      : T extends object
        ? {
            [K in keyof T & string]-?: K | `${K}.${StatsPath<NonNullable<T[K]>, [...Depth, unknown]>}`;
          }[keyof T & string]
        : never;

export interface CollectStatsOptions<T extends object = Record<string, unknown>> {
  /**
   * Dotted paths of cumulative fields (only ever grow): exported as counters named `…_total`.
   * Everything else is a gauge. A path of a labelled record covers all of its keys ('dropped').
   */
  counters?: readonly StatsPath<T>[];
  /**
   * Dotted paths of records whose keys are label values, with the label name:
   * `{ dropped: 'reason' }` turns `dropped: { overflow: 3 }` into `…_dropped_total{reason="overflow"} 3`.
   * Records not named here are flattened into metric names (`pool: { used: 1 }` → `…_pool_used`).
   */
  labels?: Readonly<Partial<Record<StatsPath<T>, string>>>;
  /** HELP text by dotted path. Default: the path in words with its unit, e.g. "Last sample heap used, in bytes (memory_guard stats())." */
  help?: Readonly<Partial<Record<StatsPath<T>, string>>>;
  /** Most series one scrape takes from this source; the rest are left out and reported. Default: maxLabelSets. */
  maxSeries?: number;
}

/** The handle collectStats() returns. */
export interface StatsCollector {
  readonly prefix: string;
  /** Names of the metric families registered so far. */
  readonly families: readonly string[];
  /** Series dropped because the snapshot was invalid or too large, and source() failures, so far. */
  readonly failures: number;
  /** Unregisters the families; the source is not called again. Idempotent. */
  remove(): void;
}

interface Sample {
  labels: Record<string, string>;
  value: number;
}

interface Family {
  /** The dotted path of the stats field it comes from. */
  path: string;
  type: 'counter' | 'gauge';
  help: string;
  labelNames: string[];
  samples: Sample[];
}

const MAX_DEPTH = 8;
/** Label names a stats series cannot have: histograms' and summaries' own, and the guard's. */
const RESERVED_STATS_LABELS = ['le', 'quantile', OVERFLOW_LABEL];

/** @internal Owned by a Metrics instance; see Metrics.collectStats(). */
export class StatsCollectorImpl implements StatsCollector {
  readonly prefix: string;
  readonly #namePrefix: string;
  readonly #registry: client.Registry;
  readonly #onError: ErrorReporter;
  readonly #defaultMaxSeries: number;
  readonly #registered = new Map<string, client.Counter<string> | client.Gauge<string>>();
  readonly #conflicts = new Set<string>();
  readonly #reported = new Set<string>();
  #source: () => object;
  #options: CollectStatsOptions;
  #counters: ReadonlySet<string>;
  #failures = 0;
  #removed = false;
  readonly #read = perScrape(() => this.#walkSource());

  constructor(
    registry: client.Registry,
    namePrefix: string,
    prefix: string,
    source: () => object,
    options: CollectStatsOptions,
    onError: ErrorReporter,
    defaultMaxSeries: number,
  ) {
    this.#registry = registry;
    this.prefix = prefix;
    this.#namePrefix = `${namePrefix}${toSnakeCase(prefix)}`;
    this.#onError = onError;
    this.#defaultMaxSeries = defaultMaxSeries;
    this.#source = source;
    this.#options = options;
    this.#counters = new Set(options.counters ?? []);
  }

  get families(): readonly string[] {
    return [...this.#registered.keys()];
  }

  get failures(): number {
    return this.#failures;
  }

  /** Replaces the source (hot reload: the same producer re-created). */
  update(source: () => object, options: CollectStatsOptions): void {
    this.#source = source;
    this.#options = options;
    this.#counters = new Set(options.counters ?? []);
    this.#read.clear();
  }

  /** Starts a scrape: the next read calls the source again. */
  refresh(): void {
    this.#read.clear();
  }

  /** Reads the source and registers families it has not seen before. Called before each render. */
  discover(): void {
    if (this.#removed) return;
    for (const [name, family] of this.#read()) {
      if (!this.#registered.has(name)) this.#register(name, family);
    }
  }

  remove(): void {
    if (this.#removed) return;
    this.#removed = true;
    for (const name of this.#registered.keys()) this.#registry.removeSingleMetric(name);
    this.#registered.clear();
  }

  #register(name: string, family: Family): void {
    const collector = this;
    const config = {
      name,
      help: family.help,
      labelNames: family.labelNames,
      registers: [] as client.Registry[],
      collect(this: client.Counter<string> | client.Gauge<string>) {
        collector.#fill(this, name);
      },
    };
    if (this.#registry.getSingleMetric(name)) {
      if (!this.#conflicts.has(name)) {
        this.#conflicts.add(name);
        this.#fail(`metric name ${name} is already used by another metric; the stats field is left out`, {
          metric: name,
        });
      }
      return;
    }
    const metric = family.type === 'counter' ? new client.Counter(config) : new client.Gauge(config);
    this.#registry.registerMetric(metric);
    this.#registered.set(name, metric);
  }

  #fill(metric: client.Counter<string> | client.Gauge<string>, name: string): void {
    // reset() leaves an unlabelled metric at 0; a field the snapshot lacks must be absent, not 0.
    (metric as unknown as { hashMap: Record<string, unknown> }).hashMap = {};
    if (this.#removed) return;
    const family = this.#read().get(name);
    if (!family) return;
    const registeredNames = (metric as unknown as { labelNames: string[] }).labelNames;
    for (const sample of family.samples) {
      if (!Object.keys(sample.labels).every((label) => registeredNames.includes(label))) {
        this.#fail(`stats field ${name} changed its labels; the series is left out`, { metric: name });
        continue;
      }
      if (metric instanceof client.Counter) metric.inc(sample.labels, sample.value);
      else metric.set(sample.labels, sample.value);
    }
  }

  #walkSource(): Map<string, Family> {
    const families = new Map<string, Family>();
    if (this.#removed) return families;
    let snapshot: unknown;
    try {
      snapshot = this.#source();
    } catch (error) {
      this.#fail(`stats() of ${this.prefix} threw`, {}, error);
      return families;
    }
    if (typeof snapshot !== 'object' || snapshot === null || Array.isArray(snapshot)) {
      this.#fail(
        `stats() of ${this.prefix} returned ${Array.isArray(snapshot) ? 'an array' : typeof snapshot}, not a record`,
      );
      return families;
    }
    const budget = { left: this.#options.maxSeries ?? this.#defaultMaxSeries, exceeded: false };
    this.#walk(snapshot as StatsSnapshot, [], [], {}, false, families, budget, 0);
    if (budget.exceeded) {
      this.#fail(
        `stats() of ${this.prefix} has more than ${this.#options.maxSeries ?? this.#defaultMaxSeries} series; the rest are left out`,
      );
    }
    return families;
  }

  #walk(
    value: StatsValue,
    path: string[],
    nameParts: string[],
    labels: Record<string, string>,
    afterLabel: boolean,
    families: Map<string, Family>,
    budget: { left: number; exceeded: boolean },
    depth: number,
  ): void {
    if (value === null || value === undefined || typeof value === 'string') return;
    if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
      this.#emit(path, nameParts, labels, Number(value), families, budget);
      return;
    }
    if (typeof value !== 'object' || depth >= MAX_DEPTH) {
      this.#fail(
        `stats field ${path.join('.') || '(root)'} of ${this.prefix} is not a number, boolean or record`,
      );
      return;
    }
    const key = path.join('.');
    // An array is a record keyed by its elements' `name` (or their index), always labelled.
    const isArray = Array.isArray(value);
    const labelOption =
      afterLabel && !isArray ? undefined : (this.#options.labels?.[key] ?? (isArray ? 'name' : undefined));
    if (labelOption !== undefined) {
      // snake_case like the names (promtool rejects camelCase label names too).
      const labelName = toSnakeCase(labelOption);
      if (
        !isValidLabelName(labelName) ||
        RESERVED_STATS_LABELS.includes(labelName) ||
        labelName.startsWith('__')
      ) {
        this.#fail(`label name ${JSON.stringify(labelOption)} for stats field ${key} is invalid`);
        return;
      }
      const entries: [string, StatsValue][] = isArray
        ? (value as StatsValue[]).map((item, i) => {
            const name = (item as { name?: unknown } | null)?.name;
            return [typeof name === 'string' ? name : String(i), item];
          })
        : Object.entries(value);
      for (const [k, v] of entries) {
        this.#walk(v, path, nameParts, { ...labels, [labelName]: k }, true, families, budget, depth + 1);
      }
      return;
    }
    for (const [k, v] of Object.entries(value)) {
      const part = toSnakeCase(k);
      if (part === '') {
        this.#fail(`stats field ${[...path, k].join('.')} of ${this.prefix} has no usable name`);
        continue;
      }
      this.#walk(v, [...path, k], [...nameParts, part], labels, false, families, budget, depth + 1);
    }
  }

  #emit(
    path: string[],
    nameParts: string[],
    labels: Record<string, string>,
    raw: number,
    families: Map<string, Family>,
    budget: { left: number; exceeded: boolean },
  ): void {
    const key = path.join('.');
    const counter = this.#isCounter(path);
    // promtool-clean whatever the field names: base units (fooMs → foo_seconds), no reserved suffixes.
    const { name, convert } = statsMetricName(this.#namePrefix, nameParts, counter);
    const value = convert(raw);
    if (counter ? !(value >= 0 && value < Number.POSITIVE_INFINITY) : Number.isNaN(value)) {
      this.#fail(
        `stats field ${key} of ${this.prefix} is ${String(raw)}, not a valid ${counter ? 'counter' : 'gauge'} value`,
      );
      return;
    }
    if (budget.left <= 0) {
      budget.exceeded = true;
      return;
    }
    budget.left--;
    let family = families.get(name);
    if (!family) {
      family = {
        path: key,
        type: counter ? 'counter' : 'gauge',
        help: this.#options.help?.[key] ?? statsHelp(this.prefix, key, name, counter),
        labelNames: Object.keys(labels),
        samples: [],
      };
      families.set(name, family);
    } else if (family.path !== key) {
      // Two fields with one name (`fooBar` and `foo.bar`) would be one series set twice (or summed).
      this.#fail(
        `stats fields ${family.path} and ${key} of ${this.prefix} both become ${name}; ${key} is left out`,
        { metric: name },
      );
      return;
    }
    family.samples.push({ labels, value });
  }

  #isCounter(path: string[]): boolean {
    for (let i = path.length; i > 0; i--) if (this.#counters.has(path.slice(0, i).join('.'))) return true;
    return false;
  }

  #fail(message: string, details: Record<string, unknown> = {}, cause?: unknown): void {
    this.#failures++;
    // The same problem recurs at every scrape: report each one once (a thrown error every time).
    if (cause === undefined) {
      if (this.#reported.has(message)) return;
      if (this.#reported.size < 100) this.#reported.add(message);
    }
    report(
      this.#onError,
      new MetricsError('ORG_METRICS_STATS_FAILED', message, {
        details: { collector: this.prefix, ...details },
        ...(cause === undefined ? {} : { cause }),
      }),
      { source: `metrics.collectStats(${this.prefix})` },
    );
  }
}
