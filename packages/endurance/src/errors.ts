import { OrgError } from '@org/shared-lifecycle';

/** Codes of @org/shared-endurance. Each is documented in the package README. */
export const ENDURANCE_ERROR_CODES = {
  ORG_ENDURANCE_USAGE:
    'An unknown or malformed command-line option of org-endurance (e.g. --duration 2 minutes).',
  ORG_ENDURANCE_INVALID_CONFIG:
    'The config file does not load, or a value in it is missing, of the wrong type or out of range; the message names it.',
  ORG_ENDURANCE_SERVICE_START_FAILED:
    'A service exited during start-up or did not answer its readiness URL in time.',
  ORG_ENDURANCE_SETUP_FAILED: "The config's set-up function threw (a test server or database did not start).",
  ORG_ENDURANCE_ABORTED:
    'The run was interrupted (SIGINT or SIGTERM): the services were stopped and nothing was judged.',
  ORG_ENDURANCE_HISTORY_INVALID:
    'A line of the --history file is not a run summary; it is skipped and reported, never fatal.',
} as const;

export type EnduranceErrorCode = keyof typeof ENDURANCE_ERROR_CODES;

export class EnduranceError extends OrgError<EnduranceErrorCode> {}
