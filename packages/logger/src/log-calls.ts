// What the arguments of a log call mean: a message object, a log(info) object, context() fields, a child's metadata.
import type winston from 'winston';
import { LEVELS } from './level.js';
import { safeRead, safeString } from './sanitize.js';

/** Where a child logger keeps its child() metadata (outermost first). */
export const kChildMeta: unique symbol = Symbol('@org/shared-logger.childMeta');
export type ChildLogger = winston.Logger & { [kChildMeta]?: unknown[] };

export const MESSAGE_KEYS = new Set(['message']);
export const INFO_KEYS = new Set(['message', 'level']);

/** An object carrying its own message (`info({ message, … })`); false for Errors and unreadable objects. */
export function isMessageObject(value: unknown): value is object {
  if (value === null || typeof value !== 'object') return false;
  try {
    return !(value instanceof Error) && 'message' in value;
  } catch {
    return false;
  }
}

export function readMessage(value: object): unknown {
  try {
    return (value as { message?: unknown }).message;
  } catch (error) {
    return `[message getter threw: ${safeString(safeRead(() => (error as Error).message)) ?? 'unknown'}]`;
  }
}

export function contextFields(context: () => object | undefined): unknown {
  try {
    const fields = context();
    return fields === null ? undefined : fields;
  } catch (error) {
    return `[context() threw: ${safeString(safeRead(() => (error as Error).message)) ?? 'unknown'}]`;
  }
}

export function readLevel(value: object): string {
  try {
    const level = (value as { level?: unknown }).level;
    return typeof level === 'string' && (LEVELS as readonly string[]).includes(level) ? level : 'info';
  } catch {
    return 'info';
  }
}
