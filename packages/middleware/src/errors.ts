import { OrgError } from '@org/shared-lifecycle';

/** Codes of @org/shared-middleware. Each is documented in the package README (a test keeps them in step). */
export const MIDDLEWARE_ERROR_CODES = {
  ORG_MIDDLEWARE_INVALID_OPTION: 'An option is missing, of the wrong type, or out of range.',
  ORG_MIDDLEWARE_LOG_FAILED:
    "The logging sink threw while the request's entry was written; the entry is lost, the request is not.",
  ORG_MIDDLEWARE_METRICS_FAILED: 'The request-duration histogram could not be created or observed.',
  ORG_MIDDLEWARE_HANDLER_FAILED:
    'A request handler threw or rejected and no request entry could carry the error (the request was not logged); it went to onError. The client got the error answer.',
  ORG_MIDDLEWARE_UNDER_PRESSURE:
    'The memory guard answered 503 with Retry-After: heap used, RSS or event-loop delay is above its threshold.',
  ORG_MIDDLEWARE_HEALTH_CHECK_FAILED: 'A registered health check threw or rejected.',
  ORG_MIDDLEWARE_HEALTH_CHECK_TIMEOUT:
    'A registered health check did not settle within its timeout; its signal was aborted.',
} as const;

export type MiddlewareErrorCode = keyof typeof MIDDLEWARE_ERROR_CODES;

export class MiddlewareError extends OrgError<MiddlewareErrorCode> {}
