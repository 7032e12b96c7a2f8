import { OrgError } from '@org/shared-lifecycle';

/** Codes of @org/shared-service. Each is documented in the package README (a test keeps them in step). */
export const SERVICE_ERROR_CODES = {
  ORG_SERVICE_CONFIG_INVALID:
    'One or more environment variables are missing or invalid; details.problems lists every one of them.',
  ORG_SERVICE_DATABASE_REQUIRED:
    'The service runs in production (SERVICE_ENV, else NODE_ENV) with a database but DATABASE_URL is unset; the embedded database is for development only.',
  ORG_SERVICE_EMBEDDED_PG_FAILED:
    'The embedded PostgreSQL (PGlite in a child process) could not start, or its packages are not installed.',
  ORG_SERVICE_LISTEN_FAILED: 'The HTTP server could not listen on the configured host and port.',
  ORG_SERVICE_USAGE: 'The command line named an unknown command or option.',
  ORG_SERVICE_INVALID_OPTION: 'An option of createService() is missing, of the wrong type or out of range.',
  ORG_SERVICE_SHUTTING_DOWN:
    'The service is shutting down: readiness (/health) fails with this code while it drains connections.',
  ORG_SERVICE_INTERNAL:
    'A node:http handler given to listen() threw or rejected: answered 500 (the cause is reported, not returned).',
  ORG_SERVICE_NOT_AVAILABLE:
    'A part the service was not created with was asked for (service.database without a database, service.app in the node:http form), or listen() was called twice.',
} as const;

export type ServiceErrorCode = keyof typeof SERVICE_ERROR_CODES;

export class ServiceError extends OrgError<ServiceErrorCode> {}
