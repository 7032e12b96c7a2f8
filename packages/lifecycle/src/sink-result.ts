// A sender's per-item answer read against its batch: which items are stored, pushed back, refused or in doubt.

import { LifecycleError } from './errors.js';
import type { Entry } from './sink-entry.js';
import type { SendResult } from './sink-types.js';

export interface SortedItems<T> {
  /** To go again (pushed back, or in doubt with resendInDoubt). */
  readonly back: Entry<T>[];
  /** Refused for good. */
  readonly refused: Entry<T>[];
  /** In doubt and not sent again (resendInDoubt false). */
  readonly lost: Entry<T>[];
  /** Items stored. */
  readonly stored: number;
  /** Items the answer pushed back (`retry`). */
  readonly retried: number;
}

/**
 * Sorts the entries of an `items` answer; marks the unknown ones in doubt. Throws (before marking
 * any) when the answer names an index outside the batch.
 */
export function sortItems<T>(
  entries: readonly Entry<T>[],
  result: Extract<SendResult, { kind: 'items' }>,
  resendInDoubt: boolean,
): SortedItems<T> {
  const retry = indexSet(result.retry, entries.length);
  const unknown = indexSet(result.unknown, entries.length);
  const rejected = indexSet(result.rejected, entries.length);
  const back: Entry<T>[] = [];
  const refused: Entry<T>[] = [];
  const lost: Entry<T>[] = [];
  let stored = 0;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    if (rejected.has(i)) refused.push(entry);
    else if (unknown.has(i)) {
      entry.value.inDoubt = true;
      (resendInDoubt ? back : lost).push(entry);
    } else if (retry.has(i)) back.push(entry);
    else stored++;
  }
  return { back, refused, lost, stored, retried: retry.size };
}

function indexSet(indexes: readonly number[] | undefined, length: number): Set<number> {
  const set = new Set<number>();
  if (!indexes) return set;
  for (const index of indexes) {
    if (!Number.isInteger(index) || index < 0 || index >= length) {
      throw new LifecycleError(
        'ORG_LIFECYCLE_TASK_FAILED',
        `send result names item ${index} of a batch of ${length}`,
        {
          details: { index, length },
        },
      );
    }
    set.add(index);
  }
  return set;
}
