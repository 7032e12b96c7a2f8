import { readFileSync } from 'node:fs';
import { undocumentedCodes } from '@org/shared-lifecycle/testing';
import { expect, it } from 'vitest';
import { LOGGER_ERROR_CODES, LoggerError } from '../src/index.js';

it('documents every error code in the README', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  expect(Object.keys(LOGGER_ERROR_CODES).length).toBeGreaterThan(0);
  expect(undocumentedCodes(readme, Object.keys(LOGGER_ERROR_CODES))).toEqual([]);
});

it('LoggerError carries code, cause and details', () => {
  const cause = new Error('root');
  const error = new LoggerError('ORG_LOGGER_INVALID_OPTION', 'bad', { cause, details: { option: 'x' } });
  expect(error).toMatchObject({
    name: 'LoggerError',
    code: 'ORG_LOGGER_INVALID_OPTION',
    cause,
    details: { option: 'x' },
  });
});
