export { Backoff, type BackoffOptions } from './backoff.js';
export {
  BoundedQueue,
  type BoundedQueueOptions,
  type BoundedQueueStats,
  type DropReason,
  type QueueEntry,
} from './bounded-queue.js';
export { BufferedSink } from './buffered-sink.js';
export {
  aborted,
  type ChildCloseContext,
  type CloseContext,
  type CloseOptions,
  createCloseContext,
  isCloseContext,
  type OwnedCloseContext,
} from './close-context.js';
export {
  type Closeable,
  type CloseFn,
  CloseOnce,
  type CloseOnceOptions,
  Resource,
  type ResourceOptions,
} from './close-once.js';
export { Deque } from './deque.js';
export {
  isOrgError,
  LIFECYCLE_ERROR_CODES,
  LifecycleError,
  type LifecycleErrorCode,
  OrgError,
  type OrgErrorOptions,
} from './errors.js';
export { ListenerGroup, type ListenerTarget } from './listeners.js';
export {
  checkNumber,
  type NumberRule,
  type OptionChecks,
  type OptionErrorFactory,
  optionChecks,
} from './options.js';
export { type IntervalTask, OwnedInterval, type OwnedIntervalOptions, sleep } from './owned-timer.js';
export {
  createRedactor,
  DEFAULT_SECRET_KEYS,
  defaultRedactor,
  REDACTED,
  REDACTED_IN_URL,
  type Redactor,
  type RedactorOptions,
} from './redaction.js';
export { type ErrorReporter, report, stderrReporter } from './report.js';
export {
  EXIT_CODES,
  ShutdownCoordinator,
  type ShutdownOptions,
  type ShutdownResult,
  type ShutdownStep,
} from './shutdown.js';
export type {
  BufferedSinkOptions,
  BufferedSinkStats,
  SendContext,
  Sender,
  SendResult,
  SinkDropReason,
  SinkItem,
} from './sink-types.js';
