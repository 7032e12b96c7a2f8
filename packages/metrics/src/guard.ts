import type client from 'prom-client';
import { MetricsError } from './errors.js';
import { OVERFLOW_LABEL } from './names.js';

/** Label values by label name, as prom-client takes them. */
export type Labels<T extends string = string> = Partial<Record<T, string | number>>;

/**
 * A coarse clock shared by the metrics of one instance: the cleanup sweep moves it forward, and every
 * sample stamps its series with it. Reading a field is far cheaper than Date.now() on the hot path.
 */
export interface Clock {
  now: number;
}

/** What every series of prom-client's hashMap holds, plus the time it was last written (`seen`). */
export interface SeriesEntry {
  labels: Record<string, string | number>;
  seen?: number;
}

/** The prom-client internals this package relies on (pinned by the equivalence tests). */
export interface InnerMetric<E extends SeriesEntry> {
  hashMap: Record<string, E>;
  name: string;
  reset(): void;
}

export interface GuardSettings {
  maxLabelSets: number;
  labelTtlMs: number;
  clock: Clock;
}

/** Cardinality numbers of one metric, exported as self-metrics. */
export interface GuardStats {
  labelSets: number;
  maxLabelSets: number;
  overflowSamples: number;
  expiredLabelSets: number;
}

/** prom-client's key for the series { overflow: "true" } (label names are hashed in sorted order). */
export const OVERFLOW_HASH = `${OVERFLOW_LABEL}:true,`;
const OVERFLOW_LABELS: Record<string, string> = Object.freeze({ [OVERFLOW_LABEL]: 'true' }) as Record<
  string,
  string
>;

/** prom-client's config for a guarded metric: its own registry, and the overflow label when labelled. */
export function innerConfig(
  registry: client.Registry,
  name: string,
  help: string,
  labelNames: readonly string[],
) {
  return {
    name,
    help,
    labelNames: labelNames.length > 0 ? [...labelNames, OVERFLOW_LABEL] : [],
    registers: [registry],
  };
}

/**
 * The cardinality guard, shared by counters, gauges and histograms. It keeps prom-client's own series
 * map (so prom-client still renders, resets and removes series) and computes the series key once per
 * sample, exactly as prom-client does: the guard costs a counter read, not a second hash. Beyond
 * maxLabelSets, a new label set goes to the one series { overflow="true" }, so totals stay right.
 */
export abstract class GuardedMetric<E extends SeriesEntry> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly maxLabelSets: number;
  readonly labelTtlMs: number;
  protected readonly inner: InnerMetric<E>;
  protected readonly clock: Clock;
  protected dead = false;
  readonly #sorted: readonly string[];
  readonly #known: ReadonlySet<string>;
  #map: Record<string, E>;
  /** The series without labels, cached (the 0-label hot path); dropped whenever the map changes. */
  #empty: E | null = null;
  #count = 0;
  #overflowSamples = 0;
  #expired = 0;

  protected constructor(
    inner: InnerMetric<E>,
    help: string,
    labelNames: readonly string[],
    settings: GuardSettings,
  ) {
    this.inner = inner;
    this.name = inner.name;
    this.help = help;
    this.labelNames = Object.freeze([...labelNames]);
    this.#sorted = Object.freeze([...labelNames].sort());
    this.#known = new Set(labelNames);
    this.maxLabelSets = settings.maxLabelSets;
    this.labelTtlMs = settings.labelTtlMs;
    this.clock = settings.clock;
    this.#map = inner.hashMap;
  }

  /** A new, empty series value in prom-client's format for this metric type. */
  protected abstract createEntry(labels: Record<string, string | number>): E;

  /** The series for `labels`, created (or folded into the overflow series) when new. The hot path. */
  protected series(labels: Labels): E {
    const map = this.inner.hashMap;
    if (map !== this.#map) this.#resync(map);
    const names = this.#sorted;
    let hash = '';
    for (let i = 0; i < names.length; i++) {
      const key = names[i]!;
      const value = labels[key];
      if (value !== undefined) hash += `${key}:${value},`;
    }
    for (const key in labels) {
      if (!this.#known.has(key)) throw this.#unknownLabel(key);
    }
    const entry = map[hash] ?? this.#create(map, hash, labels);
    entry.seen = this.clock.now;
    return entry;
  }

  /** The series without labels: inc() / observe(value) with no label object. */
  protected unlabelled(): E {
    const map = this.inner.hashMap;
    if (map !== this.#map) this.#resync(map);
    let entry = this.#empty;
    if (entry === null) {
      entry = map[''] ?? this.#create(map, '', {});
      // Not when the set was folded into the overflow series: the next call must count again.
      if (map[''] === entry) this.#empty = entry;
    }
    entry.seen = this.clock.now;
    return entry;
  }

  /** The series under a key computed in advance (by labels()): skips hashing and validation. */
  protected seriesByHash(hash: string, labels: Record<string, string | number>): E {
    const map = this.inner.hashMap;
    if (map !== this.#map) this.#resync(map);
    const entry = map[hash] ?? this.#create(map, hash, labels);
    entry.seen = this.clock.now;
    return entry;
  }

  /** Validates label values given by position or as an object; returns a copy and its series key. */
  protected bind(args: readonly unknown[]): { labels: Record<string, string | number>; hash: string } {
    let source: Labels;
    if (args.length === 1 && typeof args[0] === 'object' && args[0] !== null) {
      source = args[0] as Labels;
    } else {
      if (args.length !== this.labelNames.length) {
        throw new MetricsError(
          'ORG_METRICS_INVALID_LABEL',
          `metric ${this.name}: expected ${this.labelNames.length} label values (${this.labelNames.join(', ')}), got ${args.length}`,
          { details: { metric: this.name } },
        );
      }
      source = {};
      this.labelNames.forEach((name, i) => {
        (source as Record<string, unknown>)[name] = args[i];
      });
    }
    for (const key in source) {
      if (!this.#known.has(key)) throw this.#unknownLabel(key);
    }
    const labels = this.#copy(source);
    let hash = '';
    for (const key of this.#sorted) {
      const value = labels[key];
      if (value !== undefined) hash += `${key}:${value},`;
    }
    return { labels, hash };
  }

  /** Removes one label set (prom-client's remove(), with the count kept right). */
  remove(...args: unknown[]): void {
    if (this.dead) return;
    const { hash } = this.bind(args);
    const map = this.inner.hashMap;
    if (map !== this.#map) this.#resync(map);
    if (hash in map) {
      delete map[hash];
      this.#count--;
      if (hash === '') this.#empty = null;
    }
  }

  /** Drops every series (prom-client's reset()). */
  reset(): void {
    this.inner.reset();
    this.#resync(this.inner.hashMap);
  }

  /** Current label sets (the overflow series not included). */
  get labelSets(): number {
    const map = this.inner.hashMap;
    if (map !== this.#map) this.#resync(map);
    return this.#count;
  }

  guardStats(): GuardStats {
    return {
      labelSets: this.labelSets,
      maxLabelSets: this.maxLabelSets,
      overflowSamples: this.#overflowSamples,
      expiredLabelSets: this.#expired,
    };
  }

  /** Deletes label sets last written before `cutoff` (clock time). Called by the owner's sweep. */
  sweep(cutoff: number): number {
    if (this.dead || this.labelTtlMs <= 0 || this.labelNames.length === 0) return 0;
    const map = this.inner.hashMap;
    this.#map = map;
    this.#empty = null;
    let kept = 0;
    let expired = 0;
    for (const hash in map) {
      const seen = map[hash]!.seen;
      if (seen !== undefined && seen < cutoff) {
        delete map[hash];
        if (hash !== OVERFLOW_HASH) expired++;
      } else if (hash !== OVERFLOW_HASH) {
        kept++;
      }
    }
    this.#count = kept;
    this.#expired += expired;
    return expired;
  }

  /** Called by the owner's destroy(): drops every series; later samples are ignored. */
  kill(): void {
    this.dead = true;
    this.inner.hashMap = {};
    this.#map = this.inner.hashMap;
    this.#empty = null;
    this.#count = 0;
  }

  get destroyed(): boolean {
    return this.dead;
  }

  #create(map: Record<string, E>, hash: string, labels: Labels): E {
    if (this.#count >= this.maxLabelSets && this.labelNames.length > 0) {
      this.#overflowSamples++;
      let overflow = map[OVERFLOW_HASH];
      if (overflow === undefined) {
        overflow = this.createEntry({ ...OVERFLOW_LABELS });
        map[OVERFLOW_HASH] = overflow;
      }
      return overflow;
    }
    const entry = this.createEntry(this.#copy(labels));
    map[hash] = entry;
    this.#count++;
    return entry;
  }

  #copy(labels: Labels): Record<string, string | number> {
    const copy: Record<string, string | number> = {};
    for (const name of this.labelNames) {
      const value = labels[name];
      if (value === undefined) continue;
      if (typeof value !== 'string' && typeof value !== 'number') {
        throw new MetricsError(
          'ORG_METRICS_INVALID_LABEL',
          `metric ${this.name}: label "${name}" must be a string or a number, got ${typeof value}`,
          { details: { metric: this.name, label: name } },
        );
      }
      copy[name] = value;
    }
    return copy;
  }

  #resync(map: Record<string, E>): void {
    this.#map = map;
    this.#empty = null;
    let count = 0;
    for (const hash in map) if (hash !== OVERFLOW_HASH) count++;
    this.#count = this.labelNames.length === 0 ? 0 : count;
  }

  #unknownLabel(key: string): MetricsError {
    return new MetricsError(
      'ORG_METRICS_INVALID_LABEL',
      `metric ${this.name}: label "${key}" is not one of its label names (${this.labelNames.join(', ') || 'none'})`,
      { details: { metric: this.name, label: key } },
    );
  }
}
