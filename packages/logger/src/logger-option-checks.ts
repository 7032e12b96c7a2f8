// createLogger's checks of a numeric option and of an output's level: a LoggerError with the option named.
import { checkNumber } from '@org/shared-lifecycle';
import { LoggerError } from './errors.js';
import { resolveLevel } from './level.js';

/** An output's own level (validated), or undefined for the logger's. */
export function outputLevel(option: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return resolveLevel(value, {}, false);
  } catch (error) {
    throw new LoggerError('ORG_LOGGER_INVALID_LEVEL', `${option}: ${(error as Error).message}`, {
      cause: error,
      details: { option, level: value },
    });
  }
}

export function optionNumber(name: string, value: unknown, min: number): number {
  try {
    return checkNumber(name, value, { min });
  } catch (error) {
    throw new LoggerError(
      'ORG_LOGGER_INVALID_OPTION',
      error instanceof Error ? error.message : String(error),
      {
        cause: error,
        details: { option: name, value },
      },
    );
  }
}
