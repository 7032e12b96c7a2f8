export { Backoff, type BackoffOptions } from './backoff.js';
export {
  BoundedQueue,
  type BoundedQueueOptions,
  type BoundedQueueStats,
  type DropReason,
  type QueueEntry,
} from './bounded-queue.js';
export { type Closeable, type CloseFn, CloseOnce, type CloseOptions, Resource } from './close-once.js';
export { withDeadline } from './deadline.js';
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
export { checkNumber } from './options.js';
export { type IntervalTask, OwnedInterval, type OwnedIntervalOptions, sleep } from './owned-timer.js';
export { type ErrorReporter, report, stderrReporter } from './report.js';
export { EXIT_CODES, ShutdownCoordinator, type ShutdownOptions, type ShutdownResult } from './shutdown.js';
