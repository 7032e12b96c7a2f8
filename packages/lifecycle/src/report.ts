/**
 * The one error channel. Every async path of every package ends in a catch that calls an
 * ErrorReporter; nothing is left as an unhandled rejection or an unhandled 'error' event.
 */
export type ErrorReporter = (error: unknown, context: { source: string; [key: string]: unknown }) => void;

/** Writes one line to stderr. Used when the caller gave no reporter. */
export const stderrReporter: ErrorReporter = (error, context) => {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  process.stderr.write(`[${context.source}] ${typeof code === 'string' ? `${code} ` : ''}${message}\n`);
};

/** Calls the reporter and swallows anything it throws: reporting must never become a new failure. */
export function report(
  reporter: ErrorReporter,
  error: unknown,
  context: { source: string; [key: string]: unknown },
): void {
  try {
    reporter(error, context);
  } catch {
    // A throwing reporter is the caller's bug; there is nowhere safer to send it.
  }
}
