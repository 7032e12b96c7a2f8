import { LoggerError } from './errors.js';

/** winston's npm levels, most severe first. */
export const LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] as const;
export type Level = (typeof LEVELS)[number];

/** winston's npm level values (0 = error … 6 = silly): a level is enabled when its value is at most the threshold's. */
export const LEVEL_VALUES: Readonly<Record<string, number>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, number>, {
    error: 0,
    warn: 1,
    info: 2,
    http: 3,
    verbose: 4,
    debug: 5,
    silly: 6,
  }),
);

export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** The console format: the option if given, else LOG_FORMAT, else 'json'. Anything else throws ORG_LOGGER_INVALID_OPTION. */
export function resolveFormat(
  option: string | undefined,
  env: Record<string, string | undefined>,
): LogFormat {
  const fromEnv = env.LOG_FORMAT?.trim().toLowerCase();
  const [value, source] =
    option !== undefined
      ? [option, 'the format option']
      : fromEnv
        ? [fromEnv, 'LOG_FORMAT']
        : ['json', 'the default'];
  if (!(LOG_FORMATS as readonly string[]).includes(value)) {
    throw new LoggerError(
      'ORG_LOGGER_INVALID_OPTION',
      `invalid log format ${JSON.stringify(value)} from ${source}; expected one of ${LOG_FORMATS.join(', ')}`,
      { details: { option: 'format', format: value, source } },
    );
  }
  return value as LogFormat;
}

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
