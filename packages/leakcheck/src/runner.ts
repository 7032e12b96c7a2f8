/**
 * Runs one leak scenario: a fresh Node child (child.ts, --expose-gc) records signals 1 and 2 and
 * writes heap snapshots; this side runs memlab on the snapshots (signal 3) and decides the verdict.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeHeapSnapshots, type HeapAnalysis } from './heap-analysis.js';
import type { Measurements } from './measurements.js';
import type { Signal } from './scenario.js';

// Built: dist/child.js; from the sources (the package's own tests): src/child.ts, run by type stripping.
const childScript = fileURLToPath(
  new URL(import.meta.url.endsWith('.ts') ? './child.ts' : './child.js', import.meta.url),
);
/** Prefix of the child's progress lines on stdout (child.ts writes them). */
const PROGRESS_MARK = '@@leakcheck:progress ';

/** How far a scenario is: set-up, warm-up, round i of n, teardown, then the memlab analysis. */
export interface ScenarioProgress {
  phase: 'setup' | 'warm-up' | 'round' | 'teardown' | 'analysis';
  round: number;
  rounds: number;
}

export interface HandlesResult {
  flagged: boolean;
  /** Resource types above the baseline after the last round, with the excess. */
  added: Record<string, number>;
  /** Count of each such type at the baseline and after each round. */
  series: Record<string, number[]>;
}

export interface InstancesResult {
  flagged: boolean;
  /** Live instances per watched class at the baseline and after each round. */
  series: Record<string, number[]>;
  /** Classes whose count ended above the baseline by more than the tolerance. */
  grown: string[];
  /** WeakRef probes of the last round still alive after GC. */
  probes: { total: number; alive: number };
}

export interface HeapResult {
  flagged: boolean;
  analysis: HeapAnalysis;
}

export interface ScenarioReport {
  name: string;
  file: string;
  /** Green: no signal flagged and no error; for a fixture, exactly the expected signals flagged. */
  ok: boolean;
  flagged: Signal[];
  expectLeak?: Signal[];
  handles?: HandlesResult;
  instances?: InstancesResult;
  heap?: HeapResult;
  /** Errors of the child (crash, unhandled rejection, teardown failure) or of the analysis. */
  errors: string[];
  iterations: number;
  rounds: number;
  ms: number;
  /** Where the snapshots are kept (only with keepSnapshots or when the run failed and keepOnFailure). */
  workDir?: string;
}

export interface RunOptions {
  /** Kill the child after this long. Default 180 s. */
  timeoutMs?: number;
  /** Keep the heap snapshots. Default: removed. */
  keepSnapshots?: boolean;
  /** Extra Node flags for the child. */
  execArgv?: readonly string[];
  /** Passed to the memlab analysis. */
  minObjectGrowthBytes?: number;
  /** Called as the scenario moves on (set-up, warm-up, each round, teardown, analysis). */
  onProgress?: (progress: ScenarioProgress) => void;
}

function runChild(
  file: string,
  workDir: string,
  options: RunOptions,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', ...(options.execArgv ?? []), childScript, file, workDir],
      { stdio: ['ignore', 'pipe', 'pipe'], env: process.env },
    );
    let output = '';
    const keep = (chunk: Buffer | string) => {
      output = (output + chunk.toString()).slice(-8000);
    };
    let partial = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith(PROGRESS_MARK)) {
          keep(`${line}\n`);
          continue;
        }
        try {
          options.onProgress?.(JSON.parse(line.slice(PROGRESS_MARK.length)) as ScenarioProgress);
        } catch {
          // a progress line is advisory: a bad one (or a throwing callback) never fails the check
        }
      }
    });
    child.stderr.on('data', keep);
    const timer = setTimeout(() => {
      output += `\n(leak runner: killed after ${options.timeoutMs ?? 180_000} ms)`;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 180_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolveRun({ code: null, output: `${output}\n${error.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (partial) keep(partial);
      resolveRun({ code, output });
    });
  });
}

function handlesResult(m: Measurements): HandlesResult {
  const base = m.checkpoints[0]!.resources;
  const final = m.checkpoints.at(-1)!.resources;
  const added: Record<string, number> = {};
  for (const [type, count] of Object.entries(final)) {
    const delta = count - (base[type] ?? 0);
    if (delta > 0 && !m.ignoreResources.includes(type)) added[type] = delta;
  }
  const series: Record<string, number[]> = {};
  for (const type of Object.keys(added)) series[type] = m.checkpoints.map((c) => c.resources[type] ?? 0);
  return { flagged: Object.keys(added).length > 0, added, series };
}

function instancesResult(m: Measurements): InstancesResult {
  const series: Record<string, number[]> = {};
  const grown: string[] = [];
  for (const name of m.classes) {
    const counts = m.checkpoints.map((c) => c.instances[name] ?? 0);
    series[name] = counts;
    if (counts.at(-1)! - counts[0]! > m.instanceTolerance) grown.push(name);
  }
  const probes = m.checkpoints.at(-1)!.probes;
  return { flagged: grown.length > 0 || probes.alive > 0, series, grown, probes };
}

export async function runScenario(file: string, options: RunOptions = {}): Promise<ScenarioReport> {
  const started = performance.now();
  const path = resolve(file);
  const workDir = mkdtempSync(join(tmpdir(), 'org-leak-'));
  const report: ScenarioReport = {
    name: path,
    file: path,
    ok: false,
    flagged: [],
    errors: [],
    iterations: 0,
    rounds: 0,
    ms: 0,
  };
  try {
    const { code, output } = await runChild(path, workDir, options);
    let measured: (Measurements & { fatal?: undefined }) | { fatal: string; errors: string[] } | null = null;
    try {
      measured = JSON.parse(readFileSync(join(workDir, 'measurements.json'), 'utf8'));
    } catch {
      measured = null;
    }
    if (!measured || 'fatal' in measured) {
      const reason = measured?.fatal ?? `child exited with ${code} and wrote no measurements`;
      report.errors.push(
        reason,
        ...(measured?.errors ?? []),
        ...(output.trim() ? [`child output:\n${output.trim()}`] : []),
      );
      return report;
    }
    const m = measured;
    report.name = m.name;
    report.iterations = m.iterations;
    report.rounds = m.rounds;
    report.errors.push(...m.errors);
    if (m.expectLeak) report.expectLeak = m.expectLeak;
    report.handles = handlesResult(m);
    report.instances = instancesResult(m);
    try {
      options.onProgress?.({ phase: 'analysis', round: m.rounds, rounds: m.rounds });
    } catch {
      // advisory
    }
    const analysis = await analyzeHeapSnapshots(
      m.checkpoints.map((c) => c.snapshot),
      {
        ignoreClasses: m.ignoreHeapClasses,
        ...(options.minObjectGrowthBytes === undefined
          ? {}
          : { minObjectGrowthBytes: options.minObjectGrowthBytes }),
      },
    );
    report.heap = {
      flagged: analysis.growingClasses.length > 0 || analysis.growingObjects.length > 0,
      analysis,
    };
    if (report.handles.flagged) report.flagged.push('handles');
    if (report.instances.flagged) report.flagged.push('instances');
    if (report.heap.flagged) report.flagged.push('heap');
    report.ok = m.expectLeak
      ? sameSignals(report.flagged, m.expectLeak)
      : report.flagged.length === 0 && report.errors.length === 0;
    return report;
  } catch (error) {
    report.errors.push(
      `leak runner: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    return report;
  } finally {
    report.ms = performance.now() - started;
    if (options.keepSnapshots) report.workDir = workDir;
    else rmSync(workDir, { recursive: true, force: true });
  }
}

function sameSignals(a: readonly Signal[], b: readonly Signal[]): boolean {
  return a.length === b.length && a.every((s) => b.includes(s));
}
