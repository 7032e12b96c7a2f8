/**
 * The contract of a leak scenario: a module whose default export is a LeakScenario. The runner
 * (runner.ts) runs it in a fresh Node process with --expose-gc: setup once, one warm-up round, a
 * baseline, then `rounds` rounds of `iterations` calls to iteration(), each round followed by a
 * cool-down, the measurements and a heap snapshot; teardown at the end.
 *
 * Scenario files are run by Node directly: plain JavaScript or erasable TypeScript.
 */
import { LeakcheckError } from './errors.js';
import { scenarioChecks as check } from './options.js';

/** The three independent signals (and the names fixtures use to say which ones must flag them). */
export type Signal = 'handles' | 'instances' | 'heap';
export const SIGNALS: readonly Signal[] = ['handles', 'instances', 'heap'];

// biome-ignore lint/suspicious/noExplicitAny: constructors of any shape are accepted (v8.queryObjects takes Function).
export type Constructor = abstract new (...args: any[]) => unknown;

export interface LeakScenario<State = unknown> {
  /** Shown in the report; "package/thing", e.g. "lifecycle/owned-interval". */
  name: string;
  /** One line: what is created, used and closed per iteration. */
  description?: string;
  /** Calls to iteration() per round. Default 100. */
  iterations?: number;
  /** Measured rounds, each ending in a cool-down and a heap snapshot. At least 5. Default 5. */
  rounds?: number;
  /**
   * Longest wait, after a round, for active handles to return to the baseline (sockets closing,
   * pending callbacks). The wait ends as soon as they are back. Default 2000 ms.
   */
  settleMs?: number;
  /** The wait also ends when the handles above the baseline have not changed for this long. Default 300 ms. */
  stableMs?: number;
  /**
   * Signal 2: classes whose live instance count (v8.queryObjects, after GC) must be back at the
   * baseline after every round. Subclass instances count too.
   */
  classes?: readonly Constructor[];
  /** Signal 2, tolerance: instances above the baseline still accepted per class. Default 0. */
  instanceTolerance?: number;
  /**
   * Signal 1: resource types (process.getActiveResourcesInfo()) that are not ours and may stay
   * above the baseline (e.g. 'FSReqCallback' of a library's lazy file read). Default none.
   */
  ignoreResources?: readonly string[];
  /**
   * Signal 3: heap-snapshot class names to leave out of the growth analysis (e.g. a library's
   * known-bounded cache that fills slowly). Default none; prefer fixing the cause.
   */
  ignoreHeapClasses?: readonly string[];
  /** Runs once in the child, before the warm-up round; its result is passed to every call. */
  setup?: () => State | Promise<State>;
  /**
   * Creates, uses and closes the components under test. Anything it returns (an object or an
   * array of objects) is watched with WeakRef probes (signal 2): it must be collected after the round.
   */
  iteration: (state: State, index: number) => unknown;
  /** Runs once after the last measurement (the verdict does not depend on it). */
  teardown?: (state: State) => void | Promise<void>;
  /**
   * For deliberately leaky fixtures only: the signals that must flag this scenario. `npm run leak
   * -- --fixtures` and the fixture test pass only when exactly these signals flag it.
   */
  expectLeak?: readonly Signal[];
}

/**
 * A scenario module may also export `needs`: names of what it requires (e.g. 'DATABASE_URL'). The
 * CLI collects them from every selected file and hands them to the config's `prepare()` before any
 * scenario runs, so a config can start a database only when a scenario needs one.
 */
export type Needs = readonly string[];

/**
 * Gives scenario files type checking and inference of State, and checks the options at load time
 * (ORG_LEAKCHECK_INVALID_SCENARIO naming the option).
 */
export function defineScenario<State>(scenario: LeakScenario<State>): LeakScenario<State> {
  checkScenario(scenario);
  return scenario;
}

const CODE = 'ORG_LEAKCHECK_INVALID_SCENARIO';

/** Throws ORG_LEAKCHECK_INVALID_SCENARIO when `value` is not a usable scenario. */
export function checkScenario(value: unknown, where = 'scenario'): asserts value is LeakScenario {
  const s = value as Partial<LeakScenario> | null;
  if (typeof s !== 'object' || s === null || typeof s.iteration !== 'function') {
    throw new LeakcheckError(CODE, `${where}: the default export is not a leak scenario (no iteration())`);
  }
  if (typeof s.name !== 'string' || s.name === '')
    throw new LeakcheckError(CODE, `${where}: name must be a non-empty string`, {
      details: { option: 'name' },
    });
  const at = `${where} ${s.name}`;
  check.number(`${at}: iterations`, s.iterations, { default: 1, min: 1, integer: true });
  check.number(`${at}: rounds`, s.rounds, { default: 5, min: 5, integer: true });
  check.number(`${at}: settleMs`, s.settleMs, { default: 0 });
  check.number(`${at}: stableMs`, s.stableMs, { default: 0 });
  check.number(`${at}: instanceTolerance`, s.instanceTolerance, { default: 0, integer: true });
  for (const signal of s.expectLeak ?? []) {
    if (!SIGNALS.includes(signal))
      throw new LeakcheckError(CODE, `${at}: expectLeak names an unknown signal`, {
        details: { option: 'expectLeak', known: SIGNALS },
      });
  }
}
