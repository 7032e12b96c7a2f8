// A service's log in the report stays bounded: the head as written, then only the tail.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BoundedLog } from '../src/log-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'endurance-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('BoundedLog', () => {
  it('keeps the first and the last part and says how much it left out', async () => {
    const file = join(dir, 'svc.log');
    const log = new BoundedLog(file, { headBytes: 20, tailBytes: 20 });
    for (let i = 0; i < 100; i++) log.write(Buffer.from(`line ${String(i).padStart(3, '0')}\n`));
    await log.end();
    await log.end();
    const text = readFileSync(file, 'utf8');
    expect(text.startsWith('line 000\nline 001\nline 002\n')).toBe(true);
    expect(text).toMatch(/\[… \d+ bytes of log left out/);
    expect(text.endsWith('line 098\nline 099\n')).toBe(true);
    expect(text.length).toBeLessThan(200);
  });

  it('writes everything when it is small', async () => {
    const file = join(dir, 'small.log');
    const log = new BoundedLog(file);
    log.write(Buffer.from('a\n'));
    await log.end();
    expect(readFileSync(file, 'utf8')).toBe('a\n');
  });
});
