import { LifecycleError } from './errors.js';

/**
 * Settles like `work`, or rejects with ORG_LIFECYCLE_CLOSE_TIMEOUT after ms and calls onTimeout.
 * The deadline timer is unref'd and always cleared.
 */
export async function withDeadline<T>(
  work: Promise<T>,
  ms: number,
  what: string,
  onTimeout?: () => void,
): Promise<T> {
  if (!Number.isFinite(ms)) return work;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout?.();
      reject(
        new LifecycleError('ORG_LIFECYCLE_CLOSE_TIMEOUT', `${what} did not finish within ${ms} ms`, {
          details: { timeoutMs: ms },
        }),
      );
    }, ms);
    timer.unref();
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
