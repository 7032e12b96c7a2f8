import { describe, expect, it } from 'vitest';
import { parseBenchLines, renderResults } from '../bench/results.ts';

describe('root bench aggregation', () => {
  it('collects only well-formed bench lines and renders them as a table', () => {
    const output = [
      'some table output',
      '{"type":"bench","package":"logger","case":"log 1k","results":[{"name":"ours","value":1234.5,"unit":"ops/s"},{"name":"pino","value":2000,"unit":"ops/s"}],"ratios":{"ours/pino":0.617},"target":"≥ 0.5 × pino","met":true}',
      '{"type":"bench","package":"logger",', // truncated
      '{"type":"other"}',
    ].join('\n');
    const lines = parseBenchLines(output);
    expect(lines).toHaveLength(1);
    const md = renderResults(
      {
        date: '2026-01-01T00:00:00Z',
        node: 'v24.0.0',
        machine: { cpus: 2, cpuModel: 'x', memoryGb: 4, platform: 'linux x64' },
        failures: [],
      },
      lines,
    );
    expect(md).toContain('Node v24.0.0, 2 cores');
    expect(md).toContain(
      '| logger | log 1k | ours: 1235 ops/s<br>pino: 2000 ops/s | ours/pino = 0.617 | ≥ 0.5 × pino | yes |',
    );
  });
});
