import { LifecycleError } from './errors.js';

/** What a secret value becomes in a log entry. */
export const REDACTED = '[REDACTED]';
/** What a secret inside a URL becomes (`postgres://app:***@db/prod`, `?token=***`): the URL stays readable. */
export const REDACTED_IN_URL = '***';

/**
 * Secret-looking key names, tested against the key lower-cased with `-`, `_`, `.` and spaces removed, so
 * `access_token`, `refreshToken`, `client_secret`, `dbPassword`, `x-api-key`, `Proxy-Authorization` and
 * `set-cookie` are all caught.
 */
export const DEFAULT_SECRET_KEYS =
  /passw(?:or)?d|passphrase|^pass$|^pwd$|secret|token|apikey|authori[sz]ation|^auth$|credential|privatekey|cookie|session|cardnumber|^cvv$|^cvc$|^ssn$|signature$|^dsn$/;

export interface RedactorOptions {
  /**
   * Further secret keys: exact names (compared like the defaults: case-insensitive, without `-`, `_`,
   * `.` and spaces) or RegExps (tested against the key as it is).
   */
  keys?: readonly (string | RegExp)[];
  /** Use only `keys`, not DEFAULT_SECRET_KEYS. Default false. */
  replaceDefaults?: boolean;
  /**
   * Scrub credentials inside string values: the password of a URL's user info, secret query
   * parameters, and `key=value` pairs with a secret key. Default true.
   */
  strings?: boolean;
}

/** The one redaction of the @org/shared-* packages: logs, request logs and error details all use it. */
export interface Redactor {
  /** False for the redactor that redacts nothing. */
  readonly enabled: boolean;
  /** True when a value under this key must not be logged. */
  isSecretKey(key: string): boolean;
  /** Headers with secret ones replaced; the same object when none is present. */
  headers<H extends Record<string, unknown>>(headers: H): H;
  /** A JSON, form or query text (possibly truncated) with secret fields' values replaced. */
  text(text: string): string;
  /** A URL or connection string with its password and secret query parameters replaced. */
  url(url: string): string;
  /** Any string value: credentials inside URLs and `key=value` pairs replaced; the same string otherwise. */
  string(value: string): string;
}

// "key": value — a string (possibly cut off by truncation, hence `"?`), number or literal.
const JSON_FIELD = /"((?:[^"\\]|\\.)*)"(\s*:\s*)("(?:[^"\\]|\\.)*(?:"|$)|-?\d[\d.eE+-]*|true|false|null)/g;
// key=value in form bodies, query strings, key=value connection strings.
const PAIR = /(^|[&;,\s?])([^=&;,\s?]+)=([^&;,\s]*)/g;
// scheme://user:password@ — the password is everything up to the last @ before the host.
const URL_USERINFO = /([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)([^\s/?#]*)@/gi;
const NORMALISE = /[-_.\s]/g;
const CACHE_LIMIT = 4096;

function invalid(message: string, value: unknown): LifecycleError {
  return new LifecycleError('ORG_LIFECYCLE_INVALID_OPTION', message, { details: { option: 'keys', value } });
}

class KeyRedactor implements Redactor {
  readonly enabled = true;
  readonly #exact: ReadonlySet<string>;
  readonly #patterns: readonly RegExp[];
  readonly #rawPatterns: readonly RegExp[];
  readonly #strings: boolean;
  readonly #cache = new Map<string, boolean>();

  constructor(options: RedactorOptions) {
    const exact = new Set<string>();
    const raw: RegExp[] = [];
    for (const key of options.keys ?? []) {
      if (typeof key === 'string' && key !== '') exact.add(normalise(key));
      else if (key instanceof RegExp) raw.push(new RegExp(key.source, key.flags.replace(/[gy]/g, '')));
      else throw invalid('redaction keys must be non-empty strings or RegExps', key);
    }
    this.#exact = exact;
    this.#patterns = options.replaceDefaults ? [] : [DEFAULT_SECRET_KEYS];
    this.#rawPatterns = raw;
    this.#strings = options.strings ?? true;
  }

  isSecretKey(key: string): boolean {
    let secret = this.#cache.get(key);
    if (secret === undefined) {
      const name = normalise(key);
      secret =
        this.#exact.has(name) ||
        this.#patterns.some((pattern) => pattern.test(name)) ||
        this.#rawPatterns.some((pattern) => pattern.test(key));
      if (this.#cache.size >= CACHE_LIMIT) this.#cache.clear();
      this.#cache.set(key, secret);
    }
    return secret;
  }

  headers<H extends Record<string, unknown>>(headers: H): H {
    let out: Record<string, unknown> | null = null;
    for (const name of Object.keys(headers)) {
      if (!this.isSecretKey(name)) continue;
      out ??= { ...headers };
      out[name] = REDACTED;
    }
    return (out ?? headers) as H;
  }

  text(text: string): string {
    if (text.length === 0) return text;
    let out = text;
    if (out.includes('"')) {
      out = out.replace(JSON_FIELD, (match, key: string, sep: string) =>
        this.isSecretKey(key) ? `"${key}"${sep}"${REDACTED}"` : match,
      );
    }
    if (out.includes('=')) out = this.#pairs(out, REDACTED);
    if (this.#strings && out.includes('://')) out = out.replace(URL_USERINFO, `$1${REDACTED_IN_URL}@`);
    return out;
  }

  url(url: string): string {
    let out = url.includes('@') ? url.replace(URL_USERINFO, `$1${REDACTED_IN_URL}@`) : url;
    if (out.includes('=')) out = this.#pairs(out, REDACTED_IN_URL);
    return out;
  }

  string(value: string): string {
    if (!this.#strings || value.length < 6) return value;
    const url = value.includes('://');
    const pairs = value.includes('=');
    if (!url && !pairs) return value;
    let out = url && value.includes('@') ? value.replace(URL_USERINFO, `$1${REDACTED_IN_URL}@`) : value;
    if (pairs) out = this.#pairs(out, url ? REDACTED_IN_URL : REDACTED);
    return out;
  }

  #pairs(text: string, mask: string): string {
    return text.replace(PAIR, (match, lead: string, key: string, value: string) =>
      value !== '' && this.isSecretKey(safeDecode(key)) ? `${lead}${key}=${mask}` : match,
    );
  }
}

class NoRedaction implements Redactor {
  readonly enabled = false;
  isSecretKey(): boolean {
    return false;
  }
  headers<H extends Record<string, unknown>>(headers: H): H {
    return headers;
  }
  text(text: string): string {
    return text;
  }
  url(url: string): string {
    return url;
  }
  string(value: string): string {
    return value;
  }
}

function normalise(key: string): string {
  return key.toLowerCase().replace(NORMALISE, '');
}

function safeDecode(text: string): string {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** A redactor with the defaults plus `options.keys`; `false` gives one that redacts nothing. */
export function createRedactor(options: RedactorOptions | false = {}): Redactor {
  if (options === false) return new NoRedaction();
  if (options === null || typeof options !== 'object') {
    throw invalid('redaction options must be an object or false', options);
  }
  return new KeyRedactor(options);
}

/** The default redactor (DEFAULT_SECRET_KEYS, strings scrubbed). */
export const defaultRedactor: Redactor = createRedactor();
