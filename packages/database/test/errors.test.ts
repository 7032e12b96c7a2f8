import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { undocumentedCodes } from '@org/shared-lifecycle/testing';
import { describe, expect, it } from 'vitest';
import { classifyError } from '../src/classify.js';
import { DATABASE_ERROR_CODES, DatabaseError } from '../src/errors.js';

describe('error catalogue', () => {
  it('documents every code in the README', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(undocumentedCodes(readme, Object.keys(DATABASE_ERROR_CODES))).toEqual([]);
  });

  it('classifies by SQLSTATE with isRetryable', () => {
    const cases: [string, string, boolean][] = [
      ['08006', 'ORG_DATABASE_CONNECTION', true],
      ['57P01', 'ORG_DATABASE_CONNECTION', true],
      ['ECONNREFUSED', 'ORG_DATABASE_CONNECTION', true],
      ['ENOENT', 'ORG_DATABASE_CONNECTION', true],
      ['28P01', 'ORG_DATABASE_AUTH', false],
      ['3D000', 'ORG_DATABASE_UNKNOWN_DATABASE', false],
      ['57014', 'ORG_DATABASE_TIMEOUT', true],
      ['40P01', 'ORG_DATABASE_DEADLOCK', true],
      ['40001', 'ORG_DATABASE_SERIALIZATION', true],
      ['23505', 'ORG_DATABASE_CONSTRAINT', false],
      ['22P02', 'ORG_DATABASE_DATA', false],
      ['42P01', 'ORG_DATABASE_SYNTAX', false],
      ['25006', 'ORG_DATABASE_READ_ONLY', false],
      ['53300', 'ORG_DATABASE_RESOURCES', true],
      ['XX000', 'ORG_DATABASE_QUERY', false],
    ];
    for (const [state, code, retryable] of cases) {
      const error = classifyError(Object.assign(new Error(`boom ${state}`), { code: state }), {
        node: 'primary',
      });
      expect([state, error.code, error.isRetryable]).toEqual([state, code, retryable]);
      expect(error.cause).toBeInstanceOf(Error);
      expect(error.details).toMatchObject({ node: 'primary' });
    }
    const acquire = Object.assign(
      new Error('Knex: Timeout acquiring a connection. The pool is probably full.'),
      { name: 'KnexTimeoutError' },
    );
    expect(classifyError(acquire).code).toBe('ORG_DATABASE_POOL_TIMEOUT');
    expect(classifyError(acquire, { poolFull: false }).code).toBe('ORG_DATABASE_CONNECT_TIMEOUT');
    expect(classifyError(new Error('timeout expired')).code).toBe('ORG_DATABASE_CONNECT_TIMEOUT');
    expect(
      classifyError(new Error('SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string')).code,
    ).toBe('ORG_DATABASE_AUTH');
    expect(classifyError(new Error('Connection terminated unexpectedly')).code).toBe(
      'ORG_DATABASE_CONNECTION',
    );
    expect(classifyError('weird').code).toBe('ORG_DATABASE_QUERY');
    const same = new DatabaseError('ORG_DATABASE_DEADLOCK', 'x');
    expect(classifyError(same)).toBe(same);
  });

  it('keeps the server’s identifiers in details and hides query parameters knex attaches', () => {
    const pgError = Object.assign(new Error('duplicate key value violates unique constraint "t_n_key"'), {
      code: '23505',
      table: 't',
      constraint: 't_n_key',
      detail: 'Key (n)=(42) already exists.',
    });
    const error = classifyError(pgError, { node: 'primary' });
    expect(error.details).toEqual({ node: 'primary', sqlState: '23505', table: 't', constraint: 't_n_key' });
    const timeout = Object.assign(new Error('Defined query timeout of 5ms exceeded'), {
      name: 'KnexTimeoutError',
      sql: 'select $1',
      bindings: ['s3cret-token'],
    });
    const typed = classifyError(timeout);
    expect(typed.code).toBe('ORG_DATABASE_TIMEOUT');
    expect(inspect(typed, { depth: 5 })).not.toContain('s3cret-token');
    expect(JSON.stringify(typed)).not.toContain('s3cret-token');
    expect((typed.cause as { bindings: unknown }).bindings).toEqual(['s3cret-token']);
  });

  it('instanceof DatabaseError holds for an error of another loaded copy of the package', async () => {
    // The query string makes the module loader evaluate errors.ts a second time: another class.
    const secondCopy = '../src/errors.ts?second-copy';
    const other = (await import(secondCopy)) as typeof import('../src/errors.js');
    expect(other.DatabaseError).not.toBe(DatabaseError);
    const foreign = new other.DatabaseError('ORG_DATABASE_DEADLOCK', 'from the other copy');
    expect(Object.getPrototypeOf(foreign)).not.toBe(DatabaseError.prototype);
    expect(foreign instanceof DatabaseError).toBe(true);
    expect(new DatabaseError('ORG_DATABASE_DATA', 'x') instanceof other.DatabaseError).toBe(true);
    // classifyError passes it through as it is, code and all.
    expect(classifyError(foreign)).toBe(foreign);
    expect(foreign.isRetryable).toBe(true);
    // Only branded errors: an Error with the same name and code is not one.
    expect(
      Object.assign(new Error('x'), { name: 'DatabaseError', code: 'ORG_DATABASE_DATA' }) instanceof
        DatabaseError,
    ).toBe(false);
    expect((null as unknown) instanceof DatabaseError).toBe(false);
    // The brand lives on the prototype: nothing extra in util.inspect or JSON.
    expect(Object.getOwnPropertySymbols(foreign)).toEqual([]);
  });
});
