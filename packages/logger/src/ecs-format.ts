// The ECS JSON line of one winston info: the document serialized, oversized entries truncated, never a throw.

import { buildParts, documentOf, type Parts } from './ecs-document.js';
import type { InfoLike } from './ecs-info.js';
import type { EcsFormatOptions } from './ecs-options.js';
import { fallbackLine, truncate } from './ecs-truncate.js';
import type { SafeObject } from './sanitize.js';

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
