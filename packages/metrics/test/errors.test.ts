import { readFileSync } from 'node:fs';
import { isOrgError } from '@org/shared-lifecycle';
import { undocumentedCodes } from '@org/shared-lifecycle/testing';
import { describe, expect, it } from 'vitest';
import { METRICS_ERROR_CODES, MetricsError } from '../src/index.js';

describe('error catalogue', () => {
  it('documents every code in the README', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(undocumentedCodes(readme, Object.keys(METRICS_ERROR_CODES))).toEqual([]);
    expect(undocumentedCodes('nothing here', Object.keys(METRICS_ERROR_CODES))).toHaveLength(
      Object.keys(METRICS_ERROR_CODES).length,
    );
  });

  it('MetricsError is an OrgError with code, cause and details', () => {
    const cause = new Error('root');
    const error = new MetricsError('ORG_METRICS_INVALID_VALUE', 'bad', { cause, details: { metric: 'm' } });
    expect(isOrgError(error)).toBe(true);
    expect(error).toMatchObject({
      name: 'MetricsError',
      code: 'ORG_METRICS_INVALID_VALUE',
      cause,
      details: { metric: 'm' },
    });
  });
});
