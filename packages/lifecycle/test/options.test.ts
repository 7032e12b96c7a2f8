import { describe, expect, it } from 'vitest';
import { OrgError } from '../src/errors.js';
import { optionChecks } from '../src/options.js';

const check = optionChecks((message, details) => new OrgError('ORG_X_INVALID_OPTION', message, { details }));

describe('optionChecks', () => {
  it("throws the package's own code, naming the option and the value", () => {
    expect(() => check.number('batchSize', 0, { min: 1 })).toThrow(
      expect.objectContaining({
        code: 'ORG_X_INVALID_OPTION',
        message: 'batchSize must be a number in [1, Infinity], got 0',
        details: { option: 'batchSize', value: 0 },
      }),
    );
    expect(() => check.number('n', 1.5, { integer: true })).toThrow(/an integer/);
    expect(() => check.number('n', Number.NaN)).toThrow(/got NaN/);
    expect(() => check.number('n', undefined)).toThrow(/got undefined/);
    expect(() => check.boolean('flag', 'yes')).toThrow(/flag must be true or false, got "yes"/);
    expect(() => check.string('name', '')).toThrow(/non-empty string/);
    expect(() => check.oneOf('mode', 'fast', ['copy', 'insert'])).toThrow(/one of 'copy', 'insert'/);
    expect(() => check.fn('onError', {})).toThrow(/a function, got an object/);
  });

  it('takes defaults for undefined and passes valid values through', () => {
    expect(check.number('n', undefined, { default: 5 })).toBe(5);
    expect(check.number('n', Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
    expect(check.boolean('b', undefined, true)).toBe(true);
    expect(check.string('s', undefined, 'x')).toBe('x');
    expect(check.oneOf('m', undefined, ['a', 'b'], 'b')).toBe('b');
    const f = () => 1;
    expect(check.fn('f', f)).toBe(f);
  });
});
