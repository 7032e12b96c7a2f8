// An entry over the byte cap cut down to it (its ECS core kept), and the minimal line when formatting failed.

import { isoTime } from './ecs-document.js';
import type { InfoLike } from './ecs-info.js';
import { ECS_VERSION, type EcsFormatOptions } from './ecs-options.js';
import { createSafeObject, type SafeObject, safeRead, safeString, TRUNCATED_MARKER } from './sanitize.js';

/**
 * An entry over the cap keeps its ECS core (time, level, service, trace, error type) and as much of
 * its message and of the original line as fits, marked with log.truncated and log.original_bytes.
 */
export function truncate(info: InfoLike, line: string, bytes: number, options: EcsFormatOptions): string {
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

export function fallbackLine(info: InfoLike, options: EcsFormatOptions, error: unknown): string {
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
