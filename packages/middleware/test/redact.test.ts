import { describe, expect, test } from 'vitest';
import { DEFAULT_REDACT_BODY_KEYS, DEFAULT_REDACT_HEADERS, REDACTED, redactBody } from '../src/index.js';
import { redactHeaders } from '../src/redact.js';

describe('redactBody', () => {
  test('returns a text in which no key can match as it is, and redacts JSON and form fields otherwise', () => {
    const clean = '{"id":42,"name":"widget","items":[{"i":0}]}';
    expect(redactBody(clean, DEFAULT_REDACT_BODY_KEYS)).toBe(clean);
    expect(redactBody('{"user":"ann","password":"hunter2","n":1}', DEFAULT_REDACT_BODY_KEYS)).toBe(
      `{"user":"ann","password":"${REDACTED}","n":1}`,
    );
    expect(redactBody('user=ann&api_key=abc&x=1', DEFAULT_REDACT_BODY_KEYS)).toBe(
      `user=ann&api_key=${REDACTED}&x=1`,
    );
    // A key word inside a value only makes the full scan run; the value is not a key.
    expect(redactBody('{"note":"my password is safe"}', DEFAULT_REDACT_BODY_KEYS)).toBe(
      '{"note":"my password is safe"}',
    );
  });

  test('anchored, lookaround, sticky and global key patterns are matched per key, not against the whole text', () => {
    const body = '{"token":"t1","mytoken":"t2","tokenx":"t3"}';
    expect(redactBody(body, /^token$/)).toBe(`{"token":"${REDACTED}","mytoken":"t2","tokenx":"t3"}`);
    expect(redactBody(body, /token(?!x)/)).toBe(
      `{"token":"${REDACTED}","mytoken":"${REDACTED}","tokenx":"t3"}`,
    );
    expect(redactBody(body, /token/y)).toBe(`{"token":"${REDACTED}","mytoken":"t2","tokenx":"${REDACTED}"}`);
    const global = /secret/gi;
    for (let i = 0; i < 3; i++) {
      expect(redactBody('{"a":1,"Secret":"s"}', global)).toBe(`{"a":1,"Secret":"${REDACTED}"}`);
    }
    expect(redactBody(body, null)).toBe(body);
  });
});

describe('redactHeaders', () => {
  const names = new Set(DEFAULT_REDACT_HEADERS);

  test('copies only when a listed header is present, and never changes the original', () => {
    const plain = { host: 'x', accept: '*/*' };
    expect(redactHeaders(plain, names)).toBe(plain);
    const secret = { host: 'x', authorization: 'Bearer t', 'set-cookie': ['a=1'] };
    const logged = redactHeaders(secret, names);
    expect(logged).not.toBe(secret);
    expect(logged).toEqual({ host: 'x', authorization: REDACTED, 'set-cookie': REDACTED });
    expect(secret.authorization).toBe('Bearer t');
  });
});
