/** Human and JSON output of leak-check results. */
import type { ScenarioReport } from './runner.js';

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const indent = (text: string, by = '      ') =>
  text
    .split('\n')
    .map((line) => by + line)
    .join('\n');

/** A few lines per scenario; the details (series, classes, retainer paths) only for flagged signals. */
export function formatReport(r: ScenarioReport): string {
  const mark = r.ok ? 'ok  ' : 'FAIL';
  const expected = r.expectLeak ? ` (fixture: expects ${r.expectLeak.join(', ') || 'nothing'})` : '';
  const signal = (name: 'handles' | 'instances' | 'heap', flagged: boolean | undefined) =>
    `${name} ${flagged === undefined ? '-' : flagged ? 'LEAK' : 'ok'}`;
  const lines = [
    `${mark} ${r.name}${expected}`,
    `     ${signal('handles', r.handles?.flagged)} · ${signal('instances', r.instances?.flagged)} · ${signal('heap', r.heap?.flagged)}` +
      `   [${r.rounds} rounds × ${r.iterations} iterations, ${(r.ms / 1000).toFixed(1)} s]`,
  ];
  if (r.handles?.flagged) {
    lines.push('   1. active handles above the baseline after the last round (baseline, round 1..n):');
    for (const [type, series] of Object.entries(r.handles.series))
      lines.push(`      ${type}: ${series.join(' → ')}`);
  }
  if (r.instances?.flagged) {
    lines.push('   2. instances not collected:');
    for (const name of r.instances.grown)
      lines.push(`      ${name}: ${r.instances.series[name]?.join(' → ')}`);
    if (r.instances.probes.alive > 0) {
      lines.push(
        `      ${r.instances.probes.alive} of ${r.instances.probes.total} objects returned by the last round's iterations are still alive after GC`,
      );
    }
  }
  if (r.heap?.flagged) {
    const { analysis } = r.heap;
    lines.push(`   3. memlab: growth in every one of ${analysis.snapshots} heap snapshots`);
    for (const growth of analysis.growingClasses) {
      lines.push(`      class ${growth.name}: ${growth.counts.join(' → ')} objects; retainer path:`);
      lines.push(indent(growth.retainerPath, '        '));
    }
    for (const growth of analysis.growingObjects) {
      lines.push(
        `      object ${growth.name} @${growth.id}: retained ${growth.retainedSizes.map(kb).join(' → ')}; retainer path:`,
      );
      lines.push(indent(growth.retainerPath, '        '));
    }
  }
  for (const error of r.errors) lines.push(`   error: ${indent(error).trimStart()}`);
  return lines.join('\n');
}

/** One line per scenario, for CI logs and comparisons over time. */
export function jsonLine(r: ScenarioReport): string {
  return JSON.stringify({
    type: 'leak',
    scenario: r.name,
    ok: r.ok,
    flagged: r.flagged,
    ...(r.expectLeak ? { expectLeak: r.expectLeak } : {}),
    handles: r.handles?.added ?? null,
    instances: r.instances ? { grown: r.instances.grown, probesAlive: r.instances.probes.alive } : null,
    heap: r.heap
      ? {
          classes: r.heap.analysis.growingClasses.map((g) => ({ name: g.name, counts: g.counts })),
          objects: r.heap.analysis.growingObjects.map((g) => ({ name: g.name, retained: g.retainedSizes })),
        }
      : null,
    errors: r.errors.length,
    ms: Math.round(r.ms),
  });
}
