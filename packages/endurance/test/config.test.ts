// A config is checked before anything starts: each problem is ORG_ENDURANCE_INVALID_CONFIG naming the
// option; and every error code is documented in the README.
import { readFileSync } from 'node:fs';
import { undocumentedCodes } from '@org/shared-lifecycle/testing';
import { describe, expect, it } from 'vitest';
import type { EnduranceConfig, ServiceSpec } from '../src/config.ts';
import { checkConfig, importConfig } from '../src/config-check.ts';
import { ENDURANCE_ERROR_CODES } from '../src/errors.ts';
import { resolveConfig } from '../src/run.ts';

const valid: EnduranceConfig = {
  services: [{ name: 'api', command: 'node', args: ['main.js'], maxRssMb: 256 }],
  load: { rate: 10, targets: [{ service: 'api', requests: [{ path: '/' }] }] },
};

const invalid = (patch: (c: EnduranceConfig) => unknown, option: RegExp) => {
  const c = structuredClone({ ...valid, services: valid.services.map((s) => ({ ...s })) }) as EnduranceConfig;
  patch(c);
  let thrown: unknown;
  try {
    checkConfig(c);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toMatchObject({ code: 'ORG_ENDURANCE_INVALID_CONFIG' });
  expect((thrown as Error).message).toMatch(option);
};

describe('endurance config', () => {
  it('accepts a minimal config', () => {
    expect(() => checkConfig(valid)).not.toThrow();
  });

  it('names the option of each problem', () => {
    invalid((c) => Object.assign(c, { services: [] }), /^services:/);
    invalid(
      (c) => Object.assign(c.services[0]!, { maxRssMb: 0 }),
      /^services\[0\]\.maxRssMb must be a number/,
    );
    invalid(
      (c) => Object.assign(c.services[0]!, { command: '' }),
      /^services\[0\]\.command must be a non-empty string/,
    );
    invalid((c) => (c.services as ServiceSpec[]).push({ ...c.services[0]! }), /"api" is used twice/);
    invalid((c) => Object.assign(c.load, { rate: -1 }), /^load\.rate must be a number/);
    invalid(
      (c) => Object.assign(c.load, { targets: [{ service: 'nope', requests: [{ path: '/' }] }] }),
      /no service named "nope"/,
    );
    invalid(
      (c) =>
        Object.assign(c, {
          faults: [
            { name: 'a', from: 0.1, to: 0.3, start() {}, stop() {} },
            { name: 'b', from: 0.2, to: 0.4, start() {}, stop() {} },
          ],
        }),
      /overlaps "b"/,
    );
    invalid(
      (c) => Object.assign(c, { lostData: [{ name: 'rows', counter: 'rows', stored: async () => 0 }] }),
      /no request of the load acknowledges into "rows"/,
    );
    invalid((c) => Object.assign(c.services[0]!, { caps: [{ column: 'queue' }] }), /needs max or maxColumn/);
  });

  it('turns a throwing set-up function into ORG_ENDURANCE_SETUP_FAILED and a missing file into a config error', async () => {
    const context = { durationMs: 1000, runId: 'r', outDir: '/tmp', log: () => {}, onClose: () => {} };
    await expect(
      resolveConfig(() => {
        throw new Error('es did not start');
      }, context),
    ).rejects.toMatchObject({ code: 'ORG_ENDURANCE_SETUP_FAILED' });
    await expect(resolveConfig(async () => valid, context)).resolves.toBe(valid);
    await expect(importConfig('/nonexistent/endurance.config.ts')).rejects.toMatchObject({
      code: 'ORG_ENDURANCE_INVALID_CONFIG',
    });
  });

  it('documents every error code in the README', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(undocumentedCodes(readme, Object.keys(ENDURANCE_ERROR_CODES))).toEqual([]);
  });
});
