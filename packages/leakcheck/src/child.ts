/**
 * The child side of a leak check: `node --expose-gc child.js <scenario file> <work dir>`.
 * Runs one scenario and records signals 1 and 2 at the baseline and after every round, and writes
 * a heap snapshot at each of those points for signal 3 (analysed by the parent with memlab).
 * Writes <work dir>/measurements.json and exits; never decides the verdict itself.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setImmediate as tick, setTimeout as wait } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import v8 from 'node:v8';
import type { Checkpoint, Measurements } from './measurements.js';
import type { LeakScenario } from './scenario.js';

const [scenarioFile, workDir] = process.argv.slice(2);
if (!scenarioFile || !workDir) {
  process.stderr.write('usage: node --expose-gc child.js <scenario file> <work dir>\n');
  process.exit(2);
}
const gc = (globalThis as { gc?: () => void }).gc;
if (typeof gc !== 'function') {
  process.stderr.write('leak child: run with --expose-gc\n');
  process.exit(2);
}

// Create the stdio handles now, so that their first use during a round does not count as a new handle.
void process.stdout;
void process.stderr;

const errors: string[] = [];
const describe = (error: unknown) =>
  error instanceof Error ? (error.stack ?? error.message) : String(error);
process.on('unhandledRejection', (reason) => errors.push(`unhandled rejection: ${describe(reason)}`));
process.on('uncaughtException', (error) => errors.push(`uncaught exception: ${describe(error)}`));

/**
 * Tells the parent how far the scenario is, as one line on stdout (a pipe: written synchronously on
 * Linux, so it leaves no pending write behind to count as a handle).
 */
function progress(phase: string, round: number, rounds: number): void {
  process.stdout.write(`${PROGRESS_MARK}${JSON.stringify({ phase, round, rounds })}\n`);
}
/** Kept in step with runner.ts (this file imports nothing at run time). */
const PROGRESS_MARK = '@@leakcheck:progress ';

function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

function excess(now: Record<string, number>, base: Record<string, number>, ignore: readonly string[]) {
  const added: Record<string, number> = {};
  for (const [type, count] of Object.entries(now)) {
    const delta = count - (base[type] ?? 0);
    if (delta > 0 && !ignore.includes(type)) added[type] = delta;
  }
  return added;
}

async function collect(rounds = 4): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    gc?.();
    await tick();
  }
}

async function main(): Promise<Measurements> {
  const mod = (await import(pathToFileURL(resolve(scenarioFile!)).href)) as {
    default?: LeakScenario;
    scenario?: LeakScenario;
  };
  const scenario = mod.default ?? mod.scenario;
  if (!scenario || typeof scenario.iteration !== 'function') {
    throw new Error(`${scenarioFile}: the default export is not a leak scenario (no iteration())`);
  }
  const iterations = scenario.iterations ?? 100;
  const rounds = Math.max(5, scenario.rounds ?? 5);
  const settleMs = scenario.settleMs ?? 2000;
  const stableMs = Math.min(settleMs, scenario.stableMs ?? 300);
  const ignore = scenario.ignoreResources ?? [];
  const classes = scenario.classes ?? [];
  // Checkpoints are kept as JSON text: strings are not counted by the heap analysis, so the runner's own
  // bookkeeping never shows up as a growing class.
  let checkpoints = '';
  let checkpointCount = 0;
  let baseline: Record<string, number> | null = null;
  // Probes: a FinalizationRegistry, not WeakRefs (a WeakRef keeps its target alive until the end of
  // the job, which would show up in the snapshots' retainer paths). The heap analysis leaves out
  // this registry by its variable name (its cells grow with every leaked object).
  let probeRound = 0;
  const alive = new Map<number, number>();
  const leakRunnerProbes = new FinalizationRegistry<number>((round) =>
    alive.set(round, (alive.get(round) ?? 0) - 1),
  );

  progress('setup', 0, rounds);
  const state = await scenario.setup?.();
  let index = 0;

  const runRound = async (): Promise<{ ms: number; round: number; probed: number }> => {
    const round = ++probeRound;
    let probed = 0;
    const started = performance.now();
    for (let i = 0; i < iterations; i++) {
      const made = await scenario.iteration(state, index++);
      for (const item of Array.isArray(made) ? made : [made]) {
        if ((typeof item === 'object' && item !== null) || typeof item === 'function') {
          leakRunnerProbes.register(item, round);
          alive.set(round, (alive.get(round) ?? 0) + 1);
          probed++;
        }
      }
    }
    return { ms: performance.now() - started, round, probed };
  };

  const coolDown = async (label: string, roundMs: number, round: number, probed: number) => {
    const started = performance.now();
    await tick();
    // Wait for handles to come back (closing sockets, pending callbacks): until they are at the
    // baseline, or have not changed for stableMs, or settleMs has passed.
    const reference = baseline;
    if (reference) {
      let last = '';
      let changedAt = performance.now();
      for (;;) {
        const now = excess(activeResources(), reference, ignore);
        if (Object.keys(now).length === 0) break;
        const key = JSON.stringify(now);
        if (key !== last) {
          last = key;
          changedAt = performance.now();
        }
        if (performance.now() - changedAt >= stableMs || performance.now() - started >= settleMs) break;
        await wait(10);
      }
    } else {
      await wait(Math.min(100, settleMs));
    }
    await collect();
    // Finalizers run as separate tasks after a GC: give them a few turns.
    for (let i = 0; i < 5 && (alive.get(round) ?? 0) > 0; i++) {
      await wait(5);
      await collect(1);
    }
    const resources = activeResources();
    const instances: Record<string, number> = {};
    for (const ctor of classes) {
      instances[ctor.name] = v8.queryObjects(ctor as unknown as () => void, { format: 'count' }) as number;
    }
    const stillAlive = Math.max(0, alive.get(round) ?? 0);
    const snapshot = join(workDir!, `snapshot-${String(checkpointCount++).padStart(2, '0')}.heapsnapshot`);
    const settled = performance.now() - started;
    v8.writeHeapSnapshot(snapshot);
    const memory = process.memoryUsage();
    const checkpoint: Checkpoint = {
      label,
      roundMs,
      settleMs: settled,
      resources,
      instances,
      probes: { total: probed, alive: stillAlive },
      heapUsed: memory.heapUsed,
      snapshot,
    };
    checkpoints += `${checkpointCount > 1 ? ',' : ''}${JSON.stringify(checkpoint)}`;
    return resources;
  };

  // Warm-up: lazy module state, JIT, pools that fill once. Not measured against.
  progress('warm-up', 0, rounds);
  await runRound();
  baseline = await coolDown('baseline', 0, 0, 0);
  for (let r = 1; r <= rounds; r++) {
    progress('round', r, rounds);
    const { ms, round, probed } = await runRound();
    await coolDown(`round ${r}`, ms, round, probed);
  }
  progress('teardown', rounds, rounds);
  try {
    await scenario.teardown?.(state);
  } catch (error) {
    errors.push(`teardown failed: ${describe(error)}`);
  }
  return {
    name: scenario.name,
    ...(scenario.description === undefined ? {} : { description: scenario.description }),
    file: resolve(scenarioFile!),
    iterations,
    rounds,
    instanceTolerance: scenario.instanceTolerance ?? 0,
    ignoreResources: [...ignore],
    ignoreHeapClasses: [...(scenario.ignoreHeapClasses ?? [])],
    classes: classes.map((c) => c.name),
    ...(scenario.expectLeak === undefined ? {} : { expectLeak: [...scenario.expectLeak] }),
    checkpoints: JSON.parse(`[${checkpoints}]`) as Checkpoint[],
    errors,
    node: process.version,
  };
}

try {
  const result = await main();
  writeFileSync(join(workDir, 'measurements.json'), JSON.stringify(result, null, 2));
  process.exit(0);
} catch (error) {
  writeFileSync(
    join(workDir, 'measurements.json'),
    JSON.stringify({ fatal: describe(error), errors }, null, 2),
  );
  process.exit(1);
}
