import { OrgError } from '@org/shared-lifecycle';

/** Codes of @org/service-kit. Each is documented in services/README.md. */
export const SERVICE_ERROR_CODES = {
  ORG_SERVICE_CONFIG_INVALID:
    'One or more environment variables are missing or invalid; details.problems lists every one of them.',
  ORG_SERVICE_EMBEDDED_PG_FAILED: 'The embedded PostgreSQL (PGlite over the wire protocol) could not start.',
  ORG_SERVICE_LISTEN_FAILED: 'The HTTP server could not listen on the configured host and port.',
  ORG_SERVICE_USAGE: 'The command line named an unknown command or option.',
} as const;

export type ServiceErrorCode = keyof typeof SERVICE_ERROR_CODES;

export class ServiceError extends OrgError<ServiceErrorCode> {}
