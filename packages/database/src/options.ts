import { optionChecks } from '@org/shared-lifecycle';
import { DatabaseError } from './errors.js';

/** The one way this package checks an option: ORG_DATABASE_INVALID_OPTION naming it in details.option. */
export const check = optionChecks(
  (message, details) =>
    new DatabaseError('ORG_DATABASE_INVALID_OPTION', message, {
      // A wrong value is shown only when it cannot be a secret (numbers, booleans).
      details:
        typeof details.value === 'number' || typeof details.value === 'boolean'
          ? details
          : { option: details.option },
    }),
);

export function invalidOption(
  message: string,
  option: string,
  extra: Record<string, unknown> = {},
): DatabaseError {
  return new DatabaseError('ORG_DATABASE_INVALID_OPTION', message, { details: { option, ...extra } });
}
