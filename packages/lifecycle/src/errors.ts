/**
 * The base of every typed error in the @org/shared-* packages: a stable `code`, an optional `cause`
 * and optional structured `details`. Each package keeps its own catalogue of codes (see README.md).
 */
export interface OrgErrorOptions {
  cause?: unknown;
  details?: Record<string, unknown>;
}

export class OrgError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: Code, message: string, options: OrgErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details;
  }
}

/** Codes of @org/shared-lifecycle. Each is documented in the package README. */
export const LIFECYCLE_ERROR_CODES = {
  ORG_LIFECYCLE_CLOSED: 'The resource was used after close() or destroy() started.',
  ORG_LIFECYCLE_CLOSE_TIMEOUT:
    'close() ran past its deadline: what was still in flight was aborted and what was left is counted (close() itself does not reject for it).',
  ORG_LIFECYCLE_INVALID_OPTION: 'An option is missing, of the wrong type, or out of range.',
  ORG_LIFECYCLE_TASK_FAILED: 'A timer task or a shutdown step threw or rejected; the error is the cause.',
  ORG_LIFECYCLE_SEND_TIMEOUT:
    "A buffered sink's request did not answer within requestTimeoutMs; its signal was aborted and its items were put back.",
} as const;

export type LifecycleErrorCode = keyof typeof LIFECYCLE_ERROR_CODES;

export class LifecycleError extends OrgError<LifecycleErrorCode> {}

export function isOrgError(value: unknown): value is OrgError {
  return value instanceof OrgError;
}
