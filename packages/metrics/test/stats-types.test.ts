import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/tsconfig.json', import.meta.url));

describe('collectStats() types', () => {
  it('accepts plain stats interfaces without a cast and checks the option paths (tsc on fixtures/typed-sources.ts)', async () => {
    const result = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile(`${root}node_modules/.bin/tsc`, ['-p', fixture], (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` });
      });
    });
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  });
});
