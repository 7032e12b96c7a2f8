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

export interface BulkOutcome {
  /** Positions delivered (2xx, or 409 on create with our id: already delivered by an earlier try). */
  sent: number;
  /** Of sent, how many were 409 conflicts on our own id (a re-send after a lost response). */
  alreadyPresent: number;
  /** Positions to put back and retry (429, 5xx, or unanswered). */
  retry: number[];
  /** Positions dropped for good (other 4xx), with the first one as a sample. */
  rejected: number[];
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
    sent: 0,
    alreadyPresent: 0,
    retry: [],
    rejected: [],
    sample: undefined,
    malformed: false,
  };
  const response = body as { errors?: unknown; items?: unknown } | null | undefined;
  const items = Array.isArray(response?.items) ? (response.items as unknown[]) : undefined;
  if (response?.errors === false && (items === undefined || items.length === count)) {
    // filter_path may strip the items of a fully successful request.
    outcome.sent = count;
    return outcome;
  }
  if (items === undefined || items.length !== count) outcome.malformed = true;
  for (let i = 0; i < count; i++) {
    const wrapper = items?.[i] as Record<string, BulkItemBody> | undefined;
    const item = wrapper ? Object.values(wrapper)[0] : undefined;
    const status = typeof item?.status === 'number' ? item.status : undefined;
    if (status === undefined) {
      outcome.retry.push(i);
    } else if (status >= 200 && status < 300) {
      outcome.sent++;
    } else if (status === 409 && withIds) {
      outcome.sent++;
      outcome.alreadyPresent++;
    } else if (isRetryableStatus(status)) {
      outcome.retry.push(i);
    } else {
      outcome.rejected.push(i);
      if (outcome.sample === undefined) {
        const error = item?.error;
        outcome.sample = {
          index: i,
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
    }
  }
  return outcome;
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
