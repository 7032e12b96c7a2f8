import { AsyncLocalStorage } from 'node:async_hooks';
import { formatTraceparent } from './trace-context.js';

/**
 * What every piece of code run on behalf of a request can read: the request id and the W3C trace
 * context. The request logger creates one per request and enters it, so a route, a timer it started,
 * an event it emitted and every promise chain from it see the same context.
 */
export interface RequestContext {
  /** The incoming `x-request-id` when valid, else a new one. */
  readonly requestId: string;
  /** The caller's trace id (from a valid `traceparent`), else a new one. */
  readonly traceId: string;
  /** This server's span: new for every request. */
  readonly spanId: string;
  /** The caller's span (the `traceparent` parent-id), if there was one. */
  readonly parentSpanId: string | undefined;
  /** The trace flags, two lower-case hex digits ("01" = sampled). */
  readonly traceFlags: string;
  /** The caller's `tracestate`, when valid: pass it on with `traceparent` to downstream calls. */
  readonly tracestate: string | undefined;
  /** `traceparent` for downstream calls and for the response: this trace, this server's span. */
  readonly traceparent: string;
}

/** The ECS fields a log line written while serving a request carries. */
export interface ContextLogFields {
  trace: { id: string };
  span: { id: string };
  transaction: { id: string };
  http: { request: { id: string } };
}

/** A request's context; `traceparent` is made at once (every response carries it). */
export function newContext(
  requestId: string,
  traceId: string,
  spanId: string,
  parentSpanId: string | undefined,
  traceFlags: string,
  tracestate: string | undefined,
): RequestContext {
  return {
    requestId,
    traceId,
    spanId,
    parentSpanId,
    traceFlags,
    tracestate,
    traceparent: formatTraceparent(traceId, spanId, traceFlags),
  };
}

// Built on first use, once per request: most requests write one line (their entry), which has its own ids.
const logFields = new WeakMap<RequestContext, ContextLogFields>();

function fieldsOf(context: RequestContext): ContextLogFields {
  let fields = logFields.get(context);
  if (fields === undefined) {
    // Frozen: one object is handed to every line of the request, and no line may change the next.
    fields = Object.freeze({
      trace: Object.freeze({ id: context.traceId }),
      span: Object.freeze({ id: context.spanId }),
      transaction: Object.freeze({ id: context.spanId }),
      http: Object.freeze({ request: Object.freeze({ id: context.requestId }) }),
    });
    logFields.set(context, fields);
  }
  return fields;
}

/** One store per process, even when two copies of this package are loaded. */
const STORAGE_KEY = Symbol.for('@org/shared-middleware.requestContext');
const holder = globalThis as { [STORAGE_KEY]?: AsyncLocalStorage<RequestContext> };
holder[STORAGE_KEY] ??= new AsyncLocalStorage<RequestContext>();
export const storage: AsyncLocalStorage<RequestContext> = holder[STORAGE_KEY];

/** The context of the request being served, or undefined outside one. */
export function requestContext(): RequestContext | undefined {
  return storage.getStore();
}

/**
 * The ECS fields of the current request for a log line (`trace.id`, `span.id`, `transaction.id`,
 * `http.request.id`, as nested objects), or undefined outside a request. Meant for a logger's
 * per-line context hook; the object is built once per request and must not be changed.
 */
export function contextLogFields(): ContextLogFields | undefined {
  const context = storage.getStore();
  return context === undefined ? undefined : fieldsOf(context);
}

/** Runs `fn` inside a request context (for work a request hands to a queue or a worker of its own). */
export function runWithContext<R>(context: RequestContext, fn: () => R): R {
  return storage.run(context, fn);
}
