export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export type LogFn = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;

const ORDER: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

/**
 * One JSON line per entry (ECS-style field names) on stdout, for the services' own start-up and
 * shutdown lines and as the fallback sink when no logger is wired in.
 */
export function consoleLog(
  service: string,
  level: LogLevel,
  write: (line: string) => void = (l) => process.stdout.write(l),
): LogFn {
  return (entryLevel, message, fields = {}) => {
    if (ORDER[entryLevel] > ORDER[level]) return;
    let line: string;
    try {
      line = JSON.stringify({
        '@timestamp': new Date().toISOString(),
        'log.level': entryLevel,
        message,
        'service.name': service,
        ...fields,
      });
    } catch {
      line = JSON.stringify({
        '@timestamp': new Date().toISOString(),
        'log.level': entryLevel,
        message,
        'service.name': service,
      });
    }
    write(`${line}\n`);
  };
}
