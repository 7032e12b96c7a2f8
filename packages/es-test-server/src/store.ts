// The test server's stored documents and their counters: what a test reads to prove nothing was lost or duplicated.
import type { EsTestServerOptions, StoredDoc } from './types.js';

export class DocStore {
  readonly #storeDocs: boolean;
  readonly #idOf: (doc: Record<string, unknown>) => string | undefined;
  #received = 0;
  #conflicts = 0;
  #itemFailures: Record<number, number> = {};
  #docs: StoredDoc[] = [];
  #ids = new Set<string>();
  #counts = new Map<string, number>();
  #autoId = 0;

  constructor(options: EsTestServerOptions) {
    this.#storeDocs = options.storeDocs ?? true;
    this.#idOf = options.idOf ?? ((doc) => (typeof doc.message === 'string' ? doc.message : undefined));
  }

  get received(): number {
    return this.#received;
  }
  get itemFailures(): Readonly<Record<number, number>> {
    return { ...this.#itemFailures };
  }
  get conflicts(): number {
    return this.#conflicts;
  }
  get docs(): readonly StoredDoc[] {
    return this.#docs;
  }

  countOf(key: string): number {
    return this.#counts.get(key) ?? 0;
  }

  duplicates(): string[] {
    return [...this.#counts].filter(([, n]) => n > 1).map(([key]) => key);
  }

  /** Documents of an index (all stored ones when docs are not kept). */
  count(index: string | undefined): number {
    return this.#storeDocs ? this.#docs.filter((doc) => doc.index === index).length : this.#received;
  }

  deleteIndex(index: string): void {
    this.#docs = this.#docs.filter((doc) => doc.index !== index);
  }

  reset(): void {
    this.#received = 0;
    this.#conflicts = 0;
    this.#itemFailures = {};
    this.#docs = [];
    this.#ids = new Set();
    this.#counts = new Map();
  }

  countFailure(status: number): void {
    this.#itemFailures[status] = (this.#itemFailures[status] ?? 0) + 1;
  }

  /** True (and counted) when a create names an _id already stored under `key`. */
  conflict(key: string): boolean {
    if (!this.#ids.has(key)) return false;
    this.#conflicts++;
    return true;
  }

  /** Stores a document; returns its _id (given, or an automatic one). */
  store(index: string, givenId: string | undefined, key: string, source: Record<string, unknown>): string {
    const id = givenId ?? `auto-${++this.#autoId}`;
    if (givenId !== undefined) this.#ids.add(key);
    this.#received++;
    const countKey = this.#idOf(source);
    if (countKey !== undefined) this.#counts.set(countKey, (this.#counts.get(countKey) ?? 0) + 1);
    if (this.#storeDocs) this.#docs.push({ index, id, source });
    return id;
  }
}
