// One entry's ECS document built from an info within its budget: the head, the ECS core (error, trace), metadata, extra.

import { type FixedFields, fixedFields } from './ecs-fixed-fields.js';
import { CallInfo, type InfoLike, kArgs, kSkipKeys } from './ecs-info.js';
import { ECS_VERSION, type EcsFormatOptions } from './ecs-options.js';
import {
  clip,
  createSafeObject,
  endBudget,
  isError,
  REDACTED,
  redacts,
  type SafeObject,
  safeRead,
  safeString,
  sanitize,
  sanitizeError,
  setKey,
  spend,
  startBudget,
} from './sanitize.js';

/** Keys the format owns at the top level of a document; metadata with these keys goes under `extra`. */
const RESERVED = new Set(['@timestamp', 'log.level', 'message', 'service', 'ecs.version', 'error', 'trace']);
/** Keys of the info object that are winston's, not metadata. */
const WINSTON_KEYS = new Set(['level', 'message', 'splat']);

/** One entry while it is built: its head (time, level, message), its other fields, the merged event. */
export interface Parts {
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

/** The whole ECS document of an entry (what the line holds), for the pretty format and tests. */
export function buildDocument(info: InfoLike, options: EcsFormatOptions): SafeObject {
  return documentOf(buildParts(info, options));
}

export function documentOf(parts: Parts): SafeObject {
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

export function buildParts(info: InfoLike, options: EcsFormatOptions): Parts {
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
