/** Building _bulk bodies and reading their answers: pure functions, no I/O. */

/** One buffered log entry: the ECS JSON line and a document id that stays the same across re-sends. */
export interface BufferedDoc {
  readonly line: string;
  readonly id: string;
}

export type BulkOp = 'create' | 'index';

/** The NDJSON operations for client.bulk(): an action line and the document, as pre-serialized strings. */
export function bulkOperations(docs: readonly BufferedDoc[], op: BulkOp, withIds: boolean): string[] {
  const out = new Array<string>(docs.length * 2);
  const plain = `{"${op}":{}}`;
  for (let i = 0; i < docs.length; i++) {
    const doc = docs[i]!;
    out[2 * i] = withIds ? `{"${op}":{"_id":"${doc.id}"}}` : plain;
    out[2 * i + 1] = doc.line;
  }
  return out;
}

export interface ItemFailure {
  index: number;
  status: number;
  type: string | undefined;
  reason: string | undefined;
}

/** Each position of a batch in exactly one of: stored (not listed), retry, rejected, unknown. */
export interface BulkOutcome {
  /** Positions stored (2xx, or 409 on create with our id: stored by an earlier try whose answer was lost). */
  stored: number;
  /** Of stored, how many were 409 conflicts on our own id. */
  alreadyPresent: number;
  /** Positions refused for now and not stored (429, 408, 5xx items): to send again. */
  retry: number[];
  /** Positions refused for good (other 4xx), with the first one as a sample. */
  rejected: number[];
  /** Positions the answer says nothing about (a short or malformed answer): maybe stored. */
  unknown: number[];
  sample: ItemFailure | undefined;
  /** True when the answer did not have one item per document. */
  malformed: boolean;
}

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 408 || status >= 500;
}

interface BulkItemBody {
  status?: unknown;
  error?: { type?: unknown; reason?: unknown } | string;
}

/** Classifies each item of a _bulk answer (items come back in request order). */
export function readBulkResponse(body: unknown, count: number, withIds: boolean): BulkOutcome {
  const outcome: BulkOutcome = {
    stored: 0,
    alreadyPresent: 0,
    retry: [],
    rejected: [],
    unknown: [],
    sample: undefined,
    malformed: false,
  };
  const response =
    body !== null && typeof body === 'object' ? (body as { errors?: unknown; items?: unknown }) : undefined;
  const items = Array.isArray(response?.items) ? (response.items as unknown[]) : undefined;
  if (response?.errors === false && items !== undefined && items.length === count) {
    outcome.stored = count;
    return outcome;
  }
  if (items === undefined || items.length !== count) outcome.malformed = true;
  for (let i = 0; i < count; i++) {
    const status = itemStatus(items?.[i]);
    if (status === undefined) {
      outcome.unknown.push(i);
    } else if (status >= 200 && status < 300) {
      outcome.stored++;
    } else if (status === 409 && withIds) {
      outcome.stored++;
      outcome.alreadyPresent++;
    } else if (isRetryableStatus(status)) {
      outcome.retry.push(i);
    } else {
      outcome.rejected.push(i);
      if (outcome.sample === undefined) outcome.sample = failure(i, status, itemBody(items?.[i])?.error);
    }
  }
  return outcome;
}

function itemBody(wrapper: unknown): BulkItemBody | undefined {
  if (wrapper === null || typeof wrapper !== 'object') return undefined;
  const item = Object.values(wrapper as Record<string, unknown>)[0];
  return item !== null && typeof item === 'object' ? (item as BulkItemBody) : undefined;
}

function itemStatus(wrapper: unknown): number | undefined {
  const status = itemBody(wrapper)?.status;
  return typeof status === 'number' && Number.isInteger(status) ? status : undefined;
}

function failure(index: number, status: number, error: BulkItemBody['error']): ItemFailure {
  return {
    index,
    status,
    type: typeof error === 'object' && typeof error?.type === 'string' ? error.type : undefined,
    reason:
      typeof error === 'string'
        ? error
        : typeof error === 'object' && typeof error?.reason === 'string'
          ? error.reason
          : undefined,
  };
}

/** `logs-<dataset>-<namespace>`, with the characters Elasticsearch forbids in names replaced. */
export function dataStreamName(dataset: string, namespace: string): string {
  return `logs-${cleanNamePart(dataset)}-${cleanNamePart(namespace)}`;
}

export function cleanNamePart(part: string): string {
  const cleaned = part
    .toLowerCase()
    .replace(/[\\/*?"<>| ,#:-]+/g, '_')
    .replace(/^[_+.]+/, '');
  return cleaned === '' ? 'generic' : cleaned.slice(0, 100);
}
