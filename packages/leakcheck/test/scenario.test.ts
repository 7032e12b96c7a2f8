// Scenarios and configs are checked at load time with typed errors that name the option; the CLI
// exits 2 on them; every code is in the README.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { undocumentedCodes } from '@org/shared-lifecycle/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { defineLeakcheckConfig, loadConfig, scenarioFiles } from '../src/config.ts';
import { LEAKCHECK_ERROR_CODES } from '../src/errors.ts';
import { defineScenario } from '../src/scenario.ts';

const dir = mkdtempSync(join(tmpdir(), 'leakcheck-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('scenarios and configs', () => {
  it('checks a scenario when it is defined', () => {
    const ok = { name: 'x/y', iteration: () => {} };
    expect(defineScenario(ok)).toBe(ok);
    expect(() => defineScenario({ ...ok, rounds: 3 })).toThrow(/x\/y: rounds must be an integer in \[5,/);
    expect(() => defineScenario({ ...ok, iterations: 0 })).toThrow(
      expect.objectContaining({ code: 'ORG_LEAKCHECK_INVALID_SCENARIO' }),
    );
    expect(() => defineScenario({ ...ok, expectLeak: ['memory' as 'heap'] })).toThrow(/unknown signal/);
    expect(() => defineScenario({ name: 'z' } as never)).toThrow(/no iteration\(\)/);
  });

  it('checks a config and makes its paths absolute; lists scenario files without helpers', async () => {
    expect(() => defineLeakcheckConfig({ scenarios: 'here' as never })).toThrow(
      expect.objectContaining({ code: 'ORG_LEAKCHECK_INVALID_CONFIG' }),
    );
    writeFileSync(join(dir, 'a.ts'), '');
    writeFileSync(join(dir, '_helper.ts'), '');
    writeFileSync(join(dir, 'b.mjs'), '');
    writeFileSync(join(dir, 'c.d.ts'), '');
    writeFileSync(
      join(dir, 'leakcheck.config.mjs'),
      "export default { scenarios: ['.'], fixtures: ['f'] };\n",
    );
    const config = await loadConfig(join(dir, 'leakcheck.config.mjs'));
    expect(config.scenarios).toEqual([dir]);
    expect(config.fixtures).toEqual([join(dir, 'f')]);
    expect(scenarioFiles([dir]).map((f) => f.slice(dir.length + 1))).toEqual([
      'a.ts',
      'b.mjs',
      'leakcheck.config.mjs',
    ]);
    await expect(loadConfig(join(dir, 'none.ts'))).rejects.toMatchObject({
      code: 'ORG_LEAKCHECK_INVALID_CONFIG',
    });
  });

  it('exits 2 with the code on a usage error or when nothing matches', () => {
    const cli = fileURLToPath(new URL('../bin/org-leakcheck.js', import.meta.url));
    const usage = spawnSync(process.execPath, [cli, '--nope'], { encoding: 'utf8', cwd: dir });
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/ORG_LEAKCHECK_USAGE/);
    const none = spawnSync(process.execPath, [cli, '--only', 'zzz', join(dir, 'a.ts')], { encoding: 'utf8' });
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/ORG_LEAKCHECK_NO_SCENARIO/);
  });

  it('documents every error code in the README', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(undocumentedCodes(readme, Object.keys(LEAKCHECK_ERROR_CODES))).toEqual([]);
  });
});
