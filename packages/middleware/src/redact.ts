/** Headers whose values are replaced by REDACTED in log entries unless configured otherwise. */
export const DEFAULT_REDACT_HEADERS: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
];

/** Body field names that look secret; matched case-insensitively against JSON keys and form fields. */
export const DEFAULT_REDACT_BODY_KEYS =
  /pass(word|wd|phrase)?|secret|token|api[-_]?key|authori[sz]ation|credential|private[-_]?key|cookie|session|card[-_]?number|cvv|cvc|ssn/i;

export const REDACTED = '[REDACTED]';

/**
 * Headers for a log entry: when none of the (lower-case) names is present, the headers object itself
 * (nothing to hide, nothing copied: Node's request headers and getHeaders() already have lower-case
 * keys); otherwise a copy with the listed names' values replaced.
 */
export function redactHeaders(
  headers: Record<string, string | string[] | number | undefined>,
  names: ReadonlySet<string>,
): Record<string, string | string[] | number> {
  let present = false;
  for (const name of names) {
    if (headers[name] !== undefined) {
      present = true;
      break;
    }
  }
  // Node never stores undefined header values, so the object is returned as it is.
  if (!present) return headers as Record<string, string | string[] | number>;
  const out: Record<string, string | string[] | number> = {};
  for (const key of Object.keys(headers)) {
    const value = headers[key];
    if (value === undefined) continue;
    out[key] = names.has(key.toLowerCase()) ? REDACTED : value;
  }
  return out;
}

// "key": value — value is a string (possibly cut off by truncation, hence `"?`), number, literal.
const JSON_FIELD = /"((?:[^"\\]|\\.)*)"(\s*:\s*)("(?:[^"\\]|\\.)*(?:"|$)|-?\d[\d.eE+-]*|true|false|null)/g;
// key=value in form bodies and query-like text.
const FORM_FIELD = /(^|[&;\s?])([^=&;\s]+)=([^&;\s]*)/g;

// A key regex may be tested once against the whole text first (a field whose key matches is a substring
// of the text, so no match in the text means nothing to redact) unless the match could depend on what
// surrounds the key: anchors, lookarounds, or the sticky flag. \b and \B are safe: in the text a key is
// always between non-word characters (quotes, `=`, `&`, `;`, whitespace, `?`), as at the ends of the key.
const CONTEXT_SENSITIVE = /[\^$]|\(\?<?[=!]/;
const prefilterable = new WeakMap<RegExp, boolean>();

function canSkip(keys: RegExp, text: string): boolean {
  let safe = prefilterable.get(keys);
  if (safe === undefined) {
    safe = !keys.sticky && !CONTEXT_SENSITIVE.test(keys.source);
    prefilterable.set(keys, safe);
  }
  if (!safe) return false;
  keys.lastIndex = 0;
  const found = keys.test(text);
  keys.lastIndex = 0;
  return !found;
}

/**
 * Redacts secret-looking fields of a captured body text. Works on text, not on a parse, so it also
 * covers truncated bodies (a value cut off at the end is still redacted) at a cost linear in the text.
 * A text in which no key could match (one scan of the key regex) is returned as it is.
 */
export function redactBody(text: string, keys: RegExp | null): string {
  if (keys === null || text.length === 0 || canSkip(keys, text)) return text;
  const test = (key: string) => {
    keys.lastIndex = 0;
    return keys.test(key);
  };
  let out = text;
  if (out.includes('"')) {
    out = out.replace(JSON_FIELD, (match, key: string, sep: string) =>
      test(key) ? `"${key}"${sep}"${REDACTED}"` : match,
    );
  }
  if (out.includes('=')) {
    out = out.replace(FORM_FIELD, (match, lead: string, key: string) =>
      test(key) ? `${lead}${key}=${REDACTED}` : match,
    );
  }
  return out;
}
