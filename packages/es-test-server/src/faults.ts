// The test server's scripted fault: which request or document it hits, and how many times.
import type { EsFault } from './types.js';

export class FaultScript {
  #fault: EsFault | null = null;
  #faultUses = 0;
  #itemCounter = 0;

  get kind(): EsFault['kind'] | undefined {
    return this.#fault?.kind;
  }

  /** Replace the current fault (null: none). */
  set(fault: EsFault | null): void {
    this.#fault = fault;
    this.#faultUses = 0;
  }

  /** Documents counted for `every` start again from zero. */
  resetItems(): void {
    this.#itemCounter = 0;
  }

  /** The fault of this kind, counting one use, while it has uses left. */
  use<K extends EsFault['kind']>(kind: K): Extract<EsFault, { kind: K }> | undefined {
    const fault = this.#fault;
    if (fault === null || fault.kind !== kind) return undefined;
    if (fault.times !== undefined && this.#faultUses >= fault.times) return undefined;
    this.#faultUses++;
    return fault as Extract<EsFault, { kind: K }>;
  }

  /** The item-level failure a document gets, if the fault picks it. */
  item(source: Record<string, unknown>): { status: number; type: string } | undefined {
    const fault = this.#fault;
    if (fault === null || fault.kind !== 'items') return undefined;
    if (fault.times !== undefined && this.#faultUses >= fault.times) return undefined;
    this.#itemCounter++;
    const hit =
      (fault.every !== undefined && this.#itemCounter % fault.every === 0) ||
      (fault.match !== undefined && safeMatch(fault.match, source));
    if (!hit) return undefined;
    if (fault.times !== undefined) this.#faultUses++;
    const type =
      fault.type ??
      (fault.status === 429
        ? 'es_rejected_execution_exception'
        : fault.status === 400
          ? 'document_parsing_exception'
          : 'exception');
    return { status: fault.status, type };
  }
}

function safeMatch(match: (doc: Record<string, unknown>) => boolean, doc: Record<string, unknown>): boolean {
  try {
    return match(doc);
  } catch {
    return false;
  }
}
