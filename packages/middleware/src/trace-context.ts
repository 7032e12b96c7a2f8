import { randomFillSync } from 'node:crypto';

/** A parsed W3C `traceparent` header (Trace Context, level 1 and 2). */
export interface ParsedTraceparent {
  traceId: string;
  /** The caller's span id (the header's parent-id). */
  parentId: string;
  /** Two lower-case hex digits; bit 0 is "sampled". */
  flags: string;
}

const ZERO_TRACE_ID = '00000000000000000000000000000000';
const ZERO_SPAN_ID = '0000000000000000';
/** version "-" trace-id "-" parent-id "-" trace-flags: 2 + 1 + 32 + 1 + 16 + 1 + 2. */
const TRACEPARENT_LENGTH = 55;

function isLowerHex(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

function trimOws(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && (text.charCodeAt(start) === 32 || text.charCodeAt(start) === 9)) start++;
  while (end > start && (text.charCodeAt(end - 1) === 32 || text.charCodeAt(end - 1) === 9)) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

/**
 * Parses a `traceparent` header as the W3C Trace Context specification says: lower-case hex only;
 * version `ff` is invalid; version `00` is exactly 55 characters; a later version may carry more
 * fields after a `-`; all-zero trace and parent ids are invalid. Two headers (which Node joins with
 * ", ") are invalid. Returns undefined for anything invalid: the caller then starts a new trace.
 */
export function parseTraceparent(header: string | string[] | undefined): ParsedTraceparent | undefined {
  if (header === undefined || Array.isArray(header)) return undefined;
  const value = trimOws(header);
  if (value.length < TRACEPARENT_LENGTH) return undefined;
  if (
    value.charCodeAt(2) !== 45 ||
    value.charCodeAt(35) !== 45 ||
    value.charCodeAt(52) !== 45 ||
    !isLowerHex(value, 0, 2) ||
    !isLowerHex(value, 3, 35) ||
    !isLowerHex(value, 36, 52) ||
    !isLowerHex(value, 53, 55)
  ) {
    return undefined;
  }
  const version = value.slice(0, 2);
  if (version === 'ff') return undefined;
  if (value.length > TRACEPARENT_LENGTH && (version === '00' || value.charCodeAt(55) !== 45))
    return undefined;
  const traceId = value.slice(3, 35);
  const parentId = value.slice(36, 52);
  if (traceId === ZERO_TRACE_ID || parentId === ZERO_SPAN_ID) return undefined;
  // A later version's flags are read as version 00's: only the bits this version defines are kept.
  const flags =
    version === '00'
      ? value.slice(53, 55)
      : (Number.parseInt(value.slice(53, 55), 16) & 0x03).toString(16).padStart(2, '0');
  return { traceId, parentId, flags };
}

const MAX_TRACESTATE_MEMBERS = 32;
const KEY = /^[a-z0-9][a-z0-9_\-*/@]{0,255}$/;
const VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

/**
 * Validates a `tracestate` header (several headers arrive joined with ", "): at most 32 list
 * members of `key=value` with the specification's key and value grammar, empty members and optional
 * whitespace allowed; a key given twice keeps its first member (the specification allows either
 * that or passing both on). Returns the header to propagate (members in their order, whitespace
 * removed) or undefined when it is absent, empty or invalid: an invalid tracestate is discarded as
 * a whole.
 */
export function parseTracestate(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const joined = Array.isArray(header) ? header.join(',') : header;
  const members: string[] = [];
  const keys = new Set<string>();
  for (const raw of joined.split(',')) {
    const member = trimOws(raw);
    if (member === '') continue;
    const eq = member.indexOf('=');
    if (eq <= 0) return undefined;
    const key = member.slice(0, eq);
    const value = member.slice(eq + 1);
    if (!KEY.test(key) || !VALUE.test(value)) return undefined;
    if (keys.has(key)) continue;
    keys.add(key);
    members.push(member);
    if (members.length > MAX_TRACESTATE_MEMBERS) return undefined;
  }
  return members.length === 0 ? undefined : members.join(',');
}

/** Formats a version-00 `traceparent`. */
export function formatTraceparent(traceId: string, spanId: string, flags: string): string {
  return `00-${traceId}-${spanId}-${flags}`;
}

// Random ids come from a pooled buffer refilled in one call, not one crypto call per id.
const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let poolOffset = POOL_BYTES;

function randomHex(bytes: number, zero: string): string {
  for (;;) {
    if (poolOffset + bytes > POOL_BYTES) {
      randomFillSync(pool);
      poolOffset = 0;
    }
    const id = pool.toString('hex', poolOffset, poolOffset + bytes);
    poolOffset += bytes;
    if (id !== zero) return id;
  }
}

/** A new random trace id: 32 lower-case hex digits, never all zero. */
export function newTraceId(): string {
  return randomHex(16, ZERO_TRACE_ID);
}

/** A new random span id: 16 lower-case hex digits, never all zero. */
export function newSpanId(): string {
  return randomHex(8, ZERO_SPAN_ID);
}
