import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyCapture, captureDecision } from './body-capture.js';
import { storage } from './context.js';
import { type AnyFn, kState, type State, type Tagged } from './state.js';

function encodingOf(value: unknown): BufferEncoding {
  return typeof value === 'string' ? (value as BufferEncoding) : 'utf8';
}

function byteLength(chunk: unknown, encoding: unknown): number {
  if (typeof chunk === 'string') return Buffer.byteLength(chunk, encodingOf(encoding));
  return chunk instanceof Uint8Array ? chunk.byteLength : 0;
}

/** Creates the response capture on the first write/end, before the chunk reaches the layers below. */
function prepareResponse(state: State, res: ServerResponse): BodyCapture {
  const status = res.statusCode;
  const { budget, holdLimit, isTextual } = state.config;
  const capture =
    state.method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200)
      ? new BodyCapture(0, budget, 'no-body')
      : new BodyCapture(
          holdLimit,
          budget,
          captureDecision(res.getHeader('content-type'), res.getHeader('content-encoding'), isTextual),
        );
  state.response = capture;
  return capture;
}

/**
 * The one wrapper of `res.write` and `res.end`: calls the response's own method unchanged (return
 * value, callbacks in either position, encodings, writeHead overrides) and counts, and when asked
 * captures, the chunk. After the entry is written it only passes calls through.
 */
function tap(res: Tagged<ServerResponse>, method: 'write' | 'end', args: unknown[]): unknown {
  const state = res[kState];
  if (state === undefined) return Reflect.apply(Object.getPrototypeOf(res)[method] as AnyFn, res, args);
  const own = method === 'write' ? state.write : state.end;
  if (state.done || res.writableEnded) return Reflect.apply(own, res, args);
  const capture = state.config.captureResponse ? (state.response ?? prepareResponse(state, res)) : null;
  const result = Reflect.apply(own, res, args);
  const chunk = args[0];
  if (capture !== null) {
    if (typeof chunk === 'string' || chunk instanceof Uint8Array) capture.add(chunk, encodingOf(args[1]));
  } else {
    state.bytesOut += byteLength(chunk, args[1]);
  }
  return result;
}

export function loggedWrite(this: Tagged<ServerResponse>, ...args: unknown[]): unknown {
  return tap(this, 'write', args);
}

export function loggedEnd(this: Tagged<ServerResponse>, ...args: unknown[]): unknown {
  return tap(this, 'end', args);
}

function callPush(req: IncomingMessage, push: AnyFn, args: unknown[]): unknown {
  return Reflect.apply(push, req, args);
}

/**
 * Sees every request-body chunk the HTTP parser pushes, without changing the stream's flow, and
 * pushes it inside the request's context: the `data` and `end` events (and a body parser's callback
 * that calls the next middleware) then run in it, not in the connection's.
 */
export function loggedPush(this: Tagged<IncomingMessage>, ...args: unknown[]): unknown {
  const state = this[kState];
  const push = state?.push ?? (Object.getPrototypeOf(this).push as AnyFn);
  if (state === undefined) return Reflect.apply(push, this, args);
  if (!state.done) {
    const chunk = args[0];
    if (state.request !== null) {
      if (typeof chunk === 'string' || chunk instanceof Uint8Array)
        state.request.add(chunk, encodingOf(args[1]));
    } else {
      state.bytesIn += byteLength(chunk, args[1]);
    }
  }
  return storage.run(state.context, callPush, this, push, args);
}
