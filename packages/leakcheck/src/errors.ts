import { OrgError } from '@org/shared-lifecycle';

/** Codes of @org/shared-leakcheck. Each is documented in the package README. */
export const LEAKCHECK_ERROR_CODES = {
  ORG_LEAKCHECK_USAGE: 'An unknown or malformed command-line option of org-leakcheck.',
  ORG_LEAKCHECK_INVALID_CONFIG:
    'The config file does not load, or its default export is not a leakcheck config.',
  ORG_LEAKCHECK_INVALID_SCENARIO:
    'A scenario module has no default-exported scenario (no iteration()), or one of its options is out of range.',
  ORG_LEAKCHECK_NO_SCENARIO: 'No scenario file matched the given paths and --only filter.',
  ORG_LEAKCHECK_INVALID_OPTION:
    'An option passed to the API (runScenario, ProgressLine) is of the wrong type or out of range.',
} as const;

export type LeakcheckErrorCode = keyof typeof LEAKCHECK_ERROR_CODES;

export class LeakcheckError extends OrgError<LeakcheckErrorCode> {}
