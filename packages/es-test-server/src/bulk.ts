// The test server's _bulk: NDJSON parsed, each document stored or failed (scripted faults, conflicts), answers in request order.
import type { FaultScript } from './faults.js';
import { errorBody } from './respond.js';
import type { DocStore } from './store.js';

/** A request the server refuses as a whole (a malformed action line). */
export interface BulkRefusal {
  readonly status: number;
  readonly body: unknown;
}

export interface BulkItems {
  readonly errors: boolean;
  readonly items: Record<string, unknown>[];
}

/**
 * Applies a _bulk body to the store: one answer per action, in order. A malformed or unknown action
 * line refuses the request as a whole (what came before it stays stored).
 */
export function bulkItems(
  body: string,
  urlIndex: string | undefined,
  store: DocStore,
  faults: FaultScript,
): BulkItems | BulkRefusal {
  const lines = body.split('\n');
  const items: Record<string, unknown>[] = [];
  let errors = false;
  for (let i = 0; i < lines.length; i++) {
    const actionLine = lines[i]!;
    if (actionLine.trim() === '') continue;
    let action: Record<string, Record<string, unknown>>;
    try {
      action = JSON.parse(actionLine) as Record<string, Record<string, unknown>>;
    } catch {
      return {
        status: 400,
        body: errorBody('x_content_parse_exception', `malformed action line ${i + 1}`, 400),
      };
    }
    const op = Object.keys(action)[0];
    const meta = op === undefined ? undefined : action[op];
    if (op === undefined || meta === undefined || !['create', 'index', 'delete', 'update'].includes(op)) {
      return { status: 400, body: errorBody('illegal_argument_exception', `unknown action [${op}]`, 400) };
    }
    const index = typeof meta._index === 'string' ? meta._index : urlIndex;
    if (op === 'delete') {
      items.push({ delete: { _index: index, _id: meta._id, status: 404, result: 'not_found' } });
      continue;
    }
    const docLine = lines[++i];
    if (index === undefined) {
      errors = true;
      items.push({
        [op]: {
          status: 400,
          error: { type: 'action_request_validation_exception', reason: 'index is missing' },
        },
      });
      continue;
    }
    let source: Record<string, unknown>;
    try {
      source = JSON.parse(docLine ?? '') as Record<string, unknown>;
      if (source === null || typeof source !== 'object' || Array.isArray(source))
        throw new Error('not an object');
    } catch (error) {
      errors = true;
      store.countFailure(400);
      items.push({
        [op]: {
          _index: index,
          status: 400,
          error: {
            type: 'document_parsing_exception',
            reason: `failed to parse: ${(error as Error).message}`,
          },
        },
      });
      continue;
    }
    const itemFault = faults.item(source);
    if (itemFault) {
      errors = true;
      store.countFailure(itemFault.status);
      items.push({
        [op]: {
          _index: index,
          status: itemFault.status,
          error: {
            type: itemFault.type,
            reason:
              itemFault.status === 429
                ? 'rejected execution of coordinating operation [scripted]'
                : `scripted failure ${itemFault.status}`,
          },
        },
      });
      continue;
    }
    const givenId = typeof meta._id === 'string' ? meta._id : undefined;
    const key = `${index}\u0000${givenId ?? ''}`;
    if (op === 'create' && givenId !== undefined && store.conflict(key)) {
      errors = true;
      items.push({
        create: {
          _index: index,
          _id: givenId,
          status: 409,
          error: {
            type: 'version_conflict_engine_exception',
            reason: `[${givenId}]: version conflict, document already exists (current version [1])`,
          },
        },
      });
      continue;
    }
    const id = store.store(index, givenId, key, source);
    items.push({
      [op]: {
        _index: index,
        _id: id,
        _version: 1,
        result: 'created',
        _shards: { total: 1, successful: 1, failed: 0 },
        _seq_no: store.received,
        _primary_term: 1,
        status: 201,
      },
    });
  }
  return { errors, items };
}
