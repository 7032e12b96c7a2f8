import { defaultRedactor, REDACTED_IN_URL } from '@org/shared-lifecycle';

/**
 * A connection URL (or any text holding some) with each password replaced by `***`, also when a URL is
 * malformed: a password may hold unencoded `@`, `/`, `#` or `?`, which a URL parser (and a pattern that
 * expects a well-formed URL) reads as the end of the user info. So everything between `://` and the
 * last `@` before the URL ends (whitespace or the next `scheme://`) is the user info, and all of it
 * after the first `:` is masked: that may mask a little more than the password, never less. Secret
 * query parameters (`password=…`, `sslpassword=…`) and `key=value` pairs are masked by the shared
 * redactor.
 */
export function redactUrl(text: string): string {
  let out = text;
  let scheme = out.indexOf('://');
  while (scheme >= 0) {
    const start = scheme + 3;
    const end = endOfUrl(out, start);
    const at = out.lastIndexOf('@', end - 1);
    const colon = out.indexOf(':', start);
    if (at >= start && colon >= 0 && colon < at) {
      out = `${out.slice(0, colon + 1)}${REDACTED_IN_URL}${out.slice(at)}`;
    }
    scheme = out.indexOf('://', start);
  }
  return defaultRedactor.url(out);
}

/** Where the URL whose authority starts at `start` ends: whitespace, the next `scheme://`, or the end. */
function endOfUrl(text: string, start: number): number {
  const space = /\s/.exec(text.slice(start));
  let end = space ? start + space.index : text.length;
  const next = text.indexOf('://', start);
  if (next >= 0 && next < end) {
    let schemeStart = next;
    while (schemeStart > start && /[A-Za-z0-9+.-]/.test(text[schemeStart - 1]!)) schemeStart--;
    end = Math.min(end, schemeStart);
  }
  return end;
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
