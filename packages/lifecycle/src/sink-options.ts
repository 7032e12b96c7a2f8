// BufferedSink's options checked, with their defaults, and the options of its buffer.
import type { BoundedQueueOptions, DropReason } from './bounded-queue.js';
import { LifecycleError } from './errors.js';
import { optionChecks } from './options.js';
import type { Entry, Slot } from './sink-entry.js';
import type { BufferedSinkOptions, Sender } from './sink-types.js';

const check = optionChecks(
  (message, details) => new LifecycleError('ORG_LIFECYCLE_INVALID_OPTION', message, { details }),
);

/** The checked settings of a sink, in the order they are checked (the first bad one throws). */
export interface SinkSettings<T> {
  readonly name: string;
  readonly send: Sender<T>;
  readonly batchSize: number;
  readonly maxBatchBytes: number;
  readonly maxConcurrency: number;
  readonly requestTimeoutMs: number;
  readonly isolateBelow: number;
  readonly resendInDoubt: boolean;
}

export function closeTimeoutOf<T>(options: BufferedSinkOptions<T>): number {
  return check.number('closeTimeoutMs', options.closeTimeoutMs, { default: 5000, min: 0 });
}

export function sinkSettings<T>(options: BufferedSinkOptions<T>): SinkSettings<T> {
  return {
    name: check.string('name', options.name),
    send: check.fn('send', options.send),
    batchSize: check.number('batchSize', options.batchSize, { min: 1, integer: true }),
    maxBatchBytes: check.number('maxBatchBytes', options.maxBatchBytes, {
      default: Number.POSITIVE_INFINITY,
      min: 1,
    }),
    maxConcurrency: check.number('maxConcurrency', options.maxConcurrency, {
      default: 4,
      min: 1,
      max: 1024,
      integer: true,
    }),
    requestTimeoutMs: check.number('requestTimeoutMs', options.requestTimeoutMs, {
      default: 30_000,
      min: 1,
      max: 2 ** 31 - 1,
    }),
    isolateBelow: check.number('isolateBelow', options.isolateBelow, {
      default: 4,
      min: 1,
      integer: true,
    }),
    resendInDoubt: check.boolean('resendInDoubt', options.resendInDoubt, true),
  };
}

/** The buffer's caps and clock from the sink's options; what it drops goes to `onDrop`. */
export function queueOptions<T>(
  options: BufferedSinkOptions<T>,
  onDrop: (reason: DropReason, entries: readonly Entry<T>[]) => void,
): BoundedQueueOptions<Slot<T>> {
  const sizeOf = options.sizeOf;
  return {
    maxItems: options.maxItems,
    ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
    ...(options.maxItemBytes === undefined ? {} : { maxEntryBytes: options.maxItemBytes }),
    ...(options.maxAgeMs === undefined ? {} : { maxAgeMs: options.maxAgeMs }),
    ...(options.dropFraction === undefined ? {} : { dropFraction: options.dropFraction }),
    ...(sizeOf ? { sizeOf: (slot: Slot<T>) => sizeOf(slot.value) } : {}),
    ...(options.now ? { now: options.now } : {}),
    onDrop: (reason, _count, entries) => onDrop(reason, entries),
  };
}

export function flushIntervalOf<T>(options: BufferedSinkOptions<T>): number {
  return check.number('flushIntervalMs', options.flushIntervalMs, {
    default: 1000,
    min: 1,
    max: 2 ** 31 - 1,
  });
}
