import { describe, expect, it } from 'vitest';
import { createRedactor, defaultRedactor, REDACTED, REDACTED_IN_URL } from '../src/redaction.js';

describe('redaction', () => {
  it('knows the secret keys real services use, in any case and spelling', () => {
    const secret = [
      'password',
      'Password',
      'passwd',
      'pwd',
      'dbPassword',
      'db_password',
      'password_hash',
      'passphrase',
      'secret',
      'client_secret',
      'clientSecret',
      'token',
      'access_token',
      'refreshToken',
      'id_token',
      'x-auth-token',
      'csrfToken',
      'api_key',
      'apiKey',
      'x-api-key',
      'authorization',
      'Authorization',
      'proxy-authorization',
      'auth',
      'cookie',
      'set-cookie',
      'credentials',
      'private_key',
      'privateKey',
      'session',
      'sessionId',
      'card_number',
      'cvv',
      'ssn',
      'signature',
      'dsn',
    ];
    const plain = [
      'user',
      'userId',
      'orderId',
      'message',
      'author',
      'compass',
      'passenger',
      'status',
      'path',
      'bypass',
    ];
    expect(secret.filter((key) => !defaultRedactor.isSecretKey(key))).toEqual([]);
    expect(plain.filter((key) => defaultRedactor.isSecretKey(key))).toEqual([]);
  });

  it('adds keys (exact or patterns) to the defaults, or replaces them; false redacts nothing', () => {
    const more = createRedactor({ keys: ['customerEmail', /^x-internal/] });
    expect(more.isSecretKey('customer_email')).toBe(true);
    expect(more.isSecretKey('x-internal-route')).toBe(true);
    expect(more.isSecretKey('password')).toBe(true);
    const only = createRedactor({ keys: ['pin'], replaceDefaults: true });
    expect(only.isSecretKey('password')).toBe(false);
    expect(only.isSecretKey('PIN')).toBe(true);
    const none = createRedactor(false);
    expect(none.enabled).toBe(false);
    expect(none.text('{"password":"x"}')).toBe('{"password":"x"}');
    expect(() => createRedactor({ keys: [42 as never] })).toThrow(
      expect.objectContaining({ code: 'ORG_LIFECYCLE_INVALID_OPTION' }),
    );
  });

  it('redacts headers, returning the same object when nothing is secret', () => {
    const plain = { 'content-type': 'application/json', 'x-request-id': 'r1' };
    expect(defaultRedactor.headers(plain)).toBe(plain);
    expect(
      defaultRedactor.headers({
        authorization: 'Bearer abc',
        'proxy-authorization': 'Basic x',
        cookie: 'a=b',
        accept: '*/*',
      }),
    ).toEqual({ authorization: REDACTED, 'proxy-authorization': REDACTED, cookie: REDACTED, accept: '*/*' });
  });

  it('redacts JSON and form texts, also when truncated in the middle of a secret', () => {
    expect(
      defaultRedactor.text('{"user":"a","password":"hunter2","nested":{"access_token":"t"},"n":1}'),
    ).toBe(`{"user":"a","password":"${REDACTED}","nested":{"access_token":"${REDACTED}"},"n":1}`);
    expect(defaultRedactor.text('{"user":"a","client_secret":"abcdefgh')).toBe(
      `{"user":"a","client_secret":"${REDACTED}"`,
    );
    expect(defaultRedactor.text('grant_type=refresh&refresh_token=abc&scope=x')).toBe(
      `grant_type=refresh&refresh_token=${REDACTED}&scope=x`,
    );
    expect(defaultRedactor.text('{"pin": 1234}')).toBe('{"pin": 1234}');
  });

  it('redacts credentials inside URLs and connection strings', () => {
    expect(defaultRedactor.url('postgres://app:s3cr%40t@db.internal:5432/prod?sslmode=require')).toBe(
      `postgres://app:${REDACTED_IN_URL}@db.internal:5432/prod?sslmode=require`,
    );
    expect(defaultRedactor.url('postgres://app:p@ss@db/prod?password=other&application_name=x')).toBe(
      `postgres://app:${REDACTED_IN_URL}@db/prod?password=${REDACTED_IN_URL}&application_name=x`,
    );
    expect(defaultRedactor.url('https://api.example.com/cb?code=1&access_token=abc')).toBe(
      `https://api.example.com/cb?code=1&access_token=${REDACTED_IN_URL}`,
    );
    expect(defaultRedactor.url('https://example.com/path')).toBe('https://example.com/path');
  });

  it('scrubs string values only where a credential can be', () => {
    const plain = 'order 42 placed for customer 7';
    expect(defaultRedactor.string(plain)).toBe(plain);
    expect(defaultRedactor.string('connecting to redis://:hunter2@cache:6379/0')).toBe(
      `connecting to redis://:${REDACTED_IN_URL}@cache:6379/0`,
    );
    expect(defaultRedactor.string('Host=db;Username=app;Password=hunter2;Database=x')).toBe(
      `Host=db;Username=app;Password=${REDACTED};Database=x`,
    );
    expect(createRedactor({ strings: false }).string('redis://:pw@h')).toBe('redis://:pw@h');
  });
});
