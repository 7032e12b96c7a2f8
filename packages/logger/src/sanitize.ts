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
    out.type = safeRead(() => error.name ?? error.constructor?.name) ?? 'Error';
    out.message = clip(String(safeRead(() => error.message) ?? ''), options.maxStringLength);
    const stack = safeRead(() => error.stack);
    if (typeof stack === 'string') out.stack_trace = clip(stack, options.maxStringLength);
    for (const key of safeKeys(error)) {
      if (key === 'name' || key === 'message' || key === 'stack' || key === 'cause') continue;
      setKey(out, key, redacts(key, options) ? REDACTED : walkMember(error, key, options, depth + 1, seen));
    }
    const cause = safeRead(() => error.cause);
    if (cause !== undefined) {
      if (depth + 1 > options.maxDepth) out.cause = '[Depth]';
      else if (seen.includes(cause as object)) out.cause = '[Circular]';
      else
        out.cause =
          cause instanceof Error
            ? sanitizeError(cause, options, depth + 1, seen)
            : walk(cause, options, depth + 1, seen);
    }
  } finally {
    seen.pop();
  }
  return out;
}

function walk(value: unknown, options: SanitizeOptions, depth: number, seen: object[]): unknown {
  switch (typeof value) {
    case 'string':
      return clip(value, options.maxStringLength);
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
    const out: unknown[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const member = walkMember(object, i, options, depth + 1, seen);
      out[i] = member === undefined ? null : member;
    }
    if (length > n) out.push(`…${length - n} more`);
    return out;
  }
  if (object instanceof Map) {
    const out = createSafeObject();
    let i = 0;
    for (const [key, member] of object) {
      if (i++ >= options.maxMembers) {
        out['…'] = `${object.size - options.maxMembers} more`;
        break;
      }
      const name = typeof key === 'string' ? key : String(walk(key, options, depth + 1, seen));
      setKey(out, name, redacts(name, options) ? REDACTED : walk(member, options, depth + 1, seen));
    }
    return out;
  }
  if (object instanceof Set) {
    const out: unknown[] = [];
    for (const member of object) {
      if (out.length >= options.maxMembers) {
        out.push(`…${object.size - options.maxMembers} more`);
        break;
      }
      out.push(walk(member, options, depth + 1, seen) ?? null);
    }
    return out;
  }
  if (object instanceof WeakMap || object instanceof WeakSet || object instanceof Promise) {
    return `[${object.constructor.name}]`;
  }
  const toJSON = safeRead(() => (object as { toJSON?: unknown }).toJSON);
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
  for (let i = 0; i < n; i++) {
    const key = keys[i]!;
    const member = redacts(key, options) ? REDACTED : walkMember(object, key, options, depth + 1, seen);
    if (member !== undefined) setKey(out, key, member);
  }
  if (keys.length > n) out['…'] = `${keys.length - n} more keys`;
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

function safeRead<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

export function clip(text: string, max: number): string {
  return text.length > max ? text.slice(0, max) + TRUNCATED_MARKER : text;
}
