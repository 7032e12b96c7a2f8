// The info objects the ECS format reads, and the symbols they carry (triple-beam's and ours).
/** triple-beam's symbols (winston's): the formatted line and the level of an info. */
export const MESSAGE: unique symbol = Symbol.for('message') as never;
export const LEVEL: unique symbol = Symbol.for('level') as never;

/** Where createLogger's log methods put the raw metadata arguments of a call (read by the format). */
export const kArgs: unique symbol = Symbol.for('@org/shared-logger.args');
/** Set on an info whose [MESSAGE] is an ECS JSON line made by this format (the transport reuses it). */
export const kEcsLine: unique symbol = Symbol.for('@org/shared-logger.ecsLine');

/** On an info whose first metadata argument also carried the message (and level): keys to leave out. */
export const kSkipKeys: unique symbol = Symbol.for('@org/shared-logger.skipKeys');

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

/** Marks an info as carrying our ECS line in [MESSAGE]. */
export function setEcsLine(info: Record<string | symbol, unknown>, line: string): void {
  info[MESSAGE] = line;
  info[kEcsLine] = true;
}
