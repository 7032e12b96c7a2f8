// The nightly workflow: its job timeout follows the duration it asks for, the previous history is
// restored before the run and the report and history are kept after it, and nothing but the verdict
// (the endurance step) can fail the endurance job.
import { readFileSync } from 'node:fs';
import { parseDuration } from '@org/shared-endurance';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

interface Step {
  name?: string;
  run?: string;
  uses?: string;
  if?: string;
  'continue-on-error'?: boolean;
  with?: Record<string, unknown>;
}
const workflow = parse(
  readFileSync(new URL('../../.github/workflows/nightly.yml', import.meta.url), 'utf8'),
) as {
  on: { workflow_dispatch: { inputs: { duration: { options: string[]; default: string } } } };
  jobs: Record<string, { 'timeout-minutes': string | number; steps: Step[] }>;
};
const job = workflow.jobs.endurance!;

describe('nightly workflow', () => {
  it('gives each duration it offers a job timeout of that duration plus time to install, start and drain', () => {
    const input = workflow.on.workflow_dispatch.inputs.duration;
    const expression = String(job['timeout-minutes']);
    const table = JSON.parse(/fromJSON\('(.*)'\)/.exec(expression)![1]!) as Record<string, number>;
    expect(expression).toContain(`inputs.duration || '${input.default}'`);
    expect(Object.keys(table).sort()).toEqual([...input.options].sort());
    for (const [duration, minutes] of Object.entries(table)) {
      const runMinutes = parseDuration(duration) / 60_000;
      expect(minutes, duration).toBeGreaterThanOrEqual(runMinutes + 30);
      expect(minutes, duration).toBeLessThanOrEqual(Math.max(runMinutes * 1.5, runMinutes + 60));
      expect(minutes, `${duration}: GitHub-hosted jobs stop at 6 h`).toBeLessThanOrEqual(360);
    }
  });

  it('restores the history, runs with it, and keeps the report and the history whatever the verdict', () => {
    const names = job.steps.map((s) => s.name ?? s.run ?? s.uses ?? '');
    const restore = names.findIndex((n) => /Restore the history/.test(n));
    const run = job.steps.findIndex((s) => s.run?.includes('npm run endurance'));
    expect(restore).toBeGreaterThan(-1);
    expect(restore).toBeLessThan(run);
    expect(job.steps[run]!.run).toContain('--history endurance-history/history.jsonl');
    expect(job.steps[run]!.run).toContain('--duration "$DURATION"');
    const uploads = job.steps.slice(run + 1).filter((s) => s.uses?.startsWith('actions/upload-artifact'));
    expect(uploads.map((s) => s.with?.path)).toEqual(['endurance-report/', 'endurance-history/']);
    for (const s of uploads) expect(s.if).toBe('always()');
    expect(uploads[1]!.with?.name).toBe('endurance-history');
    expect(job.steps[restore]!.run).toContain('--name endurance-history');
  });

  it('lets only the endurance step fail the job once the run has started', () => {
    const run = job.steps.findIndex((s) => s.run?.includes('npm run endurance'));
    for (const s of [
      ...job.steps.slice(run + 1),
      job.steps.find((x) => /Restore the history/.test(x.name ?? ''))!,
    ])
      expect(s['continue-on-error'], s.name ?? s.run).toBe(true);
    expect(job.steps[run]!['continue-on-error']).toBeUndefined();
  });
});
