// Each leak signal of @org/shared-leakcheck earns trust only by failing: every deliberately leaky
// fixture in leak/fixtures/ must be flagged by exactly the signals it declares, and the clean control
// by none; and the org-leakcheck command must exit 1 on a leaky scenario.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { formatReport, jsonLine, runScenario, type ScenarioReport } from '@org/shared-leakcheck';
import { describe, expect, it } from 'vitest';

const fixtures = fileURLToPath(new URL('../leak/fixtures/', import.meta.url));
const run = (name: string): Promise<ScenarioReport> => runScenario(join(fixtures, `${name}.ts`));

// Each fixture is a fresh Node process plus a memlab analysis of six snapshots: minutes on a loaded box.
describe('leak checks on deliberately leaky fixtures', { timeout: 240_000 }, () => {
  it('has a fixture for each leak shape and a clean control', () => {
    expect(readdirSync(fixtures).sort()).toEqual([
      'clean.ts',
      'double-destroy.ts',
      'interval-never-cleared.ts',
      'listener-per-call.ts',
      'unbounded-array.ts',
    ]);
  });

  it('passes the clean control on every signal', async () => {
    const report = await run('clean');
    expect(report.errors).toEqual([]);
    expect(report.flagged).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.handles?.added).toEqual({});
    expect(report.instances?.series).toEqual({ Poller: [0, 0, 0, 0, 0, 0], Session: [0, 0, 0, 0, 0, 0] });
    expect(report.instances?.probes).toEqual({ total: 200, alive: 0 });
    expect(report.heap?.analysis.snapshots).toBe(6);
    expect(report.heap?.analysis.growingClasses).toEqual([]);
    expect(report.heap?.analysis.growingObjects).toEqual([]);
  });

  it('flags an interval never cleared on all three signals, with the Timeout in the retainer path', async () => {
    const report = await run('interval-never-cleared');
    expect(report.errors).toEqual([]);
    expect(report.flagged).toEqual(['handles', 'instances', 'heap']);
    expect(report.ok).toBe(true); // a fixture is "ok" when it is flagged exactly as declared
    expect(report.handles?.series.Timeout).toEqual([20, 40, 60, 80, 100, 120]);
    expect(report.instances?.series.LeakyPoller).toEqual([20, 40, 60, 80, 100, 120]);
    const poller = report.heap?.analysis.growingClasses.find((g) => g.name === 'LeakyPoller');
    expect(poller?.counts).toEqual([20, 40, 60, 80, 100, 120]);
    expect(poller?.retainerPath).toMatch(/\[Timeout\][\s\S]*_onTimeout[\s\S]*\[LeakyPoller\]/);
    const text = formatReport(report);
    expect(text).toContain('class LeakyPoller: 20 → 40 → 60 → 80 → 100 → 120 objects; retainer path:');
    expect(JSON.parse(jsonLine(report))).toMatchObject({
      type: 'leak',
      flagged: ['handles', 'instances', 'heap'],
    });
  });

  it('flags a listener added per call on instances and heap, not on handles', async () => {
    const report = await run('listener-per-call');
    expect(report.errors).toEqual([]);
    expect(report.flagged).toEqual(['instances', 'heap']);
    expect(report.instances?.grown).toEqual(['RequestContext']);
    const ctx = report.heap?.analysis.growingClasses.find((g) => g.name === 'RequestContext');
    expect(ctx?.retainerPath).toMatch(/--reload \(property\)--->/);
    expect(report.heap?.analysis.growingObjects[0]?.retainerPath).toMatch(/_events[\s\S]*reload/);
  });

  it('flags an unbounded array through WeakRef-style probes and memlab (no class to count)', async () => {
    const report = await run('unbounded-array');
    expect(report.errors).toEqual([]);
    expect(report.flagged).toEqual(['instances', 'heap']);
    expect(report.instances?.grown).toEqual([]);
    expect(report.instances?.probes).toEqual({ total: 100, alive: 100 });
    const array = report.heap?.analysis.growingObjects.find((g) => g.name === 'Array');
    expect(array?.retainerPath).toContain('--auditTrail (variable)--->');
    expect(report.heap?.analysis.growingObjects.map((g) => g.name)).toEqual(['Array']);
  });

  it('flags a destroy that runs twice on all three signals', async () => {
    const report = await run('double-destroy');
    expect(report.errors).toEqual([]);
    expect(report.flagged).toEqual(['handles', 'instances', 'heap']);
    expect(report.handles?.added).toEqual({ Timeout: 100 });
    expect(report.instances?.series.Session).toEqual([20, 40, 60, 80, 100, 120]);
    const session = report.heap?.analysis.growingClasses.find((g) => g.name === 'Session');
    expect(session?.retainerPath).toMatch(/(\[Timeout\]|lingering)[\s\S]*\[Session\]/);
  });

  it('makes org-leakcheck exit non-zero on a leaky scenario and on a mis-declared fixture, saying how far it is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'leak-cli-test-'));
    try {
      const fixture = (name: string) => JSON.stringify(pathToFileURL(join(fixtures, `${name}.ts`)).href);
      // A leaky scenario that does not declare itself a fixture: must be red.
      writeFileSync(
        join(dir, 'a-leaky.ts'),
        `import f from ${fixture('interval-never-cleared')};\nconst { expectLeak, ...s } = f;\nexport default { ...s, name: 'tmp/leaky' };\n`,
      );
      // The clean control declared as leaking on the heap: flagged by nothing, so also red.
      writeFileSync(
        join(dir, 'b-misdeclared.ts'),
        `import f from ${fixture('clean')};\nexport default { ...f, name: 'tmp/misdeclared', expectLeak: ['heap'] };\n`,
      );
      // The built command (the root npm test builds first), as `npm run leak` runs it.
      const cli = fileURLToPath(new URL('../../packages/leakcheck/bin/org-leakcheck.js', import.meta.url));
      const result = spawnSync(
        process.execPath,
        [cli, '--progress-interval', '0.5', join(dir, 'a-leaky.ts'), join(dir, 'b-misdeclared.ts')],
        { encoding: 'utf8' },
      );
      expect(result.status).toBe(1);
      expect(result.stdout).toContain('FAIL tmp/leaky');
      expect(result.stdout).toContain('handles LEAK · instances LEAK · heap LEAK');
      expect(result.stdout).toMatch(/class LeakyPoller: .* objects; retainer path:/);
      expect(result.stdout).toContain('FAIL tmp/misdeclared (fixture: expects heap)');
      expect(result.stdout).toContain('leak: 0/2 ok');
      // Progress: which scenario runs, and (heartbeats every 0.5 s) which round of how many.
      expect(result.stdout).toContain('leak: [1/2] a-leaky.ts …');
      expect(result.stdout).toContain('leak: [2/2] b-misdeclared.ts …');
      expect(result.stdout).toMatch(/leak: \[1\/2\] a-leaky\.ts: round [1-5]\/5 \(/);
      expect(result.stdout.split('\n').filter((l) => l.startsWith('{"type":"leak"'))).toHaveLength(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
