/**
 * The development format: one readable line per entry, built from the same document as the ECS line.
 *
 *   12:04:05.123 INFO  orders-api: order placed orderId=42 user.id=u-1 trace.id=4bf9…
 *   12:04:05.200 ERROR orders-api: payment failed error=TypeError: bad input (at pay (src/pay.ts:12:5)) ← Error: reset
 *
 * Colours (level, dim time and keys) only when asked (a TTY); never a newline inside a line.
 */
import type { SafeObject } from './sanitize.js';

const COLOURS: Record<string, string> = {
  error: '\x1b[31m',
  warn: '\x1b[33m',
  info: '\x1b[32m',
  http: '\x1b[36m',
  verbose: '\x1b[34m',
  debug: '\x1b[35m',
  silly: '\x1b[90m',
};
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';
/** Fields every line has (or that are said otherwise): not repeated as key=value. */
const SKIP = new Set(['@timestamp', 'log.level', 'message', 'ecs.version', 'service', 'event', 'error']);

export function prettyLine(doc: SafeObject, colour: boolean): string {
  const time = typeof doc['@timestamp'] === 'string' ? doc['@timestamp'].slice(11, 23) : '';
  const level = String(doc['log.level'] ?? 'info');
  const service = (doc.service as { name?: unknown } | undefined)?.name;
  const tag = level.toUpperCase().padEnd(5);
  let out = colour ? `${DIM}${time}${RESET} ${COLOURS[level] ?? ''}${tag}${RESET} ` : `${time} ${tag} `;
  if (typeof service === 'string') out += `${service}: `;
  out += oneLine(String(doc.message ?? ''));
  const fields: string[] = [];
  flatten(doc, '', fields, colour);
  const event = doc.event as SafeObject | undefined;
  if (event !== undefined) {
    for (const key of Object.keys(event)) {
      if (key !== 'dataset') pushField(fields, `event.${key}`, event[key], colour);
    }
  }
  if (doc.error !== undefined) fields.push(errorText(doc.error, colour));
  return fields.length === 0 ? out : `${out} ${fields.join(' ')}`;
}

function flatten(object: SafeObject, prefix: string, out: string[], colour: boolean): void {
  for (const key of Object.keys(object)) {
    if (prefix === '' && SKIP.has(key)) continue;
    const value = object[key];
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      flatten(value as SafeObject, path, out, colour);
    } else {
      pushField(out, path, value, colour);
    }
  }
}

function pushField(out: string[], key: string, value: unknown, colour: boolean): void {
  const text =
    typeof value === 'string' && /^[^\s"=]*$/.test(value) && value !== '' ? value : JSON.stringify(value);
  const name = oneLine(key);
  out.push(colour ? `${DIM}${name}=${RESET}${oneLine(text ?? '')}` : `${name}=${oneLine(text ?? '')}`);
}

/** `error=Type: message (at first frame) ← Cause: message …` */
function errorText(error: unknown, colour: boolean): string {
  const parts: string[] = [];
  let current = error as SafeObject | undefined;
  for (let depth = 0; current !== undefined && depth < 5; depth++) {
    if (current === null || typeof current !== 'object') {
      parts.push(String(current));
      break;
    }
    const frame = firstFrame(current.stack_trace);
    parts.push(
      `${String(current.type ?? 'Error')}: ${oneLine(String(current.message ?? ''))}${frame ? ` (${frame})` : ''}`,
    );
    current = current.cause as SafeObject | undefined;
  }
  const text = parts.join(' ← ');
  return colour ? `${COLOURS.error}error=${RESET}${text}` : `error=${text}`;
}

function firstFrame(stack: unknown): string | undefined {
  if (typeof stack !== 'string') return undefined;
  const line = stack.split('\n').find((l) => l.trimStart().startsWith('at '));
  return line?.trim();
}

/** No line breaks, and no control characters (a message must not drive the terminal): escaped as in JSON. */
function oneLine(text: string): string {
  return CONTROL.test(text) ? text.replace(CONTROL_ALL, escapeControl) : text;
}
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const CONTROL = /[\u0000-\u001f\u007f]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const CONTROL_ALL = /[\u0000-\u001f\u007f]/g;
function escapeControl(c: string): string {
  if (c === '\n') return '\\n';
  if (c === '\r') return '\\r';
  if (c === '\t') return '\\t';
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}
