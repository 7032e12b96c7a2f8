import { type OptionChecks, optionChecks } from '@org/shared-lifecycle';
import { LeakcheckError, type LeakcheckErrorCode } from './errors.js';

/** The package's option checks, one set per error code; each throws a LeakcheckError naming the option. */
const checksFor = (code: LeakcheckErrorCode): OptionChecks =>
  optionChecks((message, { option }) => new LeakcheckError(code, message, { details: { option } }));

export const scenarioChecks: OptionChecks = checksFor('ORG_LEAKCHECK_INVALID_SCENARIO');
export const configChecks: OptionChecks = checksFor('ORG_LEAKCHECK_INVALID_CONFIG');
export const apiChecks: OptionChecks = checksFor('ORG_LEAKCHECK_INVALID_OPTION');
