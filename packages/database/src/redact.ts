import { defaultRedactor } from '@org/shared-lifecycle';

/**
 * A connection URL (or any text holding some) with each password and secret query parameter replaced by
 * `***`, also when the URL is malformed (the shared redactor's rule).
 */
export function redactUrl(text: string): string {
  return defaultRedactor.url(text);
}

/**
 * A copy of an error (and of its cause chain) whose message and stack have every connection URL's
 * password masked, with no other properties than `code` (Node's URL errors carry the whole input).
 */
export function redactedError(error: unknown, depth = 0): Error {
  const source = error instanceof Error ? error : new Error(String(error));
  const copy = new Error(redactUrl(source.message));
  copy.name = source.name;
  copy.stack = redactUrl(source.stack ?? `${source.name}: ${source.message}`);
  const code = (source as { code?: unknown }).code;
  if (typeof code === 'string') Object.assign(copy, { code });
  if (source.cause !== undefined && depth < 5) {
    Object.defineProperty(copy, 'cause', {
      value: redactedError(source.cause, depth + 1),
      enumerable: false,
      writable: true,
      configurable: true,
    });
  }
  return copy;
}
