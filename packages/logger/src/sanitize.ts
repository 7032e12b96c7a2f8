/**
 * Turns any value into something JSON.stringify can always handle, without touching the caller's
 * objects: circular references, BigInt, Errors (with their cause chain), Buffers and typed arrays,
 * symbols, functions, `__proto__` keys, getters and toJSON methods that throw, Maps, Sets, Dates,
 * non-finite numbers, proxies that throw. Keys listed in `redact` are replaced by REDACTED.
 */
export const REDACTED = '[REDACTED]';

export const DEFAULT_REDACT_KEYS: readonly string[] = [
  'authorization',
  'cookie',
  'set-cookie',
  'password',
  'passwd',
  'secret',
  'token',
  'api_key',
  'apikey',
  'x-api-key',
];

export interface SanitizeOptions {
  /** Lower-cased keys whose values are replaced by REDACTED. */
  redact: ReadonlySet<string>;
  /** Nesting deeper than this becomes '[Depth]'. */
  maxDepth: number;
  /** Arrays, Maps, Sets and objects keep at most this many members; the rest is summarised. */
  maxMembers: number;
  /** Strings longer than this (in UTF-16 units) are cut with a marker. */
  maxStringLength: number;
}

export const TRUNCATED_MARKER = '…[truncated]';
/** What a value becomes once the entry's budget is spent. */
export const BUDGET_MARKER = '[Truncated: entry budget]';
const BUFFER_PREVIEW_BYTES = 256;

/** A plain JSON-safe object (fast-mode in V8); dynamic keys go through setKey. */
export type SafeObject = Record<string, unknown>;

export function createSafeObject(): SafeObject {
  return {};
}

/** Sets a key from input data: `__proto__` becomes an ordinary own property, never the prototype. */
export function setKey(object: SafeObject, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    object[key] = value;
  }
}

// The entry budget: roughly the characters of output the current entry may still produce. Every value
// costs at least one, a string its length, a key its length. It bounds the work of one entry whatever
// its shape (a DAG that references one wide object from a thousand places would otherwise be walked a
// thousand times per level). Module state, saved and restored around each entry (a getter may log).
let budget = Number.POSITIVE_INFINITY;
let budgetSpent = false;

const saved: number[] = [];

/** Starts an entry's budget (the enclosing entry's, if any, is restored by endBudget: a getter may log). */
export function startBudget(chars: number): void {
  saved.push(budget, budgetSpent ? 1 : 0);
  budget = chars;
  budgetSpent = false;
}

/** Ends the current entry's budget: true if it ran out (something was cut). */
export function endBudget(): boolean {
  const spent = budgetSpent;
  budgetSpent = saved.pop() === 1;
  budget = saved.pop() ?? Number.POSITIVE_INFINITY;
  return spent;
}

/** Spends n of the entry budget; false (and the budget marked spent) when nothing is left. */
export function spend(n: number): boolean {
  budget -= n;
  if (budget >= 0) return true;
  budgetSpent = true;
  return false;
}

/** A string within the entry budget and the length cap. */
function budgetString(text: string, max: number): string {
  const room = budget;
  budget -= text.length + 2;
  if (text.length <= room) return clip(text, max);
  budgetSpent = true;
  return room <= 0 ? BUDGET_MARKER : clip(text, Math.min(max, room));
}

/** `seen` holds the containers above value (for circular references through them). */
export function sanitize(value: unknown, options: SanitizeOptions, seen: object[] = []): unknown {
  return walk(value, options, seen.length, seen);
}

/** The ECS fields of an error, with its cause chain and its own enumerable fields (code, details…). */
export function sanitizeError(
  error: Error,
  options: SanitizeOptions,
  depth = 0,
  seen: object[] = [],
): SafeObject {
  const out = createSafeObject();
  seen.push(error);
  try {
    // Each read guarded on its own (a getter may throw); no closures: errors are logged on hot paths too.
    let name: unknown;
    try {
      name = error.name ?? error.constructor?.name;
    } catch {
      name = undefined;
    }
    let message: unknown;
    try {
      message = error.message;
    } catch {
      message = undefined;
    }
    let stack: unknown;
    try {
      stack = error.stack;
    } catch {
      stack = undefined;
    }
    out.type = (typeof name === 'string' ? name : safeString(name)) ?? 'Error';
    out.message = budgetString(
      (typeof message === 'string' ? message : safeString(message)) ?? '',
      options.maxStringLength,
    );
    if (typeof stack === 'string') out.stack_trace = budgetString(stack, options.maxStringLength);
    const keys = safeKeys(error);
    let own = 0;
    for (const key of keys) {
      if (key === 'name' || key === 'message' || key === 'stack' || key === 'cause') continue;
      if (own++ >= options.maxMembers || !spend(key.length + 3)) {
        out['…'] = 'more keys';
        break;
      }
      setKey(out, key, redacts(key, options) ? REDACTED : walkMember(error, key, options, depth + 1, seen));
    }
    let cause: unknown;
    try {
      cause = error.cause;
    } catch (thrown) {
      cause = `[Getter threw: ${safeString(safeRead(() => (thrown as Error).message)) ?? 'unknown error'}]`;
    }
    if (cause !== undefined) {
      if (depth + 1 > options.maxDepth) out.cause = '[Depth]';
      else if (seen.includes(cause as object)) out.cause = '[Circular]';
      else
        out.cause = isError(cause)
          ? sanitizeError(cause, options, depth + 1, seen)
          : walk(cause, options, depth + 1, seen);
    }
  } finally {
    seen.pop();
  }
  return out;
}

function walk(value: unknown, options: SanitizeOptions, depth: number, seen: object[]): unknown {
  if (typeof value === 'string') return budgetString(value, options.maxStringLength);
  if (!spend(4)) return BUDGET_MARKER;
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'boolean':
      return value;
    case 'undefined':
      return undefined;
    case 'bigint':
      return value.toString();
    case 'symbol':
      return value.toString();
    case 'function':
      return `[Function ${value.name || 'anonymous'}]`;
  }
  if (value === null) return null;
  const object = value as object;
  if (seen.includes(object)) return '[Circular]';
  if (depth > options.maxDepth) return '[Depth]';
  seen.push(object);
  try {
    return walkObject(object, options, depth, seen);
  } catch (error) {
    // A proxy whose traps throw, an exotic host object: keep what can be said about it.
    return `[Unserializable: ${safeRead(() => (error as Error).message) ?? 'unknown error'}]`;
  } finally {
    seen.pop();
  }
}

function walkObject(object: object, options: SanitizeOptions, depth: number, seen: object[]): unknown {
  // Plain objects (most metadata) skip the instanceof checks below. A proxy's trap may throw: walk() catches.
  const proto = Object.getPrototypeOf(object);
  if (proto === Object.prototype || proto === null) return walkPlain(object, options, depth, seen);
  if (object instanceof Error) return sanitizeError(object, options, depth, seen);
  if (object instanceof Date) return Number.isNaN(object.getTime()) ? 'Invalid Date' : object.toISOString();
  if (Buffer.isBuffer(object) || object instanceof Uint8Array) {
    const bytes = object as Uint8Array;
    const preview = Buffer.from(
      bytes.buffer,
      bytes.byteOffset,
      Math.min(bytes.byteLength, BUFFER_PREVIEW_BYTES),
    );
    const out = createSafeObject();
    out.type = Buffer.isBuffer(object) ? 'Buffer' : object.constructor.name;
    out.bytes = bytes.byteLength;
    out.base64 =
      preview.toString('base64') + (bytes.byteLength > BUFFER_PREVIEW_BYTES ? TRUNCATED_MARKER : '');
    return out;
  }
  if (ArrayBuffer.isView(object)) return `[${object.constructor.name} ${object.byteLength} bytes]`;
  if (object instanceof ArrayBuffer) return `[ArrayBuffer ${object.byteLength} bytes]`;
  if (Array.isArray(object)) {
    const length = object.length;
    const n = Math.min(length, options.maxMembers);
    const out: unknown[] = [];
    let i = 0;
    for (; i < n && budget > 0; i++) {
      const member = walkMember(object, i, options, depth + 1, seen);
      out.push(member === undefined ? null : member);
    }
    if (length > i) out.push(`…${length - i} more`);
    return out;
  }
  if (object instanceof Map) {
    const out = createSafeObject();
    let i = 0;
    for (const [key, member] of object) {
      if (i >= options.maxMembers || budget <= 0) {
        out['…'] = `${object.size - i} more`;
        break;
      }
      i++;
      const name = typeof key === 'string' ? key : String(walk(key, options, depth + 1, seen));
      setKey(out, name, redacts(name, options) ? REDACTED : walk(member, options, depth + 1, seen));
    }
    return out;
  }
  if (object instanceof Set) {
    const out: unknown[] = [];
    for (const member of object) {
      if (out.length >= options.maxMembers || budget <= 0) {
        out.push(`…${object.size - out.length} more`);
        break;
      }
      out.push(walk(member, options, depth + 1, seen) ?? null);
    }
    return out;
  }
  if (object instanceof WeakMap || object instanceof WeakSet || object instanceof Promise) {
    return `[${object.constructor.name}]`;
  }
  return walkPlain(object, options, depth, seen);
}

/** An object's own enumerable keys (or what its toJSON returns), capped and within the entry budget. */
function walkPlain(object: object, options: SanitizeOptions, depth: number, seen: object[]): unknown {
  let toJSON: unknown;
  try {
    toJSON = (object as { toJSON?: unknown }).toJSON;
  } catch {
    toJSON = undefined;
  }
  if (typeof toJSON === 'function') {
    let json: unknown;
    try {
      json = toJSON.call(object);
    } catch (error) {
      return `[toJSON threw: ${safeRead(() => (error as Error).message) ?? 'unknown error'}]`;
    }
    return json === object ? '[Circular]' : walk(json, options, depth + 1, seen);
  }
  const out = createSafeObject();
  const keys = Object.keys(object);
  const n = Math.min(keys.length, options.maxMembers);
  let i = 0;
  for (; i < n; i++) {
    const key = keys[i]!;
    if (!spend(key.length + 3)) break;
    const member = redacts(key, options) ? REDACTED : walkMember(object, key, options, depth + 1, seen);
    if (member !== undefined) setKey(out, key, member);
  }
  if (keys.length > i) out['…'] = `${keys.length - i} more keys`;
  return out;
}

function walkMember(
  object: object,
  key: string | number,
  options: SanitizeOptions,
  depth: number,
  seen: object[],
): unknown {
  let member: unknown;
  try {
    member = (object as Record<string | number, unknown>)[key];
  } catch (error) {
    return `[Getter threw: ${safeRead(() => (error as Error).message) ?? 'unknown error'}]`;
  }
  return walk(member, options, depth, seen);
}

export function redacts(key: string, options: SanitizeOptions): boolean {
  return options.redact.size > 0 && options.redact.has(key.toLowerCase());
}

function safeKeys(object: object): string[] {
  try {
    return Object.keys(object);
  } catch {
    return [];
  }
}

/** `value instanceof Error`, false where asking throws (a proxy whose getPrototypeOf trap throws). */
export function isError(value: unknown): value is Error {
  if (value === null || typeof value !== 'object') return false;
  try {
    return value instanceof Error;
  } catch {
    return false;
  }
}

/** String(value), or undefined when converting throws (a toString or Symbol.toPrimitive that throws). */
export function safeString(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  try {
    return String(value);
  } catch {
    return '[unprintable]';
  }
}

export function safeRead<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

export function clip(text: string, max: number): string {
  return text.length > max ? text.slice(0, max) + TRUNCATED_MARKER : text;
}
