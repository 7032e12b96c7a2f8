import {
  clip,
  createSafeObject,
  endBudget,
  isError,
  REDACTED,
  redacts,
  type SafeObject,
  type SanitizeOptions,
  safeRead,
  safeString,
  sanitize,
  sanitizeError,
  setKey,
  spend,
  startBudget,
  TRUNCATED_MARKER,
} from './sanitize.js';

/** Where createLogger's log methods put the raw metadata arguments of a call (read by the format). */
/** triple-beam's symbols (winston's): the formatted line and the level of an info. */
export const MESSAGE: unique symbol = Symbol.for('message') as never;
export const LEVEL: unique symbol = Symbol.for('level') as never;

export const kArgs: unique symbol = Symbol.for('@org/shared-logger.args');
/** Set on an info whose [MESSAGE] is an ECS JSON line made by this format (the transport reuses it). */
export const kEcsLine: unique symbol = Symbol.for('@org/shared-logger.ecsLine');

/** On an info whose first metadata argument also carried the message (and level): keys to leave out. */
export const kSkipKeys: unique symbol = Symbol.for('@org/shared-logger.skipKeys');

export const ECS_VERSION = '8.11.0';

export interface ServiceInfo {
  name: string;
  version?: string;
  environment?: string;
}

export interface EcsFormatOptions extends SanitizeOptions {
  service: ServiceInfo;
  /** Cap of one serialized entry in UTF-8 bytes; larger entries are truncated with a marker. */
  maxEntryBytes: number;
  now: () => number;
  /** Called when formatting failed unexpectedly (a minimal entry is produced instead). */
  onFormatError?: (error: unknown) => void;
}

/** Keys the format owns at the top level of a document; metadata with these keys goes under `extra`. */
const RESERVED = new Set(['@timestamp', 'log.level', 'message', 'service', 'ecs.version', 'error', 'trace']);
/** Keys of the info object that are winston's, not metadata. */
const WINSTON_KEYS = new Set(['level', 'message', 'splat']);

export interface InfoLike {
  level?: unknown;
  message?: unknown;
  [key: string]: unknown;
  [kArgs]?: unknown[] | undefined;
}

/**
 * The info a log method of createLogger makes: one shape for every call, and no own keys besides level
 * and message (its metadata is in [kArgs]), so the format does not enumerate it.
 */
export class CallInfo implements InfoLike {
  [key: string]: unknown;
  [key: symbol]: unknown;
  level: string;
  message: unknown;
  [LEVEL]: string;
  [kArgs]: unknown[] | undefined;
  [kSkipKeys]: { arg: unknown; keys: Set<string> } | undefined;
  constructor(
    level: string,
    message: unknown,
    args: unknown[] | undefined,
    skip: { arg: unknown; keys: Set<string> } | undefined,
  ) {
    this.level = level;
    this.message = message;
    this[LEVEL] = level;
    this[kArgs] = args;
    this[kSkipKeys] = skip;
  }
}

/** One entry while it is built: its head (time, level, message), its other fields, the merged event. */
interface Parts {
  time: string;
  level: string;
  message: string;
  /** event.* when the entry merged fields into it (else the shared { dataset }). */
  event: SafeObject | undefined;
  fixed: FixedFields;
  /** Every field after the head and service/event, in order. */
  doc: SafeObject;
  error: Error | undefined;
  extra: SafeObject | undefined;
  extraArgs: unknown[] | undefined;
  traceId: string | undefined;
  /** Top-level fields taken so far (capped at maxMembers), and the keys left out past the cap. */
  fields: number;
  skipped: number;
}

/**
 * Builds the ECS JSON line for one winston info. Never throws: on an unexpected failure it returns a
 * minimal entry that still carries the message.
 */
export function ecsLine(info: InfoLike, options: EcsFormatOptions): string {
  try {
    return serialize(buildParts(info, options), info, options);
  } catch (error) {
    options.onFormatError?.(error);
    return fallbackLine(info, options, error);
  }
}

/** The ECS line and the document it was made from (undefined when formatting failed). Never throws. */
export function ecsEntry(
  info: InfoLike,
  options: EcsFormatOptions,
): { line: string; doc: SafeObject | undefined } {
  let doc: SafeObject | undefined;
  try {
    const parts = buildParts(info, options);
    doc = documentOf(parts);
    return { line: serialize(parts, info, options), doc };
  } catch (error) {
    options.onFormatError?.(error);
    return { line: fallbackLine(info, options, error), doc };
  }
}

/**
 * The line, the head written as text around JSON.stringify of the other fields: the service and event
 * part is the same for every entry of a logger and is serialized once (fixedFields).
 */
function serialize(parts: Parts, info: InfoLike, options: EcsFormatOptions): string {
  const rest = isEmpty(parts.doc) ? '{}' : JSON.stringify(parts.doc);
  const line =
    `{"@timestamp":"${parts.time}","log.level":${levelJson(parts.level)},"message":${JSON.stringify(parts.message)}` +
    (parts.event === undefined
      ? parts.fixed.tail
      : `${parts.fixed.tailWithoutEvent},"event":${JSON.stringify(parts.event)}`) +
    (rest.length === 2 ? '}' : `,${rest.slice(1)}`);
  if (line.length * 3 <= options.maxEntryBytes) return line;
  const bytes = Buffer.byteLength(line);
  return bytes <= options.maxEntryBytes ? line : truncate(info, line, bytes, options);
}

function isEmpty(object: SafeObject): boolean {
  for (const _ in object) return false;
  return true;
}

const LEVEL_JSON = new Map(
  ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'].map((l) => [l, `"${l}"`]),
);
function levelJson(level: string): string {
  return LEVEL_JSON.get(level) ?? JSON.stringify(level);
}

/** The whole ECS document of an entry (what the line holds), for the pretty format and tests. */
export function buildDocument(info: InfoLike, options: EcsFormatOptions): SafeObject {
  return documentOf(buildParts(info, options));
}

function documentOf(parts: Parts): SafeObject {
  const doc = createSafeObject();
  doc['@timestamp'] = parts.time;
  doc['log.level'] = parts.level;
  doc.message = parts.message;
  doc['ecs.version'] = ECS_VERSION;
  doc.service = parts.fixed.service;
  doc.event = parts.event ?? parts.fixed.event;
  for (const key of Object.keys(parts.doc)) setKey(doc, key, parts.doc[key]);
  return doc;
}

function buildParts(info: InfoLike, options: EcsFormatOptions): Parts {
  startBudget(options.maxEntryBytes * BUDGET_FACTOR);
  try {
    return buildWithinBudget(info, options);
  } finally {
    endBudget();
  }
}

/**
 * The entry budget, in characters of output, as a multiple of maxEntryBytes: an entry whose values add
 * up to more than this is cut while it is built (then truncated to the byte cap as any oversized entry).
 */
const BUDGET_FACTOR = 4;

function buildWithinBudget(info: InfoLike, options: EcsFormatOptions): Parts {
  const level = typeof info.level === 'string' ? info.level : (safeString(info.level) ?? 'info');
  const doc = createSafeObject();
  const parts: Parts = {
    time: isoTime(options.now()),
    level,
    message: '',
    event: undefined,
    fixed: fixedFields(options.service),
    doc,
    error: undefined,
    extra: undefined,
    extraArgs: undefined,
    traceId: undefined,
    fields: 0,
    skipped: 0,
  };
  const message = info.message;
  if (typeof message === 'string') {
    parts.message = clip(message, options.maxStringLength);
  } else if (isError(message)) {
    parts.error = message;
    parts.message = clip(safeString(safeRead(() => message.message)) ?? '', options.maxStringLength);
  } else {
    const safe = sanitize(message, options);
    parts.message = typeof safe === 'string' ? safe : safe === undefined ? '' : JSON.stringify(safe);
  }

  if (!(info instanceof CallInfo)) {
    for (const key of Object.keys(info)) {
      if (WINSTON_KEYS.has(key)) continue;
      addTopLevel(parts, key, info[key], options);
    }
  }
  const args = info[kArgs];
  const skip = (info as Record<symbol, unknown>)[kSkipKeys] as
    | { arg: unknown; keys: Set<string> }
    | undefined;
  if (args !== undefined) {
    for (const arg of args) {
      try {
        addArgument(parts, arg, skip, options);
      } catch (error) {
        // A proxy whose traps throw, a revoked proxy: the entry is still written, with a placeholder.
        pushExtraArg(parts, unreadable(error));
      }
    }
  }
  if (parts.skipped > 0) extraOf(parts)['…'] = `${parts.skipped} more keys`;
  if (parts.error !== undefined) {
    const error = parts.error;
    // The entry's error has a budget of its own: metadata that spent the entry's does not erase it.
    startBudget(options.maxEntryBytes);
    try {
      doc.error = sanitizeError(error, options);
    } catch (cause) {
      doc.error = unreadable(cause);
    } finally {
      endBudget();
    }
  }
  if (parts.traceId !== undefined) {
    const trace = createSafeObject();
    trace.id = parts.traceId;
    doc.trace = trace;
  }
  if (parts.extraArgs !== undefined) extraOf(parts).args = parts.extraArgs;
  if (parts.extra !== undefined) doc.extra = parts.extra;
  return parts;
}

function addArgument(
  parts: Parts,
  arg: unknown,
  skip: { arg: unknown; keys: Set<string> } | undefined,
  options: EcsFormatOptions,
): void {
  if (arg === undefined) return;
  if (isError(arg)) {
    if (parts.error === undefined) parts.error = arg;
    else pushExtraArg(parts, sanitizeError(arg, options));
    return;
  }
  if (arg === null || typeof arg !== 'object' || Array.isArray(arg) || Buffer.isBuffer(arg)) {
    pushExtraArg(parts, sanitize(arg, options));
    return;
  }
  const keys = Object.keys(arg);
  const seen = [arg];
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (skip !== undefined && skip.arg === arg && skip.keys.has(key)) continue;
    if (!CORE_KEYS.has(key) && (parts.fields >= options.maxMembers || !spend(key.length + 3))) {
      parts.skipped += keys.length - i;
      return;
    }
    addField(parts, key, readMember(arg, key), options, seen);
  }
}

/** A key of the info object itself (winston child metadata, a log(info) object): capped like arguments. */
function addTopLevel(parts: Parts, key: string, value: unknown, options: EcsFormatOptions): void {
  if (!CORE_KEYS.has(key) && (parts.fields >= options.maxMembers || !spend(key.length + 3))) {
    parts.skipped++;
    return;
  }
  addField(parts, key, value, options);
}

/** Keys that feed the ECS core (error.*, trace.id): taken whatever the caps, ahead of ordinary fields. */
const CORE_KEYS = new Set(['error', 'err', 'traceId', 'trace_id', 'trace.id', 'trace']);

function unreadable(error: unknown): string {
  return `[Unserializable: ${safeString(safeRead(() => (error as Error).message)) ?? 'unknown error'}]`;
}

let lastMs = Number.NaN;
let lastIso = '';

/** toISOString, computed once per millisecond (many entries share one). */
export function isoTime(ms: number): string {
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

function addField(
  parts: Parts,
  key: string,
  value: unknown,
  options: EcsFormatOptions,
  seen: object[] = [],
): void {
  parts.fields++;
  if (redacts(key, options)) {
    setField(parts, key, REDACTED);
    return;
  }
  if ((key === 'error' || key === 'err') && parts.error === undefined && isError(value)) {
    parts.error = value;
    return;
  }
  if ((key === 'traceId' || key === 'trace_id' || key === 'trace.id') && typeof value === 'string') {
    parts.traceId = value;
    return;
  }
  if (key === 'trace' && value !== null && typeof value === 'object') {
    const id = readMember(value, 'id');
    if (typeof id === 'string') parts.traceId = id;
    return;
  }
  const safe = sanitize(value, options, seen);
  if (safe !== undefined) setField(parts, key, safe);
}

function setField(parts: Parts, key: string, value: unknown): void {
  if (key === 'event' && isPlainRecord(value)) {
    // Merged with event.dataset (the caller's dataset, if any, wins: "unless configured otherwise").
    parts.event = Object.assign(createSafeObject(), parts.event ?? parts.fixed.event, value);
    return;
  }
  if (key === 'labels' && isPlainRecord(value)) {
    setKey(parts.doc, key, labelsOf(value));
    return;
  }
  const owned =
    RESERVED.has(key) ||
    ((key === 'log' || key === 'ecs') && isPlainRecord(value) && Object.hasOwn(value, DOTTED_TWIN[key]));
  setKey(owned ? extraOf(parts) : parts.doc, key, value);
}

/** log.level and ecs.version are dotted top-level keys: a nested twin (log: { level }) would be a second value. */
const DOTTED_TWIN = { log: 'level', ecs: 'version' } as const;

function isPlainRecord(value: unknown): value is SafeObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** ecs-logging: label keys have '.', '*' and '\\' replaced by '_'. */
function labelsOf(labels: SafeObject): SafeObject {
  const out = createSafeObject();
  for (const key of Object.keys(labels)) setKey(out, key.replace(LABEL_KEY_CHARS, '_'), labels[key]);
  return out;
}
const LABEL_KEY_CHARS = /[.*\\]/g;

function pushExtraArg(parts: Parts, value: unknown): void {
  if (parts.extraArgs === undefined) parts.extraArgs = [];
  parts.extraArgs.push(value);
}

function extraOf(parts: Parts): SafeObject {
  if (parts.extra === undefined) parts.extra = createSafeObject();
  return parts.extra;
}

function readMember(object: object, key: string): unknown {
  try {
    return (object as Record<string, unknown>)[key];
  } catch (error) {
    return `[Getter threw: ${safeString(safeRead(() => (error as Error).message)) ?? 'unknown error'}]`;
  }
}

/**
 * service.* and event.dataset (ecs-logging: set to the service name), built once per ServiceInfo and
 * shared by every entry (frozen: JSON.stringify only reads them; a merge makes a new object).
 */
interface FixedFields {
  service: SafeObject;
  event: SafeObject;
  /** `,"ecs.version":…,"service":{…},"event":{…}` */
  tail: string;
  /** The same without event (for an entry that merged fields into it). */
  tailWithoutEvent: string;
}

function fixedFields(service: ServiceInfo): FixedFields {
  let fields = fixedCache.get(service);
  if (fields === undefined) {
    const serviceFields = Object.freeze(serviceObject(service));
    const event = Object.freeze({ dataset: service.name });
    const tailWithoutEvent = `,"ecs.version":${JSON.stringify(ECS_VERSION)},"service":${JSON.stringify(serviceFields)}`;
    fields = {
      service: serviceFields,
      event,
      tail: `${tailWithoutEvent},"event":${JSON.stringify(event)}`,
      tailWithoutEvent,
    };
    fixedCache.set(service, fields);
  }
  return fields;
}
const fixedCache = new WeakMap<ServiceInfo, FixedFields>();

function serviceObject(service: ServiceInfo): SafeObject {
  const out = createSafeObject();
  out.name = service.name;
  if (service.version !== undefined) out.version = service.version;
  if (service.environment !== undefined) out.environment = service.environment;
  return out;
}

/**
 * An entry over the cap keeps its ECS core (time, level, service, trace, error type) and as much of
 * its message and of the original line as fits, marked with log.truncated and log.original_bytes.
 */
function truncate(info: InfoLike, line: string, bytes: number, options: EcsFormatOptions): string {
  const full = JSON.parse(line) as SafeObject;
  const core = createSafeObject();
  core['@timestamp'] = full['@timestamp'];
  core['log.level'] = full['log.level'];
  core.message = ''; // ecs-logging's order: @timestamp, log.level, message first
  for (const key of ['ecs.version', 'service', 'event', 'trace', 'span', 'transaction']) {
    if (full[key] !== undefined) core[key] = full[key];
  }
  core['log.truncated'] = true;
  core['log.original_bytes'] = bytes;
  const error = full.error as SafeObject | undefined;
  const message = typeof full.message === 'string' ? full.message : '';
  const stack = typeof error?.stack_trace === 'string' ? error.stack_trace : undefined;
  let budget = options.maxEntryBytes - Buffer.byteLength(JSON.stringify(core)) - 200;
  for (let attempt = 0; attempt < 6 && budget > 0; attempt++) {
    const doc = Object.assign(createSafeObject(), core);
    doc.message = cutBytes(message, Math.floor(budget / 2));
    if (error !== undefined) {
      const e = createSafeObject();
      e.type = error.type;
      e.message = cutBytes(String(error.message ?? ''), Math.floor(budget / 8));
      if (stack !== undefined) e.stack_trace = cutBytes(stack, Math.floor(budget / 8));
      doc.error = e;
    }
    doc['log.original'] = cutBytes(line, Math.floor(budget / (error === undefined ? 2 : 4)));
    const out = JSON.stringify(doc);
    const outBytes = Buffer.byteLength(out);
    if (outBytes <= options.maxEntryBytes) return out;
    budget -= (outBytes - options.maxEntryBytes) * 2 + 64;
  }
  core.message = TRUNCATED_MARKER;
  const minimal = JSON.stringify(core);
  return Buffer.byteLength(minimal) <= options.maxEntryBytes
    ? minimal
    : fallbackLine(info, options, undefined);
}

/** Cuts a string to at most maxBytes of UTF-8 (marker included) without splitting a character. */
export function cutBytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  const room = maxBytes - Buffer.byteLength(TRUNCATED_MARKER);
  if (room <= 0) return TRUNCATED_MARKER;
  let cut = Buffer.from(text).subarray(0, room).toString();
  if (cut.endsWith('\uFFFD')) cut = cut.slice(0, -1);
  return cut + TRUNCATED_MARKER;
}

function fallbackLine(info: InfoLike, options: EcsFormatOptions, error: unknown): string {
  let message: string;
  try {
    message = typeof info.message === 'string' ? info.message : String(info.message);
  } catch {
    message = '[unprintable message]';
  }
  const reason =
    error === undefined
      ? 'entry too large'
      : (safeString(safeRead(() => (error as Error).message)) ?? 'unknown');
  const doc = {
    '@timestamp': isoTime(Number.isFinite(safeRead(options.now)) ? options.now() : Date.now()),
    'log.level': typeof info.level === 'string' ? info.level : 'info',
    message: cutBytes(message, Math.max(64, Math.floor(options.maxEntryBytes / 2))),
    'ecs.version': ECS_VERSION,
    service: { name: options.service.name },
    event: { dataset: options.service.name },
    'log.format_error': reason,
  };
  return JSON.stringify(doc);
}

/** Marks an info as carrying our ECS line in [MESSAGE]. */
export function setEcsLine(info: Record<string | symbol, unknown>, line: string): void {
  info[MESSAGE] = line;
  info[kEcsLine] = true;
}
