import { LoggerError } from './errors.js';

/** winston's npm levels, most severe first. */
export const LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] as const;
export type Level = (typeof LEVELS)[number];

/**
 * The level: the option if given, else LOG_LEVEL, else 'info' in production and 'debug' elsewhere.
 * An unknown level throws ORG_LOGGER_INVALID_LEVEL naming where it came from.
 */
export function resolveLevel(
  option: string | undefined,
  env: Record<string, string | undefined>,
  production: boolean,
): Level {
  const fromEnv = env.LOG_LEVEL?.trim();
  const [value, source] =
    option !== undefined
      ? [option, 'the level option']
      : fromEnv
        ? [fromEnv.toLowerCase(), 'LOG_LEVEL']
        : [production ? 'info' : 'debug', 'the default'];
  if (!(LEVELS as readonly string[]).includes(value)) {
    throw new LoggerError(
      'ORG_LOGGER_INVALID_LEVEL',
      `invalid log level ${JSON.stringify(value)} from ${source}; expected one of ${LEVELS.join(', ')}`,
      { details: { level: value, source } },
    );
  }
  return value as Level;
}
